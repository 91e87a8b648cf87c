"""Chapter 8's exercise checks (``notebooks/08_evaluation.ipynb``): NDCG@k, novelty,
the sign-flip permutation test and an LLM judge's swap consistency."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from ...data.columns import ITEM, USER
from .common import ExerciseError, call, checked, fresh_rng, judge, number, ok, over, ratio


def _dcg(hits, discount=lambda rank: 1 / np.log2(rank + 1)) -> float:
    hits = np.asarray(hits, float)
    return float(np.sum(hits * discount(np.arange(1, len(hits) + 1))))


@checked
def check_ndcg(fn: Callable) -> None:
    """``fn(hits, n_relevant, k) -> float`` against :func:`metrics.ndcg_at_k`."""
    from ...data.columns import RANK
    from ...evaluation.metrics import ndcg_at_k

    # the first list is longer than k with a hit beyond k, and n_relevant lies
    # between the hits in the list and k; the second has n_relevant > k
    cases = [([0, 1, 0, 0, 1, 1, 0], 4, 5), ([1, 0, 1, 0, 0, 0], 10, 4), ([0, 0, 0, 1], 1, 4),
             ([1, 1, 1], 3, 3), ([0, 0, 0], 2, 3)]  # fmt: skip
    rng = fresh_rng()
    for _ in range(2):  # two fresh lists: no one answer fits both and a designed one
        length = int(rng.integers(3, 11))
        fresh_hits = [int(h) for h in rng.random(length) < 0.4]
        cases.append((fresh_hits, max(1, sum(fresh_hits)) + int(rng.integers(0, 5)),
                      int(rng.integers(2, length + 3))))

    def check_one(case) -> None:
        hits, n_rel, k = case
        items = np.arange(len(hits))
        recs = pd.DataFrame({USER: 0, ITEM: items, RANK: items + 1})
        relevant = list(items[np.asarray(hits) == 1]) + [100 + j for j in range(n_rel - sum(hits))]
        want = ndcg_at_k(recs, pd.DataFrame({USER: 0, ITEM: relevant}), k)
        got = number(call(fn, np.array(hits), n_rel, k), "ndcg")
        top, best = hits[:k], np.ones(min(k, n_rel))
        shifted, harmonic = (lambda r: 1 / np.log2(r + 2)), (lambda r: 1 / r)
        judge(got, want, [
            ("You scored the whole list; NDCG@k only looks at the first k positions (truncate).",
             ratio(_dcg(hits), _dcg(best))),
            ("Your ideal list has n_relevant hits; it can hold at most k of them.",
             ratio(_dcg(top), _dcg(np.ones(n_rel)))),
            ("Your ideal list has k hits; a user with fewer relevant items cannot fill it.",
             ratio(_dcg(top), _dcg(np.ones(k)))),
            (("Your ideal list is built from the hits in the list; it should count all the "
              "user's relevant items (up to k)."), ratio(_dcg(top), _dcg(np.ones(sum(top))))),
            ("The discount is off by one: rank 1 is divided by log2(2) = 1.",
             ratio(_dcg(top, shifted), _dcg(best, shifted))),
            ("That is a 1/rank discount; NDCG discounts by a logarithm of the rank.",
             ratio(_dcg(top, harmonic), _dcg(best, harmonic))),
            ("That is the DCG alone; divide it by the DCG of the ideal list.", _dcg(top)),
        ], "Not quite: work through a list of three positions by hand (discounts, DCG, "
           "ideal list) and compare with your function.")  # fmt: skip

    over(cases, check_one)
    ok("your NDCG agrees with metrics.ndcg_at_k, truncation and ideal list included.")


@checked
def check_novelty(fn: Callable) -> None:
    """``fn(recs, train) -> float`` against :func:`metrics.novelty`."""
    from ...evaluation.metrics import novelty

    rng, fresh = np.random.default_rng(4), fresh_rng()
    sizes = [(30, 20, 300), (12, 8, 60),
             tuple(int(v) for v in fresh.integers([5, 4, 40], [40, 25, 300]))]

    def check_one(case) -> None:
        rng, (n_users, n_items, n_rows) = case
        # repeated (user, item) rows, as in a log of events: p_i counts distinct users
        train = pd.DataFrame({USER: rng.integers(0, n_users, n_rows),
                              ITEM: rng.integers(0, n_items, n_rows)})  # fmt: skip
        recs = pd.DataFrame({USER: np.repeat(np.arange(5), 4),
                             ITEM: rng.choice(train[ITEM].unique(), 20)})  # fmt: skip
        got = number(call(fn, recs.copy(), train.copy()), "novelty")
        users, rows = train.groupby(ITEM)[USER].nunique(), train.groupby(ITEM).size()
        p = recs[ITEM].map(users / train[USER].nunique())
        judge(got, novelty(recs, train), [
            ("You counted rows, not distinct users: a user who rated an item twice counts once.",
             float(np.mean(-np.log2(recs[ITEM].map(rows / train[USER].nunique()))))),
            ("You divided by the number of rows; p_i is a share of *users*.",
             float(np.mean(-np.log2(recs[ITEM].map(users / len(train)))))),
            ("You divided by the number of items; p_i is a share of users.",
             float(np.mean(-np.log2(recs[ITEM].map(users / train[ITEM].nunique()))))),
            ("That is the natural logarithm; use log base 2 (bits).", float(np.mean(-np.log(p)))),
            ("That is log base 10; use log base 2 (bits).", float(np.mean(-np.log10(p)))),
            ("The sign is flipped: self-information is -log2 p, a positive number.",
             float(np.mean(np.log2(p)))),
            ("You averaged over distinct recommended items; average over all recommended rows.",
             float(np.mean(-np.log2(p.drop_duplicates())))),
        ], "Not quite: check p_i and its self-information for one recommended item by "
           "hand.")  # fmt: skip

    over([(rng, sizes[0]), (rng, sizes[1]), (fresh, sizes[2])], check_one)
    ok("your novelty matches metrics.novelty.")


def _sign_flip(diffs, n, seed, one_sided=False):
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], (n, len(diffs)))
    means = (signs * diffs).mean(axis=1)
    if one_sided:
        return (1 + np.sum(means >= diffs.mean())) / (n + 1)
    return (1 + np.sum(np.abs(means) >= abs(diffs.mean()))) / (n + 1)


@checked
def check_sign_flip(fn: Callable) -> None:
    """``fn(diffs, n, seed) -> p``: a two-sided sign-flip permutation p-value.

    A student's random draws differ from ours, so the p-value is compared with a
    reference from many more flips, within a Monte-Carlo tolerance; exact
    properties (a multiple of 1/(n+1), the same p for the same seed) are exact.
    """
    rng = np.random.default_rng(5)
    null = rng.normal(0.0, 1.0, 80)
    null += 0.03 - null.mean()  # a tiny observed mean: p is large
    negative = rng.normal(0.0, 1.0, 60)
    negative += -0.24 - negative.mean()  # a clear negative mean: p is small, near 0.06
    strong = rng.normal(0.8, 1.0, 50)  # no flip comes close: p is the smallest possible
    fresh = fresh_rng()  # a fresh sample with a clear difference, one near none
    clear = fresh.normal(float(fresh.choice([-1, 1]) * fresh.uniform(0.6, 1.0)), 1.0,
                         int(fresh.integers(40, 90)))
    drawn = fresh.normal(float(fresh.uniform(-0.1, 0.1)), 1.0, int(fresh.integers(30, 90)))
    n = 4999

    def check_one(diffs) -> None:
        p = number(call(fn, diffs.copy(), n, 0), "p")
        if p == 0:
            raise ExerciseError("p = 0: count the observed sample among the flips (add 1 to "
                                "numerator and denominator).")  # fmt: skip
        if not 0 < p <= 1:
            raise ExerciseError(f"A p-value lies in (0, 1]; got {p:g}.")
        if not math.isclose(p * (n + 1), round(p * (n + 1)), abs_tol=1e-3):  # float32 is fine
            if math.isclose(p * n, round(p * n), abs_tol=1e-3):
                raise ExerciseError("Count the observed sample among the flips: add 1 to the "
                                    "numerator *and* to the denominator.")  # fmt: skip
            raise ExerciseError("p should be a count of flips over n + 1; did you use the `n` "
                                "passed in?")
        want = _sign_flip(diffs, 100_000, 1)
        if abs(p - want) <= 0.015 + 0.1 * want:
            return
        if p == 1.0:
            raise ExerciseError("p = 1 for a clear difference: flip the sign of each "
                                "difference independently, not the whole sample at once "
                                "(or shuffle).")  # fmt: skip
        if abs(p - _sign_flip(diffs, 100_000, 1, one_sided=True)) <= 0.02:
            raise ExerciseError("That is a one-sided test (it ignores the sign of the effect); "
                                "compare absolute means, so both directions count.")  # fmt: skip
        if abs(p - want / 2) <= 0.01:
            raise ExerciseError("p is about half what it should be: count flips whose |mean| is "
                                "at least the observed |mean| (both tails).")  # fmt: skip
        raise ExerciseError(f"p = {p:.4f} is not the share of random sign flips at least as "
                            "extreme as the observed mean.")  # fmt: skip

    over([null, negative, strong, clear, drawn], check_one)
    if number(call(fn, null.copy(), 999, 7), "p") != number(call(fn, null.copy(), 999, 7), "p"):
        raise ExerciseError("Two calls with the same seed gave different p-values: draw the "
                            "signs from np.random.default_rng(seed).")  # fmt: skip
    ok("large p for a null difference, small for a real one in either direction.")



def _swap_case(rng, n: int, missing: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions picked (1 or 2) for ``n`` pairs in both orders, some NaN (rejected)."""
    a = rng.integers(1, 3, n).astype(float)
    b = rng.integers(1, 3, n).astype(float)
    a[rng.random(n) < missing] = np.nan
    b[rng.random(n) < missing] = np.nan
    return a, b


@checked
def check_swap_consistency(fn: Callable) -> None:
    """``fn(first_order_picks, swapped_picks) -> float`` against
    :func:`judging.swap_consistency`: the share of pairs (both answers valid)
    whose pick is the same film in both orders."""
    from ...chapters.judging import swap_consistency

    nan = np.nan
    # designed: a judge that always answers 1 (consistent on no pair), rejected
    # answers in either order only, and a mix where each mistake differs
    cases = [(np.array([1.0, 1, 1, 1, 1]), np.array([1.0, 1, 1, 1, 1])),
             (np.array([1.0, 2, nan, 1, 2, 2, 1]), np.array([2.0, 2, 1, nan, 1, 1, 1])),
             (np.array([2.0, 1, 1, nan, 2, 1, 2, nan]), np.array([1.0, 2, 1, 2, nan, 2, 2, nan]))]
    fresh = fresh_rng()
    for _ in range(2):  # fresh cases: no one answer fits them and the designed ones
        a, b = _swap_case(fresh, int(fresh.integers(8, 30)), float(fresh.uniform(0.1, 0.3)))
        a[0], b[0] = 1.0, 2.0  # at least one pair with both answers valid
        cases.append((a, b))

    def check_one(case) -> None:
        a, b = case
        got = number(call(fn, a.copy(), b.copy()), "swap consistency",
                     "did every pair get left out? Keep the pairs where both answers are "
                     "valid.")  # fmt: skip
        both = ~np.isnan(a) & ~np.isnan(b)
        first = ~np.isnan(a)
        judge(got, swap_consistency(a, b), [
            ("You counted pairs that pick the same *position* twice; once swapped, the same "
             "film sits at the other position.", float(np.mean(a[both] == b[both]))),
            ("Pairs with a rejected answer (NaN) are in your denominator: leave them out, "
             "they are neither consistent nor inconsistent.",
             float(np.sum(a[both] != b[both]) / len(a))),
            ("Pairs with a rejected answer (NaN) count as consistent in your answer (NaN != x "
             "is True): leave them out.", float(np.mean(a != b))),
            ("You left out the pairs rejected in the first order only; a pair needs a valid "
             "answer in both orders.", float(np.mean(a[first] != b[first]))),
            ("That is a count of pairs; return the share.", float(np.sum(a[both] != b[both]))),
        ], "Not quite: for three pairs, write down which film each order picked and count "
           "by hand.")  # fmt: skip

    over(cases, check_one)
    ok("the share of pairs, both answers valid, that pick the same film in both orders.")
