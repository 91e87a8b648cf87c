"""Chapter 3's exercise checks (``notebooks/03_ner_finetuning.ipynb``): aligning word
labels to sub-words, entity-level F1 and reading BIO spans."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .common import ExerciseError, call, checked, fresh_rng, judge, number, ok, over


def _random_word_ids(rng: np.random.Generator) -> tuple[list, list[int]]:
    """Fresh ``(word_ids, word_labels)``: special tokens (None) around the words, one
    to three sub-words per word, at least one word split, sometimes padding."""
    n = int(rng.integers(5, 10))
    pieces = rng.integers(1, 4, n)
    pieces[rng.integers(n)] = int(rng.integers(2, 4))
    ids = [None] + [w for w in range(n) for _ in range(pieces[w])] + [None]
    ids += [None] * int(rng.integers(0, 3))
    return ids, [int(x) for x in rng.integers(0, 9, n)]


@checked
def check_align_labels(fn: Callable) -> None:
    """Exercise 3.1: ``fn(word_ids, word_labels)`` -> one label id per sub-word token."""
    from ...text.ner import IGNORE, align_labels

    cases = [
        ([None, 0, 0, 1, 2, 2, 2, None], [4, 0, 7]),
        ([None, 0, 1, 1, 2, None, None], [1, 2, 3]),
        ([None, None], []),
        _random_word_ids(fresh_rng()),
    ]

    def check_one(case) -> None:
        word_ids, labels = case
        got = call(fn, list(word_ids), list(labels))
        try:
            got = [int(x) for x in got]
        except (TypeError, ValueError):
            raise ExerciseError("Return a list of integer label ids, one per token.") from None
        if len(got) != len(word_ids):
            raise ExerciseError(
                f"Return one label per sub-word token ({len(word_ids)}), got {len(got)}.")
        nxt = word_ids[1:] + [None]
        last = [IGNORE if w is None or w == after else labels[w]
                for w, after in zip(word_ids, nxt)]  # fmt: skip
        judge(got, align_labels(word_ids, labels), [
            (("You gave every sub-word its word's label; label only the first sub-word and "
              f"put {IGNORE} on the continuations, so each word counts once."),
             [IGNORE if w is None else labels[w] for w in word_ids]),
            ("You labelled the *last* sub-word of each word; label the first one.", last),
            (("You matched labels to tokens by position (padding the word labels); look each "
              "token's word up through its word id."),
             [labels[j] if j < len(labels) else IGNORE for j in range(len(word_ids))]),
            (f"Special tokens (word id None) must get {IGNORE}, not a label.",
             [0 if w is None else v for w, v in zip(word_ids, align_labels(word_ids, labels))]),
        ], "Not quite: compare each token's word id with the previous token's.",
           same=lambda a, b: list(a) == list(b))  # fmt: skip

    over(cases, check_one)
    ok("first sub-word labelled, continuations and special tokens ignored.")


def _f1(shared: int, n_gold: int, n_pred: int) -> float:
    return 2 * shared / (n_gold + n_pred) if shared else 0.0


_TYPES = ["FIT", "SIZE", "COLOR", "FABRIC"]


def _random_tags(rng: np.random.Generator, n: int) -> list[str]:
    """A fresh BIO sequence: spans of one to three words, and I- tags that cannot
    continue a span (after O, or after a span of another type)."""
    tags: list[str] = []
    while len(tags) < n:
        kind, start = str(rng.choice(_TYPES)), str(rng.choice(["B-", "B-", "I-"]))
        tags += ["O"] * int(rng.integers(0, 3)) + [start + kind]
        tags += ["I-" + (kind if rng.random() < 0.8 else str(rng.choice(_TYPES)))
                 for _ in range(int(rng.integers(0, 3)))]  # fmt: skip
    return tags[:n]


def _random_sentences(rng: np.random.Generator, noise: float) -> tuple[list, list]:
    """Fresh ``(gold, pred)``: pred is gold with a share ``noise`` of its tags changed."""
    gold = [_random_tags(rng, int(rng.integers(3, 11))) for _ in range(int(rng.integers(5, 11)))]
    def changed(tag: str) -> str:  # O, a B- or I- tag of any type, or the tag's type changed
        kind = rng.choice(_TYPES)
        retyped = "O" if tag == "O" else tag[:2] + kind
        return str(rng.choice(["O", f"B-{kind}", f"I-{kind}", retyped]))

    pred = [[changed(t) if rng.random() < noise else t for t in s] for s in gold]
    return gold, pred


@checked
def check_entity_f1(fn: Callable) -> None:
    """Exercise 3.2: ``fn(gold, pred)`` -> micro entity-level F1 over BIO sentences."""
    from ...text.ner import spans

    gold = [["B-FIT", "I-FIT", "O", "B-SIZE"], ["O", "B-COLOR", "O"], ["B-FABRIC", "O", "O"],
            ["B-SIZE", "O"], ["B-SIZE", "O"], ["O", "B-COLOR"]]  # fmt: skip
    pred = [["B-FIT", "O", "O", "B-SIZE"], ["O", "B-COLOR", "O"], ["O", "O", "B-FABRIC"],
            ["B-SIZE", "O"], ["B-SIZE", "B-FIT"], ["O", "B-FIT"]]  # fmt: skip
    fresh = fresh_rng()
    cases = [(gold, pred), (gold[:3], [["O"] * len(s) for s in gold[:3]]), (gold[1:2], gold[1:2]),
             *(_random_sentences(fresh, noise) for noise in (0.1, 0.3))]  # fresh ones

    def check_one(case) -> None:
        g, p = case
        got = number(call(fn, [list(s) for s in g], [list(s) for s in p], errors={
            ZeroDivisionError: "With no predicted spans precision is 0/0: the F1 is then 0."}),
            "entity F1")  # fmt: skip
        gs = [set(spans(s)) for s in g]
        ps = [set(spans(s)) for s in p]
        shared = sum(len(a & b) for a, b in zip(gs, ps))
        n_g, n_p = sum(map(len, gs)), sum(map(len, ps))
        flat_g, flat_p = [t for s in g for t in s], [t for s in p for t in s]
        hits = sum(a == b != "O" for a, b in zip(flat_g, flat_p))
        pooled_g, pooled_p = set().union(*gs), set().union(*ps)
        untyped = sum(len({x[1:] for x in a} & {x[1:] for x in b}) for a, b in zip(gs, ps))
        per_sentence = [_f1(len(a & b), len(a), len(b)) for a, b in zip(gs, ps)]
        judge(got, _f1(shared, n_g, n_p), [
            ("That is the precision alone (shared / predicted spans); F1 combines it with recall.",
             shared / n_p if n_p else None),
            ("That is the recall alone (shared / gold spans); F1 combines it with precision.",
             shared / n_g if n_g else None),
            (("That is a token-level score: it gives credit for the B-FIT of a two-word FIT span "
              "whose I-FIT was missed. Compare whole spans (type, start, end)."),
             _f1(hits, sum(t != "O" for t in flat_g), sum(t != "O" for t in flat_p))),
            (("You averaged the F1 of each sentence; pool the span counts over all sentences "
              "first (micro average)."), float(np.mean(per_sentence))),
            (("You put the spans of all sentences into one set, so equal spans of different "
              "sentences collapse; count shared spans sentence by sentence."),
             _f1(len(pooled_g & pooled_p), len(pooled_g), len(pooled_p))),
            ("You matched spans on their boundaries only; the entity type must match too.",
             _f1(untyped, n_g, n_p)),
        ], "Not quite: compare the spans of gold and pred sentence by sentence, pool the "
           "counts, then combine precision and recall.")  # fmt: skip

    over(cases, check_one)
    ok("entity-level F1 pools whole spans over sentences: a half-found entity is a miss.")


def _read_spans(tags, b_restarts=True, stray_i=True, typed_i=True, flush=True) -> list:
    """Spans of a BIO sequence, sorted; each flag switched off is one usual mistake."""
    out, current = [], None  # current: (type, start) of the open span
    for i, tag in enumerate(list(tags) + (["O"] if flush else [])):
        kind = None if tag == "O" else tag[2:]
        if current is not None and (tag == "O" or (b_restarts and tag[0] == "B")
                                    or (typed_i and kind != current[0])):  # fmt: skip
            out.append((current[0], current[1], i))
            current = None
        if kind and current is None and (stray_i or tag[0] == "B"):
            current = (kind, i)
    return sorted(out)


@checked
def check_spans(fn: Callable) -> None:
    """Exercise 3.3: ``fn(tags)`` -> entity spans ``(type, start, end)`` of a BIO sequence."""
    from ...text.ner import spans

    cases = [
        ["B-FIT", "I-FIT", "O", "B-SIZE"],
        ["B-COLOR", "B-COLOR", "I-COLOR", "O", "B-FIT"],
        ["O", "I-FABRIC", "I-FABRIC", "O", "B-SIZE", "I-SIZE"],
        ["B-FIT", "I-SIZE", "I-SIZE", "O", "B-COLOR"],
        ["O", "B-SIZE", "O", "B-FIT", "I-FIT", "I-FIT"],
        [],
    ]
    # fresh: random tags around an I- at the start and an I- after a span of another
    # type (neither can continue a span) and a B- right after a span of its type
    fresh = fresh_rng()
    tags = _random_tags(fresh, int(fresh.integers(4, 12)))
    cut = sorted(fresh.integers(0, len(tags) + 1, 2))
    a, b, c = fresh.choice(_TYPES, 3, replace=False)
    pairs = [[f"B-{b}", f"I-{c}"], [f"B-{a}", f"B-{a}"]]
    first, second = (pairs[i] for i in fresh.permutation(2))
    cases.append([f"I-{a}", *tags[:cut[0]], *first, *tags[cut[0]:cut[1]], *second,
                  *tags[cut[1]:]])  # fmt: skip

    def check_one(tags) -> None:
        got = call(fn, list(tags))
        try:
            got = sorted((str(t), int(s), int(e)) for t, s, e in got)
        except (TypeError, ValueError):
            raise ExerciseError("Return a list of (type, start, end) tuples.") from None
        want = sorted(spans(tags))
        judge(got, want, [
            ("The type of a span is the tag without its B-/I- prefix.",
             sorted((tags[s][:2] + t, s, e) for t, s, e in want)),
            ("Use end = one past the last word, so a one-word span has end = start + 1.",
             [(t, s, e - 1) for t, s, e in want]),
            ("A B- tag always starts a new span, even right after a span of its type.",
             _read_spans(tags, b_restarts=False)),
            ("An I- tag with no span to continue starts a new span (seqeval's lenient reading).",
             _read_spans(tags, stray_i=False)),
            ("An I- tag of another type cannot continue a span: it starts a new one.",
             _read_spans(tags, typed_i=False)),
            ("Close the span that is still open when the tags end.",
             _read_spans(tags, flush=False)),
        ], f"For the tags {tags} your spans differ from seqeval's reading: B- starts a span, "
           "I- continues one of its type.", same=lambda a, b: list(a) == list(b))  # fmt: skip

    over(cases, check_one)
    ok("spans read the way seqeval reads them.")

