"""Chapter 6's exercise checks (``notebooks/06_llm_augmentation.ipynb``): loop
detection, the augmented training set and the augmentation's paired effect."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .common import ExerciseError, call, checked, fresh_rng, judge, number, ok, over


def _random_loops(rng: np.random.Generator) -> list[tuple[list[int], int, bool, str]]:
    """Two fresh ``(ids, max_period, want, hint)``: a loop at the end, and a near miss
    (a block twice, a loop followed by another token, or a block longer than
    max_period three times). A block's tokens are distinct and never among the
    tokens before it, so no shorter period hides in the near miss."""
    period = int(rng.integers(1, 5))
    max_period = int(rng.integers(period, 9))
    block = [int(x) for x in rng.choice(np.arange(1, 20), period, replace=False)]
    before = [int(x) for x in rng.integers(20, 30, rng.integers(0, 6))]
    loop = (before + block * int(rng.integers(3, 5)), max_period, True,
            "A block of tokens repeated three times or more at the end is a loop.")
    miss = int(rng.integers(3))
    if miss == 0:
        ids, hint = before + block * 2, "A pattern seen only twice is not a loop yet."
    elif miss == 1:
        ids = before + block * 3 + [int(rng.integers(20, 30))]
        hint = "A repeat that is not at the end is not a loop: only the end counts."
    else:
        long = [int(x) for x in rng.choice(np.arange(1, 20), max_period + 1, replace=False)]
        ids, hint = before + long * 3, "A pattern longer than max_period does not count."
    return [loop, (ids, max_period, False, hint)]


@checked
def check_loops(fn: Callable) -> None:
    """``fn(ids, max_period) -> bool``: does ``ids`` end with a pattern repeated 3 times?"""
    cases = [
        ([1, 2, 3, 7, 7, 7], 12, True, "One token three times at the end is a loop (period 1)."),
        ([9, 4, 5, 4, 5, 4, 5], 12, True, "A two-token pattern three times at the end is a loop."),
        ([7, 7, 7, 7, 7], 12, True, "More than three repeats is still a loop."),
        ([4, 5, 4, 5], 12, False, "A pattern seen only twice is not a loop yet: it takes three."),
        ([1, 2, 3, 1, 2, 3, 1, 2, 3, 8], 12, False, ("A repeat that is not at the end is not a "
                                                    "loop: only the end of the answer counts.")),
        ([3, 1, 2, 1, 2, 3, 1, 2], 12, False, ("Three occurrences that are not back to back are "
                                              "not a loop.")),
        ([], 12, False, "An empty list has no loop (and must not crash)."),
        ([5, 5], 12, False, "Two tokens cannot hold three repeats."),
        (list(range(13)) * 3, 12, False, "A pattern longer than max_period does not count."),
        (list(range(12)) * 3, 12, True, ("A pattern of exactly max_period tokens counts (period "
                                        "1 to max_period, both included).")),
        ([8, 1, 2, 3, 4] * 3, 3, False, "Use the max_period passed in, not a fixed 12."),
    ]  # fmt: skip

    def check_one(case) -> None:
        ids, max_period, want, hint = case
        got = call(fn, list(ids), max_period)
        if not isinstance(got, (bool, np.bool_, int, np.integer)):
            raise ExerciseError(f"Return True or False, got a {type(got).__name__}.")
        if bool(got) != want:
            raise ExerciseError(f"{hint} (ids ending {ids[-12:]}, max_period={max_period})")

    over([*cases, *_random_loops(fresh_rng())], check_one)
    ok("loops are detected at the end of the answer, and only there.")


def _review_cases() -> list[tuple[pd.DataFrame, dict, set]]:
    """``(labelled, paraphrases, copies)``: review ids that are not row positions,
    both labels, a review without a paraphrase and one whose paraphrase is a copy;
    the paraphrases are not in the frame's order (as after ``pool.sample``)."""
    first = pd.DataFrame({
        "review": [42, 7, 19, 3],
        "text": ["runs small", "lovely soft fabric", "pilled after a wash", "fits well"],
        "recommended": [0, 1, 0, 1],
    }, index=[5, 2, 8, 0])  # fmt: skip
    para1 = {3: "the fit is good", 7: "the fabric is soft and lovely",
             0: "not in the labelled set", 42: "it is a small fit"}  # fmt: skip
    second = pd.DataFrame({
        "review": [11, 12, 13, 14],
        "text": ["great colour", "too long", "cheap zip", "true to size"],
        "recommended": [1, 0, 0, 1],
    })  # fmt: skip
    para2 = {13: "the zip feels cheap", 1: "x", 12: "far too long", 11: "lovely colour",
             14: "the size is right"}  # fmt: skip
    return [(first, para1, {7}), (second, para2, {12})]


def _random_reviews(rng: np.random.Generator) -> tuple[pd.DataFrame, dict, set]:
    """A fresh ``(labelled, paraphrases, copies)``: random ids, labels and texts, the
    paraphrases in another order than the frame, some missing, some copies."""
    n = int(rng.integers(5, 10))
    ids = rng.choice(np.arange(100, 200), n, replace=False)
    labels = rng.integers(0, 2, n)
    labels[:2] = [0, 1]
    words = ["soft", "small", "long", "warm", "thin", "bright", "loose", "tight"]
    labelled = pd.DataFrame({
        "review": ids,
        "text": [f"review {i}: {' '.join(rng.choice(words, 3))}" for i in ids],
        "recommended": labels,
    }, index=rng.permutation(n) + 3)  # fmt: skip
    kept = [int(i) for i in ids if rng.random() < 0.8] + [int(rng.integers(300, 400))]
    paraphrases = {i: f"a rewrite of {i}, {rng.choice(words)}" for i in rng.permutation(kept)}
    copies = {int(i) for i in rng.choice(kept, max(1, len(kept) // 4), replace=False)}
    return labelled, paraphrases, copies


def _augmented(labelled, paraphrases, copies, *, keep=True, label=None, skip=True,
               only=False, by_position=False, by_order=False) -> list[tuple[str, int]]:
    """The (text, label) pairs of the augmented set, and its usual mistakes."""
    rows = list(zip(labelled["text"], labelled["recommended"])) if keep else []
    added = []
    for n, (review, y) in enumerate(zip(labelled["review"], labelled["recommended"])):
        key = n if by_position else review
        if key not in paraphrases or (skip and review in copies):
            continue
        if only and review not in copies:
            continue
        added.append((paraphrases[key], y if label is None else label))
    if by_order:  # texts in the dictionary's order, labels in the frame's
        ids = set(labelled["review"])
        texts = [t for r, t in paraphrases.items() if r in ids and r not in copies]
        added = list(zip(texts, [y for _, y in added]))
    return rows + added


def pairs(answer) -> list[tuple[str, int]]:
    """The sorted (text, label) pairs of an answer ``(texts, labels)``."""
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        raise ExerciseError("Return a tuple (texts, labels): a list of texts and their labels.")
    texts, labels = answer
    texts, labels = list(texts), list(np.asarray(labels, dtype=object).ravel())
    if len(texts) != len(labels):
        raise ExerciseError(f"texts has {len(texts)} entries and labels {len(labels)}: give "
                            "each text, original or copy, its label.")  # fmt: skip
    if not all(isinstance(t, str) for t in texts):
        raise ExerciseError("texts should be strings (the reviews and their paraphrases).")
    if any(isinstance(y, (str, bytes)) for y in labels):
        raise ExerciseError("Your labels are strings (such as '0' and '1'); a classifier "
                            "needs the numbers 0 and 1, as in the `recommended` column.")
    try:
        out = [(t, int(y)) for t, y in zip(texts, labels)]
    except (TypeError, ValueError):
        raise ExerciseError("labels should be the numbers 0 and 1 of the `recommended` "
                            "column.") from None
    if any(float(y) != int(y) for y in labels):
        raise ExerciseError("labels should be the numbers 0 and 1 of the `recommended` column.")
    return sorted(out)


@checked
def check_augmented_set(fn: Callable) -> None:
    """Exercise 6.2: ``fn(labelled, paraphrases, copies) -> (texts, labels)``."""

    def check_one(case) -> None:
        labelled, paraphrases, copies = case
        got = pairs(call(fn, labelled.copy(), dict(paraphrases), set(copies), errors={
            KeyError: ("A review whose paraphrase was rejected has no entry in "
                       "paraphrases: it adds no copy.")}))  # fmt: skip
        args = (labelled, paraphrases, copies)
        judge(got, sorted(_augmented(*args)), [
            (("You dropped the labelled reviews: the copies are added to them, not used "
             "instead of them."), sorted(_augmented(*args, keep=False))),
            ("You kept the paraphrases in `copies`; the filter leaves them out.",
             sorted(_augmented(*args, skip=False))),
            ("You kept only the paraphrases in `copies`; the filter leaves *those* out.",
             sorted(_augmented(*args, skip=False, only=True))),
            (("Every copy got the label 1; a copy inherits the label of the review it "
             "rewrites."), sorted(_augmented(*args, label=1))),
            (("Every copy got the label 0; a copy inherits the label of the review it "
             "rewrites."), sorted(_augmented(*args, label=0))),
            (("You looked paraphrases up by row position; they are keyed by the review id "
              "(the `review` column)."), sorted(_augmented(*args, by_position=True))),
            (("You paired the paraphrases, in the dictionary's order, with labels in the "
              "frame's order: the two orders differ, so copies got other reviews' labels. "
              "Look each copy's label up through its review id."),
             sorted(_augmented(*args, by_order=True))),
        ], "Not quite: some (text, label) pairs are missing, extra or mislabelled; print "
           "yours for a small frame and compare them with the exercise's rules.",
           same=lambda a, b: a == b)  # fmt: skip

    over([*_review_cases(), _random_reviews(fresh_rng())], check_one)
    ok("the labelled reviews plus their kept paraphrases, each with its review's label.")


def _effect_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """``(y, without, with_, seed)``: the augmentation fixes some reviews and breaks
    others, and changes predictions where the label does not move; the last case is
    large enough for the seed to move the interval."""
    y = np.array([1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1])
    without = np.array([1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1])
    with_ = np.array([1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1])
    y2 = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    without2 = np.array([1, 1, 0, 0, 0, 0, 1, 1])
    with2 = np.array([0, 1, 1, 1, 1, 0, 1, 0])
    rng = np.random.default_rng(0)  # a larger case, where the seed moves the interval
    y3 = rng.integers(0, 2, 300)
    without3 = np.where(rng.random(300) < 0.7, y3, 1 - y3)
    with3 = np.where(rng.random(300) < 0.75, y3, 1 - y3)
    return [(y, without, with_, 11), (y2, without2, with2, 5), (y3, without3, with3, 3)]


def _random_effect(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """A fresh ``(y, without, with_, seed)``: each model wrong on a random share of
    the reviews, the two models' errors independent."""
    n = int(rng.integers(20, 80))
    y = rng.integers(0, 2, n)
    without = np.where(rng.random(n) < rng.uniform(0.2, 0.4), 1 - y, y)
    with_ = np.where(rng.random(n) < rng.uniform(0.1, 0.3), 1 - y, y)
    return y, without, with_, int(rng.integers(0, 1000))


def bounds(answer) -> tuple[float, float, float]:
    """(estimate, low, high) of a Comparison or an Interval."""
    est = getattr(answer, "diff", getattr(answer, "estimate", None))
    if est is None or not hasattr(answer, "low") or not hasattr(answer, "high"):
        raise ExerciseError("Return what evaluation.compare gives (a Comparison): the "
                            "difference comes with its interval.")  # fmt: skip
    return (number(est, "the difference"), number(answer.low, "low"),
            number(answer.high, "high"))  # fmt: skip


@checked
def check_augmentation_effect(fn: Callable) -> None:
    """Exercise 6.3: ``fn(y, pred_without, pred_with, seed)``: the paired comparison of
    per-review correctness, with minus without."""
    from ...evaluation.metrics import macro_f1
    from ...evaluation.uncertainty import compare, paired_bootstrap_diff

    def check_one(case) -> None:
        y, without, with_, seed = case
        answer = call(fn, y.copy(), without.copy(), with_.copy(), seed)
        if isinstance(answer, (int, float, np.number)):
            raise ExerciseError("You returned one number; return the Comparison from "
                                "evaluation.compare, so the difference has an interval.")
        got = bounds(answer)
        ok0, ok1 = (without == y).astype(float), (with_ == y).astype(float)

        def triple(c):
            return (c.diff, c.low, c.high)

        f1 = paired_bootstrap_diff(macro_f1, y, without, with_, n_boot=2000, seed=seed)
        judge(got, triple(compare(ok0, ok1, seed=seed)), [
            (("The sign is reversed (or you compared errors, not correctness): the effect is "
              "with the augmentation minus without it."),
             triple(compare(ok1, ok0, seed=seed))),
            (("You compared the predictions themselves; compare whether each prediction is "
              "right (per-review correctness)."), triple(compare(without, with_, seed=seed))),
            ("The difference is right but the interval is not: pass `seed` to compare.",
             triple(compare(ok0, ok1))),
            (("That is the macro-F1 difference; the exercise compares per-review "
             "correctness with evaluation.compare."), (f1.estimate, f1.low, f1.high)),
        ], "Not quite: score each review 1 if its prediction is right, else 0, for both "
           "models, and give the two aligned score arrays to evaluation.compare "
           "(without first).")  # fmt: skip

    over([*_effect_cases(), _random_effect(fresh_rng())], check_one)
    ok("a paired comparison over reviews: with minus without, with its interval.")

