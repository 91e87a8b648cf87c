"""Chapter 6's exercise checks (``notebooks/06_llm_augmentation.ipynb``): loop
detection, the augmented training set and the augmentation's paired effect."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .common import ExerciseError, call, checked, judge, number, ok


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
    for ids, max_period, want, hint in cases:
        got = call(fn, list(ids), max_period)
        if not isinstance(got, (bool, np.bool_, int, np.integer)):
            raise ExerciseError(f"Return True or False, got a {type(got).__name__}.")
        if bool(got) != want:
            raise ExerciseError(f"{hint} (ids ending {ids[-12:]}, max_period={max_period})")
    ok("loops are detected at the end of the answer, and only there.")


def _review_cases() -> list[tuple[pd.DataFrame, dict, set]]:
    """``(labelled, paraphrases, copies)``: review ids that are not row positions,
    both labels, a review without a paraphrase and one whose paraphrase is a copy."""
    first = pd.DataFrame({
        "review": [42, 7, 19, 3],
        "text": ["runs small", "lovely soft fabric", "pilled after a wash", "fits well"],
        "recommended": [0, 1, 0, 1],
    }, index=[5, 2, 8, 0])  # fmt: skip
    para1 = {42: "it is a small fit", 7: "the fabric is soft and lovely",
             3: "the fit is good", 0: "not in the labelled set"}  # fmt: skip
    second = pd.DataFrame({
        "review": [11, 12, 13],
        "text": ["great colour", "too long", "cheap zip"],
        "recommended": [1, 0, 0],
    })  # fmt: skip
    para2 = {11: "lovely colour", 12: "far too long", 13: "the zip feels cheap", 1: "x"}
    return [(first, para1, {7}), (second, para2, {12})]


def _augmented(labelled, paraphrases, copies, *, keep=True, label=None, skip=True,
               only=False, by_position=False) -> list[tuple[str, int]]:
    """The (text, label) pairs of the augmented set, and its usual mistakes."""
    rows = list(zip(labelled["text"], labelled["recommended"])) if keep else []
    for n, (review, y) in enumerate(zip(labelled["review"], labelled["recommended"])):
        key = n if by_position else review
        if key not in paraphrases or (skip and review in copies):
            continue
        if only and review not in copies:
            continue
        rows.append((paraphrases[key], y if label is None else label))
    return rows


def pairs(answer) -> list[tuple[str, int]]:
    """The sorted (text, label) pairs of an answer ``(texts, labels)``."""
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        raise ExerciseError("Return a tuple (texts, labels): a list of texts and their labels.")
    texts, labels = answer
    texts, labels = list(texts), list(np.asarray(labels).ravel())
    if len(texts) != len(labels):
        raise ExerciseError(f"texts has {len(texts)} entries and labels {len(labels)}: give "
                            "each text, original or copy, its label.")  # fmt: skip
    if not all(isinstance(t, str) for t in texts):
        raise ExerciseError("texts should be strings (the reviews and their paraphrases).")
    return sorted((t, int(y)) for t, y in zip(texts, labels))


@checked
def check_augmented_set(fn: Callable) -> None:
    """Exercise 6.2: ``fn(labelled, paraphrases, copies) -> (texts, labels)``."""
    for labelled, paraphrases, copies in _review_cases():
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
        ], "Not quite: keep every labelled review, then add each paraphrase that exists and "
           "is not in `copies`, with its review's label.", same=lambda a, b: a == b)  # fmt: skip
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

    for y, without, with_, seed in _effect_cases():
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
    ok("a paired comparison over reviews: with minus without, with its interval.")

