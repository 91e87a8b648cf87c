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
