"""Uncertainty of results: bootstrap intervals, paired comparisons and verdicts.

Every chapter that reports a score on a test set reports its uncertainty with
these, as one :class:`Interval` type (printed with ``str(ci)`` or
``format(ci, "+.3f")``). A difference between two systems is a paired interval
over the same users (:func:`compare`, :func:`paired_bootstrap_diff`), over
whole clusters when rows of one item move together
(:func:`cluster_bootstrap_diff`), or over folds (:func:`paired_fold_interval`);
:func:`verdict` reads the words of a sentence off that interval. For click
models, :func:`auc_logloss` and :func:`compare_clicks`. Taught in
``notebooks/08_evaluation.ipynb``; first used in chapter 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..config import SEED
from .metrics import _check_scores, logloss, roc_auc

__all__ = ['auc_logloss', 'compare_clicks']  # fmt: skip


@dataclass(frozen=True)
class Interval:
    """A point estimate with a (1 - alpha) bootstrap percentile interval."""

    estimate: float
    low: float
    high: float

    def format(self, spec: str = ".3f", estimate: bool = True) -> str:
        """``"0.412 [0.398, 0.427]"`` with each number formatted by ``spec``
        (e.g. ``"+.3f"`` for differences); ``estimate=False`` gives the bounds only."""
        bounds = f"[{self.low:{spec}}, {self.high:{spec}}]"
        return f"{self.estimate:{spec}} {bounds}" if estimate else bounds

    def __format__(self, spec: str) -> str:
        return self.format(spec or ".3f")

    def __str__(self) -> str:
        return self.format()


def _resample_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    if n < 2:
        raise ValueError(f"need at least 2 test cases to bootstrap, got {n}.")
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def bootstrap_ci(
    metric: Callable[..., float],
    *arrays,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = SEED,
) -> Interval:
    """Percentile bootstrap over cases (rows) for ``metric(*arrays)``.

    ``arrays`` are aligned per case (e.g. ``y_true, y_pred``); each resample
    draws cases with replacement and recomputes the metric.
    """
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("all arrays must have one entry per case.")
    idx = _resample_indices(n, n_boot, seed)
    stats = np.array([metric(*(a[i] for a in arrays)) for i in idx])
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return Interval(float(metric(*arrays)), float(low), float(high))


def paired_bootstrap_diff(
    metric: Callable[..., float],
    y_true: ArrayLike,
    pred_a: ArrayLike,
    pred_b: ArrayLike,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = SEED,
) -> Interval:
    """Bootstrap interval of ``metric(y, b) - metric(y, a)`` on the same resampled cases.

    Pairing (both systems scored on the same resample) removes the variance
    that comes from which cases happen to be in the test set, so the interval
    of the difference is much narrower than the two separate intervals suggest.
    """
    y, a, b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    if not len(y) == len(a) == len(b):
        raise ValueError("y_true, pred_a and pred_b must have one entry per case.")
    idx = _resample_indices(len(y), n_boot, seed)
    diffs = np.array([metric(y[i], b[i]) - metric(y[i], a[i]) for i in idx])
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    return Interval(float(metric(y, b) - metric(y, a)), float(low), float(high))


@dataclass(frozen=True)
class Comparison:
    """Paired comparison of two systems over the same users: ``b - a``."""

    diff: float  # mean over users of (b - a)
    low: float  # bootstrap interval of the mean difference
    high: float
    p_value: float  # two-sided paired sign-flip permutation test
    n: int  # number of paired users

    @property
    def interval(self) -> Interval:
        """The mean difference and its interval, as an :class:`Interval`."""
        return Interval(self.diff, self.low, self.high)

    def __str__(self) -> str:
        return f"{self.interval:+.4f}, p={self.p_value:.3g}"


def compare(a: pd.Series | ArrayLike, b: pd.Series | ArrayLike, n_boot: int = 2000,
            alpha: float = 0.05, seed: int = SEED) -> Comparison:  # fmt: skip
    """Paired bootstrap interval and permutation p-value for ``mean(b - a)``.

    ``a`` and ``b`` are per-user scores (Series indexed by user, or aligned
    arrays). The p-value flips the sign of each user's difference at random
    (the null: the two systems are exchangeable for every user).
    """
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        if not a.index.equals(b.index):
            if set(a.index) != set(b.index):
                raise ValueError("a and b must score the same users; align them first.")
            b = b.reindex(a.index)
    d = np.asarray(b, float) - np.asarray(a, float)
    if d.ndim != 1 or len(d) < 2:
        raise ValueError("need per-user scores for at least 2 users.")
    ci = bootstrap_ci(np.mean, d, n_boot=n_boot, alpha=alpha, seed=seed)
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_boot, len(d)))
    null = np.abs((signs * d).mean(axis=1))
    p = (1 + np.sum(null >= abs(d.mean()) - 1e-15)) / (n_boot + 1)
    return Comparison(ci.estimate, ci.low, ci.high, float(p), len(d))


# --- the verdict a sentence may state, read off the interval -------------------
VERDICTS = ("higher", "lower", "tied")


def verdict(cmp, higher: str = "higher", lower: str = "lower",
            tied: str = "no different by its interval") -> str:  # fmt: skip
    """The one word a sentence may say about a difference, from its interval.

    ``cmp`` is anything with ``low`` and ``high`` (a :class:`Comparison`, an
    :class:`Interval` of a difference ``b - a``). Returns ``higher`` when the
    whole interval lies above zero (``low > 0``), ``lower`` when it lies below
    (``high < 0``), else ``tied`` (the interval contains zero: no difference
    this test can tell). Pass the words the sentence needs, e.g.
    ``verdict(c, "better", "worse", "tied")``, and glue the result, so that
    prose and interval cannot disagree. The sign of the point estimate never
    decides.
    """
    low, high = float(cmp.low), float(cmp.high)
    if not low <= high:
        raise ValueError(f"not an interval: low={low} > high={high}.")
    if low > 0:
        return higher
    if high < 0:
        return lower
    return tied


def cluster_bootstrap_diff(metric: Callable[..., float], y_true: ArrayLike, pred_a: ArrayLike,
                           pred_b: ArrayLike, clusters: ArrayLike, n_boot: int = 1000,
                           alpha: float = 0.05, seed: int = SEED) -> Interval:  # fmt: skip
    """:func:`paired_bootstrap_diff` that resamples *clusters* of rows, not rows.

    Rows that share a cluster (the clicks on one film, the ratings of one
    user) are correlated: a bootstrap over rows treats 10,000 clicks on 170
    films as 10,000 independent facts and gives an interval far too narrow
    for a claim about *films*. Here each resample draws the clusters with
    replacement and keeps all the rows of each drawn cluster (Field and
    Welsh, 2007), so the interval is about the population the claim names.
    Returns the interval of ``metric(y, b) - metric(y, a)``.
    """
    y, a, b, g = (np.asarray(v) for v in (y_true, pred_a, pred_b, clusters))
    if not len(y) == len(a) == len(b) == len(g):
        raise ValueError("y_true, pred_a, pred_b and clusters must have one entry per row.")
    codes, uniques = pd.factorize(g)
    if len(uniques) < 2:
        raise ValueError(f"need at least 2 clusters to bootstrap, got {len(uniques)}.")
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    members = [order[starts[c]:starts[c + 1]] for c in range(len(uniques))]
    diffs = []
    for drawn in _resample_indices(len(uniques), n_boot, seed):
        i = np.concatenate([members[c] for c in drawn])
        diffs.append(metric(y[i], b[i]) - metric(y[i], a[i]))
    low, high = np.nanquantile(diffs, [alpha / 2, 1 - alpha / 2])
    return Interval(float(metric(y, b) - metric(y, a)), float(low), float(high))


# --- paired comparison over cross-validation folds (chapters 4 and 9) ------------
def paired_fold_interval(a: ArrayLike, b: ArrayLike, alpha: float = 0.05) -> Interval:
    """Mean of ``b - a`` over folds with a Student-t ``(1 - alpha)`` interval.

    ``a`` and ``b`` hold one score per fold (e.g. RMSE), the same folds in the
    same order. Two models scored on the same folds are compared by their
    per-fold differences, not by the fold-to-fold spread of each: the folds'
    shared difficulty cancels in the difference. With a handful of folds a
    bootstrap over the differences is too coarse, hence the t-interval with
    ``n - 1`` degrees of freedom. The folds share training data, so the
    differences are not independent and the interval is, if anything, too
    narrow (Nadeau and Bengio, 2003): read a bound close to 0 with care.
    """
    from scipy import stats

    d = np.asarray(b, float) - np.asarray(a, float)
    if d.ndim != 1 or len(d) < 2 or np.shape(a) != np.shape(b):
        raise ValueError("need one score per fold for both models, on at least 2 folds.")
    mean = float(d.mean())
    half = float(stats.t.ppf(1 - alpha / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return Interval(mean, mean - half, mean + half)


def _click_replicates(y: np.ndarray, p: np.ndarray, weights: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """AUC and log loss of each resample at once, a resample given by how
    many times it repeats each row (``weights``, resamples x rows): the
    numbers :func:`roc_auc` and :func:`logloss` give on the repeated rows.

    The rows are sorted by score once; in each resample a positive row is
    credited with the weight of the negatives scored below it, plus half of
    those tied with it (the Mann-Whitney form of the AUC), a cumulative sum
    instead of a sort per resample. A resample with one class has AUC nan."""
    order = np.argsort(p, kind="stable")
    ps, ys = p[order], y[order].astype(float)
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])  # groups of tied scores
    w = weights[:, order].astype(float)
    pos = np.add.reduceat(w * ys, starts, axis=1)
    neg = np.add.reduceat(w * (1 - ys), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(1) / (pos.sum(1) * neg.sum(1))
    q = np.clip(ps, 1e-7, 1 - 1e-7)  # logloss's clip
    loss = w @ -(ys * np.log(q) + (1 - ys) * np.log(1 - q)) / w.sum(1)
    return auc, loss


def _row_weights(n: int, n_boot: int, seed: int, clusters: ArrayLike | None = None,
                 chunk: int = 100):  # fmt: skip
    """The resamples of :func:`bootstrap_ci` (rows) or of
    :func:`cluster_bootstrap_diff` (whole clusters), the same draws, as each
    row's number of copies: ``chunk`` resamples at a time (bounded memory)."""
    if clusters is None:
        codes, size = np.arange(n), n
    else:
        codes, uniques = pd.factorize(np.asarray(clusters))
        if len(uniques) < 2:
            raise ValueError(f"need at least 2 clusters to bootstrap, got {len(uniques)}.")
        size = len(uniques)
    drawn = _resample_indices(size, n_boot, seed)
    for start in range(0, n_boot, chunk):
        block = drawn[start:start + chunk]
        flat = (block + size * np.arange(len(block))[:, None]).ravel()
        counts = np.bincount(flat, minlength=len(block) * size).reshape(len(block), size)
        yield counts[:, codes]


def _percentiles(values: np.ndarray, estimate: float, alpha: float) -> Interval:
    low, high = np.nanquantile(values, [alpha / 2, 1 - alpha / 2])
    return Interval(float(estimate), float(low), float(high))


def auc_logloss(y: ArrayLike, p: ArrayLike, n_boot: int = 1000, alpha: float = 0.05,
                seed: int = SEED) -> dict[str, Interval]:  # fmt: skip
    """``{"AUC": Interval, "log loss": Interval}``: each with a percentile
    bootstrap interval over rows, the resamples of
    :func:`~llmrec_utils.evaluation.uncertainty.bootstrap_ci` (scored all at
    once, :func:`_click_replicates`)."""
    y, p = _check_scores(y, p)
    if y.min() == y.max():
        raise ValueError("AUC needs both classes among the rows.")
    reps = [_click_replicates(y, p, w) for w in _row_weights(len(y), n_boot, seed)]
    auc, loss = (np.concatenate(r) for r in zip(*reps))
    return {"AUC": _percentiles(auc, roc_auc(y, p), alpha),
            "log loss": _percentiles(loss, logloss(y, p), alpha)}


def compare_clicks(y: ArrayLike, p_a: ArrayLike, p_b: ArrayLike, n_boot: int = 1000,
            alpha: float = 0.05, seed: int = SEED,
            clusters: ArrayLike | None = None) -> dict[str, Interval]:  # fmt: skip
    """Paired bootstrap of model b minus model a on the same rows: ``{"AUC":
    Interval, "log loss": Interval}`` of the differences (an AUC gain is
    positive; a log-loss gain negative). With ``clusters`` (one label per
    row, e.g. the item of each click) whole clusters are resampled, as in
    :func:`~llmrec_utils.evaluation.uncertainty.cluster_bootstrap_diff`: use it when the
    claim is about items or users and their rows are correlated. The
    resamples are those of :func:`paired_bootstrap_diff` (or
    :func:`cluster_bootstrap_diff`), scored all at once."""
    y, p_a = _check_scores(y, p_a)
    _, p_b = _check_scores(y, p_b)
    if clusters is not None and len(np.asarray(clusters)) != len(y):
        raise ValueError("y_true, pred_a, pred_b and clusters must have one entry per row.")
    diffs = []
    for w in _row_weights(len(y), n_boot, seed, clusters):
        (auc_a, loss_a), (auc_b, loss_b) = (_click_replicates(y, p, w) for p in (p_a, p_b))
        diffs.append((auc_b - auc_a, loss_b - loss_a))
    auc, loss = (np.concatenate(d) for d in zip(*diffs))
    return {"AUC": _percentiles(auc, roc_auc(y, p_b) - roc_auc(y, p_a), alpha),
            "log loss": _percentiles(loss, logloss(y, p_b) - logloss(y, p_a), alpha)}
