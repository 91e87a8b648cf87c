"""Bootstrap intervals, the fast macro-F1 and neighbour overlap."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from llmrec_utils import evaluation


def test_macro_f1_matches_sklearn_on_random_labels():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.choice(["a", "b", "c", "d"], size=50)
        p = rng.choice(["a", "b", "c"], size=50)  # "d" is never predicted
        assert evaluation.macro_f1(y, p) == pytest.approx(f1_score(y, p, average="macro"))
    assert evaluation.macro_f1([1, 1, 0], [1, 1, 0]) == 1.0
    with pytest.raises(ValueError):
        evaluation.macro_f1([], [])


def test_bootstrap_ci_brackets_the_estimate_and_narrows_with_n():
    rng = np.random.default_rng(1)
    small = rng.random(50) < 0.7
    large = rng.random(5000) < 0.7
    a = evaluation.bootstrap_ci(np.mean, small, n_boot=500)
    b = evaluation.bootstrap_ci(np.mean, large, n_boot=500)
    assert a.low <= a.estimate <= a.high and b.low <= b.estimate <= b.high
    assert (b.high - b.low) < (a.high - a.low) / 4
    assert evaluation.bootstrap_ci(np.mean, small, n_boot=200, seed=3) == evaluation.bootstrap_ci(
        np.mean, small, n_boot=200, seed=3
    )
    with pytest.raises(ValueError, match="at least 2"):
        evaluation.bootstrap_ci(np.mean, [1.0])


def test_paired_difference_is_narrower_than_separate_intervals():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    a = np.where(rng.random(400) < 0.8, y, 1 - y)
    b = np.where(rng.random(400) < 0.9, a, 1 - a)  # b mostly agrees with a
    acc = lambda t, p: float(np.mean(t == p))  # noqa: E731
    diff = evaluation.paired_bootstrap_diff(acc, y, a, b, n_boot=500)
    sep_a = evaluation.bootstrap_ci(acc, y, a, n_boot=500)
    assert diff.estimate == pytest.approx(acc(y, b) - acc(y, a))
    assert diff.high - diff.low < sep_a.high - sep_a.low
    assert str(diff).count("[") == 1


def test_neighbour_overlap_limits():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 8))
    sim = x @ x.T
    assert evaluation.neighbour_overlap(sim, sim, k=5) == 1.0
    random_sim = rng.random((60, 60))
    chance = 5 / 59
    assert evaluation.neighbour_overlap(sim, random_sim + random_sim.T, k=5) < 4 * chance
    with pytest.raises(ValueError, match="square"):
        evaluation.neighbour_overlap(sim, sim[:10], k=5)
    with pytest.raises(ValueError, match="k must be"):
        evaluation.neighbour_overlap(sim, sim, k=60)
