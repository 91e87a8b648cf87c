"""Uncertainty of results: bootstrap confidence intervals, paired comparisons.

Every chapter that reports a score on a test set reports its uncertainty with
these. Taught in ``notebooks/07_evaluation.ipynb``; first used in chapter 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .config import SEED


@dataclass(frozen=True)
class Interval:
    """A point estimate with a (1 - alpha) bootstrap percentile interval."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


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
    y_true,
    pred_a,
    pred_b,
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


def neighbour_overlap(sim_a: np.ndarray, sim_b: np.ndarray, k: int = 10, seed: int = SEED) -> float:
    """Mean share of each row's top-``k`` neighbours under ``sim_a`` also top-``k`` under ``sim_b``.

    Both are square similarity matrices over the same items; an item is never
    its own neighbour. Ties are broken at random (with ``seed``), so a coarse
    similarity (e.g. shared genres) is not flattered by the order of the rows.
    A random neighbour list scores ``k / (n - 1)`` on average.
    """
    a, b = np.asarray(sim_a, dtype=float), np.asarray(sim_b, dtype=float)
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"need two square matrices of the same shape, got {a.shape} and {b.shape}.")
    n = a.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, {n - 1}] for {n} items, got {k}.")
    rng = np.random.default_rng(seed)

    def top(sim):
        noisy = sim + rng.random(sim.shape) * 1e-9 * (np.abs(sim).max() + 1)
        np.fill_diagonal(noisy, -np.inf)
        return np.argpartition(-noisy, k, axis=1)[:, :k]

    ta, tb = top(a), top(b)
    shared = [len(np.intersect1d(x, y, assume_unique=True)) for x, y in zip(ta, tb)]
    return float(np.mean(shared) / k)


def macro_f1(y_true, y_pred) -> float:
    """Macro-averaged F1 over the classes present in either array (NumPy only).

    Same value as ``sklearn.metrics.f1_score(..., average="macro")`` (a class
    never predicted and never true does not exist; a class with no true
    positives scores 0), but fast enough to call thousands of times in a
    bootstrap.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError("y_true and y_pred must be non-empty 1-d arrays of the same length.")
    classes, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    t, p = codes[: len(y_true)], codes[len(y_true) :]
    k = len(classes)
    tp = np.bincount(t[t == p], minlength=k)
    fp = np.bincount(p, minlength=k) - tp
    fn = np.bincount(t, minlength=k) - tp
    denom = 2 * tp + fp + fn
    return float(np.mean(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)))
