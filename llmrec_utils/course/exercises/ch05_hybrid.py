"""Chapter 5's exercise checks (``notebooks/05_hybrid.ipynb``): per-row z-scores,
content scores and the gated blend."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ...data.columns import ITEM, USER
from .common import ExerciseError, array, call, checked, fresh_rng, judge, ok, over


@checked
def check_zscore_rows(fn: Callable) -> None:
    """``fn(S) -> Z``: standardise each row; a constant row becomes zeros."""
    from ...models.hybrid import zscore_rows

    cases = [
        np.array([[1.0, 2.0, 3.0, 6.0], [4.0, 4.0, 4.0, 4.0], [0.0, -1.0, 5.0, 2.0]]),
        np.array([[-3.0, 0.5, 2.0], [0.0, 0.0, 0.0], [10.0, 12.0, 17.0], [-1.0, -4.0, -2.0]]),
    ]
    # fresh: rows on their own scales, one of them constant (a whole number, so that
    # its mean is exact and its standard deviation exactly 0)
    fresh = fresh_rng()
    rows, cols = int(fresh.integers(3, 7)), int(fresh.integers(3, 9))
    S = fresh.normal(fresh.uniform(-5, 5, (rows, 1)), fresh.uniform(0.5, 4, (rows, 1)),
                     (rows, cols))  # fmt: skip
    S[fresh.integers(rows)] = float(fresh.integers(-5, 6))
    cases.append(S)

    def check_one(S) -> None:
        with np.errstate(all="ignore"):
            got = array(call(fn, S.copy(), errors={ValueError: (
                "Shapes do not broadcast: keep the row axis (keepdims=True) so each row "
                "uses its own mean and std.")}), "Z", S.shape)
        if not np.isfinite(got).all():
            raise ExerciseError("Z has NaN or inf: a constant row has standard deviation 0; "
                                "return zeros for it instead of dividing.")  # fmt: skip
        # constant rows stay zeros in each mistake, as the exercise asks, so one mistake shows
        mean, sd = S.mean(axis=1, keepdims=True), S.std(axis=1, keepdims=True)
        safe = np.where(sd > 0, sd, 1.0)
        sample_sd = np.where(sd > 0, S.std(axis=1, ddof=1, keepdims=True), 1.0)
        judge(got, zscore_rows(S), [
            ("You used the sample standard deviation (ddof=1); use the population one (ddof=0).",
             np.where(sd > 0, (S - mean) / sample_sd, 0.0)),
            ("You standardised the columns (axis=0); standardise each row (axis=1).",
             (S - S.mean(axis=0)) / S.std(axis=0)),
            ("You used the mean and std of the whole matrix; use each row's own.",
             (S - S.mean()) / S.std()),
            ("You did not subtract the row mean.", np.where(sd > 0, S / safe, 0.0)),
            ("You did not divide by the row's standard deviation.", S - mean),
        ], "Not quite: subtract each row's mean and divide by that row's standard "
           "deviation.")  # fmt: skip

    over(cases, check_one)
    ok("rows standardised, constant rows mapped to zeros.")


@checked
def check_content_scores(fn: Callable) -> None:
    """``fn(V, rated) -> scores``: centred-cosine content scores for one user."""
    from ...models.hybrid import ContentModel

    def unit(X):
        return X / np.linalg.norm(X, axis=-1, keepdims=True)

    def make(rng, n, dim, rated, offset=2.0):  # offset: shared by every item
        V = rng.normal(size=(n, dim)) * rng.uniform(0.5, 2.0, size=(n, 1)) + offset
        return V, np.array(rated)

    rng, fresh = np.random.default_rng(3), fresh_rng()
    n_fresh = int(fresh.integers(6, 15))
    cases = [make(rng, 12, 5, [1, 4, 7]), make(rng, 9, 4, [2, 3, 5, 8]),
             make(fresh, n_fresh, int(fresh.integers(3, 7)),
                  fresh.choice(n_fresh, int(fresh.integers(2, n_fresh // 2 + 1)), replace=False),
                  fresh.uniform(1.0, 3.0))]  # fmt: skip

    def check_one(case) -> None:
        V, rated = case
        n = len(V)
        model = ContentModel(np.arange(n), V).fit(pd.DataFrame({USER: 0, ITEM: rated}))
        want = model.score([0])[0]
        got = array(call(fn, V.copy(), rated.copy()), "scores", want.shape)
        Vc, Vr = V - V.mean(axis=0), V - V.mean(axis=1, keepdims=True)
        judge(got, want, [
            (("You did not centre V: subtract the mean item vector first (embeddings share an "
              "offset that makes every cosine large)."), unit(V) @ unit(unit(V)[rated].mean(0))),
            ("You centred each row on its own mean; centre on the mean item vector (axis=0).",
             unit(Vr) @ unit(unit(Vr)[rated].mean(0))),
            ("You did not normalise the item rows; cosines need unit vectors.",
             Vc @ unit(Vc[rated].mean(0))),
            ("You did not normalise the taste vector, so the scores are not cosines.",
             unit(Vc) @ unit(Vc)[rated].mean(0)),
            ("Your taste vector averages all items; average the rated rows only.",
             unit(Vc) @ unit(unit(Vc).mean(0))),
        ], "Not quite: centre, normalise rows, average the rated rows, normalise, "
           "dot.")  # fmt: skip

    over(cases, check_one)
    ok("your scores equal ContentModel's cosine between taste and item vectors.")


@checked
def check_gated_blend(fn: Callable) -> None:
    """``fn(cf, content, n_ratings, weight, beta) -> scores``: per-user z-scores of
    both score matrices mixed with the gate's content weight per item."""
    from ...models.hybrid import GatedBlend, zscore_rows

    def gate(n, weight, beta):  # the library's content weight per item
        blend = GatedBlend(None, None, beta=beta, weight=weight)  # type: ignore[arg-type]
        blend.counts_ = np.asarray(n, dtype=float)
        return blend.content_weight()

    def z(S, axis=1, ddof=0):
        mean, sd = S.mean(axis=axis, keepdims=True), S.std(axis=axis, keepdims=True)
        sd_used = S.std(axis=axis, ddof=ddof, keepdims=True) if ddof else sd
        return np.divide(S - mean, sd_used, out=np.zeros_like(S), where=sd > 0)

    def make(rng, users, n, weight, beta):
        n = np.array(n)
        cf = rng.normal(2.0, 3.0, size=(users, len(n))) * (n > 0)  # cold items: CF says 0
        cf[-1] = 0.0  # a user CF knows nothing about: a constant row
        content = rng.uniform(0.1, 0.9, size=(users, len(n)))  # cosines, another scale
        return cf, content, n, weight, beta

    rng, fresh = np.random.default_rng(5), fresh_rng()
    n_fresh = fresh.integers(0, 200, int(fresh.integers(4, 9)))
    n_fresh[0] = 0
    cases = [make(rng, 3, [0, 2, 40, 7, 0, 300], 0.2, 3.0),
             make(rng, 4, [12, 0, 1, 5, 90], 0.5, 10.0),
             make(fresh, int(fresh.integers(2, 6)), n_fresh, float(fresh.uniform(0.05, 0.6)),
                  float(fresh.uniform(1.0, 20.0)))]  # fmt: skip

    def check_one(case) -> None:
        cf, content, n, weight, beta = case
        with np.errstate(all="ignore"):
            out = call(fn, cf.copy(), content.copy(), n.copy(), weight, beta, errors={
                ValueError: ("Shapes do not broadcast: the gate has one weight per item "
                             "(a column), shared by every user."),
            })  # fmt: skip
        got = array(out, "the blended scores", cf.shape)
        if not np.isfinite(got).all():
            raise ExerciseError("Your scores have NaN or inf: a user whose CF scores are all "
                                "equal has standard deviation 0; give that row zeros.")  # fmt: skip
        w = gate(n, weight, beta)
        zc, zt = zscore_rows(cf), zscore_rows(content)
        beta_only = beta / (n + beta)
        judge(got, (1 - w) * zc + w * zt, [
            (("You mixed the raw scores: z-score each user's row of both matrices first, "
              "so CF scores and cosines are on one scale."), (1 - w) * cf + w * content),
            ("You mixed first and standardised after; standardise each matrix, then mix.",
             zscore_rows((1 - w) * cf + w * content)),
            ("You standardised the columns (items); standardise each user's row.",
             (1 - w) * z(cf, axis=0) + w * z(content, axis=0)),
            ("You used the sample standard deviation (ddof=1); use the population one.",
             (1 - w) * z(cf, ddof=1) + w * z(content, ddof=1)),
            (("The weights are on the wrong sides: the gate's weight goes to the content "
              "scores, and a cold item should be scored by content alone."),
             w * zc + (1 - w) * zt),
            (("The floor is missing: every item, however many ratings it has, keeps at "
              "least `weight` on content."), (1 - beta_only) * zc + beta_only * zt),
            ("The gate is upside down: the more ratings an item has, the less it needs text.",
             (1 - (weight + (1 - weight) * (1 - beta_only))) * zc
             + (weight + (1 - weight) * (1 - beta_only)) * zt),
            ("You used one weight for every item; the gate's weight depends on n_i.",
             (1 - weight) * zc + weight * zt),
        ], "Not quite: check your scores for one user and one item by hand, against the "
           "exercise's formula.")  # fmt: skip

    over(cases, check_one)
    ok("both matrices on one per-user scale, and each item's content weight grows as its "
        "ratings shrink: a cold item is scored by text alone.")

