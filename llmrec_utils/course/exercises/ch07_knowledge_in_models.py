"""Chapter 7's exercise checks (``notebooks/07_knowledge_in_models.ipynb``): the FM's
pairwise term, WARP's weight and the leave-one-out aspect share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .common import ExerciseError, array, call, checked, fresh_rng, judge, ok, over


@checked
def check_fm_pairwise(fn: Callable) -> None:
    """``fn(V, X) -> one number per row``: the FM's pairwise term
    :math:`\\sum_{j<l} \\langle v_j, v_l\\rangle x_j x_l` of each row of ``X``."""
    import torch

    from ...ctr.nets import pairwise_interaction

    def make(rng, n, k, rows):
        V = rng.normal(size=(n, k))
        X = rng.normal(size=(rows, n)) * (rng.random((rows, n)) < 0.7)  # some zeros
        X[0] = 0.0
        X[0, 1] = 2.0  # one feature alone: no pair, so the term is 0
        return V, X

    rng, fresh = np.random.default_rng(7), fresh_rng()
    cases = [make(rng, 5, 3, 4), make(rng, 7, 2, 3),
             make(fresh, *(int(v) for v in fresh.integers([4, 2, 3], [10, 6, 7])))]

    def check_one(case) -> None:
        V, X = case
        rows = X.shape[0]
        got = array(call(fn, V.copy(), X.copy(), errors={ValueError: (
            "Shapes do not broadcast: weight each feature's vector by its value, "
            "giving rows x features x k.")}), "the pairwise terms", (rows,))
        A = X[:, :, None] * V[None, :, :]
        want = pairwise_interaction(torch.tensor(A)).numpy()
        sq_sum, sum_sq = (A.sum(1) ** 2).sum(1), (A ** 2).sum(1).sum(1)
        judge(got, want, [
            ("You forgot the 1/2: the square of the sum counts every pair twice.",
             sq_sum - sum_sq),
            (("You left the diagonal in: the square of the sum also holds each feature "
              "paired with itself, which is not a pair."), 0.5 * sq_sum),
            (("Your diagonal term has x_j to the first power: the square of the sum holds "
              "each feature with itself weighted by its value squared."),
             0.5 * (sq_sum - (X[:, :, None] * V[None] ** 2).sum((1, 2)))),
            ("You summed the vectors without weighting them by the feature values x_j.",
             0.5 * (((X != 0)[:, :, None] * V[None]).sum(1) ** 2
                    - ((X != 0)[:, :, None] * V[None] ** 2).sum(1)).sum(1)),
        ], "Not quite: compare your function with the slow sum over pairs j < l on a "
           "small V and X.")  # fmt: skip

    over(cases, check_one)
    ok("the pairwise term in O(kn), equal to the sum over pairs.")


@checked
def check_warp_weight(fn: Callable) -> None:
    """``fn(N, n_items) -> weights``: WARP's ``ln(max(1, floor((n - 1) / N)))``."""
    from ...models.feature_mf import warp_weights

    rng = fresh_rng()
    n_items = int(rng.integers(20, 3000))
    cases = [(np.array([1, 2, 3, 7, 10]), 50), (np.array([1, 4, 9, 10, 30]), 11),
             (np.array([5, 6]), 1682),
             (np.sort(rng.integers(1, n_items, int(rng.integers(3, 9)))), n_items)]

    def check_one(case) -> None:
        N, n = case
        got = array(call(fn, N.copy(), n, errors={ValueError: (
            "log of a non-positive number: a positive whose estimated rank is 0 or 1 "
            "must not reach the log as it is.")}), "the weights", N.shape)
        if not np.isfinite(got).all():
            raise ExerciseError("Some weights are -inf or NaN: when the estimated rank is 0 "
                                "the log is undefined; a rank below 1 counts as 1.")
        rank = (n - 1) / N
        judge(got, warp_weights(N, n), [
            ("You did not round the estimated rank down to a whole number.",
             np.log(np.maximum(1.0, rank))),
            ("Use n - 1, not n: the positive itself is not one of its negatives.",
             np.log(np.maximum(1.0, np.floor(n / N)))),
            ("You returned the rank; WARP weights by its logarithm.",
             np.maximum(1.0, np.floor(rank))),
        ], "Not quite: check the estimated rank and the logarithm of each N on a small "
           "example by hand.")

    over(cases, check_one)
    ok("WARP's weight grows with the estimated rank, and is 0 at rank 1 or 0.")


@checked
def check_loo_share(fn: Callable) -> None:
    """``fn(item, mention) -> share``: the share of the *other* reviews of the
    same item that mention the aspect (the overall share where there is none)."""
    rng = fresh_rng()
    n = int(rng.integers(8, 16))
    fresh_items = rng.integers(0, int(rng.integers(3, 6)), n)
    fresh_items[-1] = 99  # an item with one review
    cases = [(["a", "a", "a", "b", "b", "c"], [1, 0, 1, 0, 1, 1]),
             ([3, 1, 3, 3, 2, 1, 1], [0, 1, 1, 1, 0, 0, 1]),
             (list(fresh_items), list(rng.integers(0, 2, n)))]

    def check_one(case) -> None:
        item, mention = case
        item_s, m = pd.Series(item), pd.Series(mention, dtype=float)
        got = array(call(fn, np.array(item), np.array(mention)), "the shares", (len(item),))
        if not np.isfinite(got).all():
            raise ExerciseError("Some shares are NaN or inf: an item with one review has no "
                                "other review; give it the share over all reviews.")
        total, count = m.groupby(item_s).transform("sum"), m.groupby(item_s).transform("count")
        others = count - 1
        want = ((total - m) / others.where(others > 0)).fillna(m.mean()).to_numpy()
        judge(got, want, [
            (("Your profile includes the review's own mention: that is the leak. Leave the "
              "review out of its own item's share."), (total / count).to_numpy()),
            (("You took the review out of the mentions but not out of the number of "
              "reviews you divide by."), ((total - m) / count).to_numpy()),
            ("An item with no other review should get the overall share, not 0.",
             ((total - m) / others.where(others > 0)).fillna(0.0).to_numpy()),
            ("The fallback is the share over all reviews, not 0.5.",
             ((total - m) / others.where(others > 0)).fillna(0.5).to_numpy()),
        ], "Not quite: work out one review's share by hand (the other reviews of its item "
           "only) and compare.")

    over(cases, check_one)
    ok("each review's profile leaves out its own label.")

