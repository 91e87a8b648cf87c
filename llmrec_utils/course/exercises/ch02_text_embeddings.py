"""Chapter 2's exercise checks (``notebooks/02_text_embeddings.ipynb``): masked mean
pooling, macro-F1 by hand, item cards without the year and maximal marginal relevance."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .common import ExerciseError, array, call, checked, fresh_rng, judge, number, ok, over


@checked
def check_mean_pool(fn: Callable) -> None:
    """Exercise 2.1: ``fn(token_embeddings, attention_mask)`` -> masked mean, (batch, dim)."""
    import torch

    from ...text.embeddings import mean_pool

    gen, fresh = torch.Generator().manual_seed(0), fresh_rng()
    # a fresh batch: right-padded rows of varied lengths, each with a real token, one
    # full row and one padded; values on a 1/16 grid, so any order of summing is exact
    b, t, d = (int(x) for x in fresh.integers([2, 3, 2], [6, 9, 7]))
    lengths = fresh.integers(1, t + 1, b)
    lengths[:2] = t, fresh.integers(1, t)
    cases = [
        (torch.randn(3, 5, 4, generator=gen),
         torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])),
        (torch.randn(2, 6, 3, generator=gen) + 1.0,
         torch.tensor([[1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]])),
        (torch.from_numpy(np.round(fresh.normal(size=(b, t, d)) * 16) / 16).float(),
         torch.from_numpy((np.arange(t) < lengths[fresh.permutation(b), None]).astype(np.int64))),
    ]  # fmt: skip

    def check_one(case) -> None:
        tokens, mask = case
        got = call(fn, tokens.clone(), mask.clone())
        if not isinstance(got, (torch.Tensor, np.ndarray)):
            raise ExerciseError(f"Return a torch.Tensor, got {type(got).__name__}.")
        got = array(got, "the pooled batch", (tokens.shape[0], tokens.shape[2]))
        m = mask.unsqueeze(-1).float()
        want = mean_pool(tokens, mask)
        judge(got, want.numpy(), [
            ("You averaged over padding positions too; padded tokens must not count.",
             tokens.mean(dim=1).numpy()),
            (("You divided by the padded length; divide by each text's number of real tokens "
              "(mask.sum)."), ((tokens * m).sum(1) / tokens.shape[1]).numpy()),
            ("That is a masked *sum*: divide by the number of real tokens.",
             (tokens * m).sum(1).numpy()),
            ("That is CLS pooling (the first token); the exercise asks for the masked mean.",
             tokens[:, 0].numpy()),
            ("That is max pooling; the exercise asks for the masked mean.",
             tokens.masked_fill(m == 0, -1e9).max(dim=1).values.numpy()),
            ("You L2-normalised the mean; the exercise asks for the mean itself.",
             torch.nn.functional.normalize(want, dim=1).numpy()),
        ], "Not quite: average each text's token vectors over its real tokens only.")  # fmt: skip

    over(cases, check_one)
    ok("padding positions are ignored and each text is averaged over its own tokens.")


def _per_class(y_true, y_pred, classes):
    """Precision, recall and F1 per class, 0 where a ratio is 0/0."""
    out = []
    for c in classes:
        tp = np.sum((y_pred == c) & (y_true == c))
        fp = np.sum((y_pred == c) & (y_true != c))
        fn = np.sum((y_pred != c) & (y_true == c))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out.append((p, r, 2 * tp / (2 * tp + fp + fn) if tp else 0.0))
    return np.array(out)


def _random_labels(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fresh ``(y_true, y_pred)``: mostly right predictions, the first class true but
    never predicted, the last one predicted but never true."""
    names = rng.choice(["bad", "fine", "good", "great", "poor", "mixed", "okay"],
                       int(rng.integers(4, 7)), replace=False)  # fmt: skip
    n = int(rng.integers(20, 60))
    y_true = rng.choice(names[:-1], n)
    y_true[:2] = names[0]
    guess = rng.choice(names[1:], n)
    y_pred = np.where((rng.random(n) < 0.6) & (y_true != names[0]), y_true, guess)
    y_pred[rng.choice(n, 2, replace=False)] = names[-1]
    return y_true, y_pred


@checked
def check_macro_f1(fn: Callable) -> None:
    """Exercise 2.2: ``fn(y_true, y_pred)`` -> macro-averaged F1, written by hand."""
    rng = np.random.default_rng(0)
    labels = np.array(["negative", "neutral", "positive"])
    y_true = rng.choice(labels, size=200, p=[0.1, 0.15, 0.75])
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.choice(labels, size=200))
    cases = [
        (y_true, y_pred),
        # "c" is never predicted (precision 0/0), "d" is predicted but never true
        (np.array(["a", "a", "b", "b", "c", "a"]), np.array(["a", "d", "b", "b", "a", "a"])),
        _random_labels(fresh_rng()),
    ]

    def check_one(case) -> None:
        t, p = case
        never = "a class that is never predicted has precision 0/0: count its F1 as 0."
        never_raised = "A class that is never predicted has precision 0/0: count its F1 as 0."
        got = number(call(fn, t.copy(), p.copy(), errors={ZeroDivisionError: never_raised}),
                      "macro-F1", nan=never)  # fmt: skip
        union = np.union1d(t, p)
        scores = _per_class(t, p, union)
        support = np.array([np.sum(t == c) for c in union])
        mp, mr = scores[:, 0].mean(), scores[:, 1].mean()
        judge(got, scores[:, 2].mean(), [
            ("That is accuracy (= micro-F1 here); macro-F1 averages the per-class F1 scores.",
             np.mean(t == p)),
            ("That is the support-weighted F1; macro-F1 gives every class the same weight.",
             np.sum(scores[:, 2] * support) / support.sum()),
            (("You averaged over the classes of y_true only; a class that is only predicted "
              "counts too (its F1 is 0)."), _per_class(t, p, np.unique(t))[:, 2].mean()),
            (("You took the F1 of the averaged precision and recall; average the per-class "
              "F1 scores instead."), 2 * mp * mr / (mp + mr)),
            ("That is the macro-averaged precision, not F1.", mp),
            ("That is the macro-averaged recall, not F1.", mr),
        ], "Not quite: compute F1 for each class that occurs in either array, then take "
           "their plain mean.")  # fmt: skip

    over(cases, check_one)
    ok("macro-F1 is the unweighted mean of the per-class F1, 0 for a class never hit.")


@checked
def check_cards_without_year(cards: Sequence[str], items: pd.DataFrame) -> None:
    """Exercise 2.3: item cards that keep title words and genres but drop the year."""
    if cards is None or cards is Ellipsis:
        raise ExerciseError("cards_no_year is not computed yet: replace the `...` with your code.")
    if isinstance(cards, (pd.Series, np.ndarray)):
        cards = list(cards)
    if not isinstance(cards, (list, tuple)) or len(cards) != len(items):
        raise ExerciseError(
            f"Give a list with one card per movie, in the order of `items` ({len(items)}).")
    if not all(isinstance(c, str) for c in cards):
        raise ExerciseError("Every card should be a string.")
    for card, title, genres in zip(cards, items["title"], items["genres"]):
        words = set(re.findall(r"\w+", card.lower()))
        years = re.findall(r"\((\d{4})\)", title)
        kept = re.sub(r"\(\d{4}\)", " ", title)
        if re.search(r"\(\d{4}\)", card) or any(y in card and y not in kept for y in years):
            raise ExerciseError(f"Some cards still contain a year, e.g. {card!r}; remove every "
                                "(YYYY), wherever it is in the title.")  # fmt: skip
        missing = [w for w in re.findall(r"\w+", kept.lower()) if w not in words]
        if missing:
            raise ExerciseError(f"The card {card!r} lost the title words {missing}: remove only "
                                "the year, and keep the cards in the order of `items`.")
        lost = [g for g in str(genres).split("|") if g.lower() not in card.lower()]
        if lost:
            raise ExerciseError(f"The card {card!r} lost its genres {lost}; keep the genres.")
    ok("every card keeps its title words and genres, without the year.")



# --- maximal marginal relevance --------------------------------------------------------------
def _cosines(doc: np.ndarray, cands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unit = cands / np.linalg.norm(cands, axis=1, keepdims=True)
    return unit @ (doc / np.linalg.norm(doc)), unit @ unit.T


def _greedy(relevance, between, k, score, first=None) -> list[int]:
    """Pick ``k`` rows greedily by ``score(relevance, between, left, picked)``."""
    picked = [int(np.argmax(relevance)) if first is None else first]
    left = [i for i in range(len(relevance)) if i != picked[0]]
    while left and len(picked) < k:
        picked.append(left.pop(int(np.argmax(score(relevance, between, left, picked)))))
    return picked


def _mmr_mistakes(doc, cands, k, diversity) -> list[tuple[str, list[int]]]:
    """(hint, the output of the mistake) for the typical wrong MMRs, on one case."""
    rel, sim = _cosines(doc, cands)
    lam = diversity

    def mmr_with(redundancy, a=1 - lam, b=lam, rel=rel, sim=sim):
        return _greedy(rel, sim, k, lambda r, s, left, picked:
                       a * r[left] - b * redundancy(s[np.ix_(left, picked)], r, left))

    def largest(s, r, left):
        return s.max(axis=1)

    dot_rel, dot_sim = cands @ doc, cands @ cands.T
    right = mmr_with(largest)

    def positions():  # indices into the shrinking list of candidates left
        picked, left = [int(np.argmax(rel))], [i for i in range(len(rel)) if i != np.argmax(rel)]
        out = [picked[0]]
        while left and len(picked) < k:
            score = (1 - lam) * rel[left] - lam * sim[np.ix_(left, picked)].max(axis=1)
            j = int(np.argmax(score))
            out.append(j)
            picked.append(left.pop(j))
        return out

    return [
        ("You ranked by similarity to the document alone: the diversity term is missing "
         "(or never changes the order).", list(np.argsort(-rel, kind="stable")[:k])),
        (("Your penalty uses the candidates' similarity to the document; it should use their "
          "similarity to the keywords already picked."),
         mmr_with(lambda s, r, left: r[left][:, None].repeat(s.shape[1], 1).max(axis=1))),
        ("You averaged the similarity to the picked keywords; MMR penalises the largest one.",
         mmr_with(lambda s, r, left: s.mean(axis=1))),
        ("You summed the similarities to the picked keywords; MMR penalises the largest one.",
         mmr_with(lambda s, r, left: s.sum(axis=1))),
        (("You used dot products of vectors that are not unit length; use cosine "
          "similarities (normalise the vectors first)."),
         mmr_with(largest, rel=dot_rel, sim=dot_sim)
         if not np.allclose(np.linalg.norm(cands, axis=1), 1) else None),
        ("You swapped the weights: `diversity` weighs the penalty, 1 - diversity the relevance.",
         mmr_with(largest, a=lam, b=1 - lam)),
        (("You returned the picks sorted by similarity to the document; return them in the "
          "order MMR picked them."), sorted(right, key=lambda i: -rel[i])),
        (("You returned positions in the shrinking list of candidates left; return row "
          "indices of `cand_vecs`."), positions()),
    ]


def _mmr_reference(doc, cands, k, diversity) -> list[int]:
    rel, sim = _cosines(doc, cands)
    return _greedy(rel, sim, k, lambda r, s, left, picked:
                   (1 - diversity) * r[left] - diversity * s[np.ix_(left, picked)].max(axis=1))


def _mmr_case(rng: np.random.Generator, n: int, dim: int, k: int, diversity: float) -> tuple:
    """Candidates in near-duplicate pairs (what MMR is for), of uneven lengths."""
    doc = rng.normal(size=dim)
    base = rng.normal(size=(n // 2 + n % 2, dim)) + 0.8 * doc
    cands = np.repeat(base, 2, axis=0)[:n] + 0.15 * rng.normal(size=(n, dim))
    return doc, cands * rng.uniform(0.3, 3.0, (n, 1)), k, diversity


@functools.lru_cache(maxsize=None)
def _separating_case(seed: int, n: int, k: int, diversity: float, distinct: bool = True
                     ) -> tuple:  # fmt: skip
    """The first case from ``seed`` on where every mistake's output differs from the
    right one (and, if ``distinct``, from each other's: each hint is then the right one)."""
    for s in range(seed, seed + 10_000):
        case = _mmr_case(np.random.default_rng(s), n, 6, k, diversity)
        outs = [tuple(int(i) for i in w) for _, w in _mmr_mistakes(*case) if w is not None]
        right = tuple(_mmr_reference(*case))
        if right not in outs and (not distinct or len(set(outs)) == len(outs)):
            return case
    raise RuntimeError("no separating case found")  # pragma: no cover


@checked
def check_mmr(fn: Callable) -> None:
    """Exercise 2.4: ``fn(doc_vec, cand_vecs, k, diversity)`` -> the row indices MMR
    picks, in the order picked."""
    fresh = fresh_rng()
    n = int(fresh.integers(6, 12))
    cases = [
        _separating_case(0, 9, 4, 0.6),
        _separating_case(100, 8, 5, 0.3, distinct=False),  # below 0.5 (two mistakes agree)
        _mmr_case(np.random.default_rng(7), 5, 4, 8, 0.5),  # k above the candidates: all
        _mmr_case(fresh, n, int(fresh.integers(3, 8)), int(fresh.integers(2, n)),
                  float(np.round(fresh.uniform(0.1, 0.9), 2))),
    ]

    def check_one(case) -> None:
        doc, cands, k, diversity = case
        got = call(fn, doc.copy(), cands.copy(), k, diversity)
        if isinstance(got, (str, bytes)) or not hasattr(got, "__len__"):
            raise ExerciseError(f"Return a list of row indices, got {type(got).__name__}.")
        try:
            picks = [int(i) for i in np.asarray(got).ravel()]
        except (TypeError, ValueError):
            raise ExerciseError("Return row indices of `cand_vecs` (whole numbers).") from None
        if any(not float(i).is_integer() for i in np.asarray(got, float).ravel()):
            raise ExerciseError("Return row indices of `cand_vecs` (whole numbers).")
        want = _mmr_reference(doc, cands, k, diversity)
        if len(picks) != len(want):
            raise ExerciseError(
                f"Return min(k, number of candidates) indices: you returned {len(picks)} for "
                f"k={k} and {len(cands)} candidates.")  # fmt: skip
        if picks == want:
            return
        for hint, wrong in _mmr_mistakes(doc, cands, k, diversity):
            if wrong is not None and picks == [int(i) for i in wrong]:
                raise ExerciseError(hint)
        if len(set(picks)) != len(picks):
            raise ExerciseError("You picked a candidate twice: remove each pick from the "
                                "candidates left.")  # fmt: skip
        raise ExerciseError("Not quite: pick the most relevant candidate first, then each "
                            "time the one whose relevance, less its redundancy with the "
                            "picks so far, is largest (each weighted as the formula says).")

    over(cases, check_one)
    ok("each pick trades relevance to the document against its closest keyword so far.")
