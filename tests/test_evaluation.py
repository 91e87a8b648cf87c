"""Bootstrap intervals, the fast macro-F1 and neighbour overlap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmrec_utils import config
from llmrec_utils import evaluation
from llmrec_utils.chapters import choices


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


# --- ranking protocols and comparisons (chapter 8) ---------------------------------
from llmrec_utils import data as _data
from llmrec_utils.models import base
from llmrec_utils.models import mf as _mf


def _toy_split():
    rng = np.random.default_rng(0)
    rows = [(u, i) for u in range(40) for i in rng.choice(30, 12, replace=False)]
    df = pd.DataFrame(rows, columns=["user", "item"]).assign(rating=4.0, timestamp=0)
    return _data.random_split(df, 0.25, seed=0)


def test_evaluate_and_summarise():
    split = _toy_split()
    per_user = evaluation.evaluate(base.Popularity().fit(split.train), split,
                                   ("NDCG@10", "Recall@20", "HR@5"))
    assert list(per_user.columns) == ["NDCG@10", "Recall@20", "HR@5"]
    assert len(per_user) == split.test["user"].nunique()
    s = evaluation.summarise(per_user)
    assert (s["low"] <= s["estimate"]).all() and (s["estimate"] <= s["high"]).all()
    empty = _data.Split(split.train, split.test.iloc[:0])
    with pytest.raises(ValueError, match="empty"):
        evaluation.evaluate(base.Popularity().fit(split.train), empty)


def test_one_interval_type_and_its_format():
    ci = evaluation.Interval(0.41234, 0.39871, 0.42719)
    assert str(ci) == "0.412 [0.399, 0.427]" == f"{ci}"
    assert f"{ci:+.2f}" == "+0.41 [+0.40, +0.43]"
    assert ci.format(estimate=False) == "[0.399, 0.427]"
    c = evaluation.Comparison(0.01, -0.002, 0.021, 0.04, 10)
    assert c.interval == evaluation.Interval(0.01, -0.002, 0.021)
    assert str(c) == "+0.0100 [-0.0020, +0.0210], p=0.04"
    split = _toy_split()
    per_user = evaluation.evaluate(base.Popularity().fit(split.train), split)
    cis = evaluation.intervals(per_user)
    table = evaluation.summarise(per_user)
    assert list(table.columns) == ["estimate", "low", "high"]
    for name, ci in cis.items():
        assert isinstance(ci, evaluation.Interval)
        assert evaluation.Interval(**table.loc[name]) == ci


def test_compare_detects_real_differences_only():
    rng = np.random.default_rng(1)
    a = pd.Series(rng.random(300))
    same = evaluation.compare(a, a + rng.normal(0, 0.01, 300))
    better = evaluation.compare(a, a + 0.05 + rng.normal(0, 0.01, 300))
    assert same.p_value > 0.01 and same.low < 0 < same.high
    assert better.p_value < 0.001 and better.low > 0.04 and better.n == 300
    with pytest.raises(ValueError, match="same users"):
        evaluation.compare(pd.Series([1.0, 2.0], index=[1, 2]), pd.Series([1.0, 2.0], index=[3, 4]))


def test_select_by_validation_picks_the_best():
    split = _toy_split()
    best, scores = evaluation.select_by_validation(
        {"pop": base.Popularity(), "ease": _mf.EASE(5.0)}, split)
    assert best == max(scores, key=scores.get) and set(scores) == {"pop", "ease"}
    with pytest.raises(ValueError, match="no candidates"):
        evaluation.select_by_validation({}, split)


def test_leaderboard_and_saved_rows(tmp_cache, monkeypatch):
    split = _toy_split()
    per_user = {name: evaluation.evaluate(m.fit(split.train), split)
                for name, m in {"pop": base.Popularity(), "ease": _mf.EASE(5.0)}.items()}
    evaluation.save_per_user("augmented / v1", per_user["ease"], "EASE(5.0) on toy")
    evaluation.save_per_user("old name", per_user["pop"], "Popularity()")
    saved, stale = evaluation.saved_per_user({"augmented / v1": "EASE(5.0) on toy"})
    assert list(saved) == ["augmented / v1"] and not stale  # "old name" is never read
    pd.testing.assert_frame_equal(saved["augmented / v1"], per_user["ease"])
    # another definition, another protocol, absent: stale, with the reason
    _, stale = evaluation.saved_per_user({"augmented / v1": "EASE(9.0) on toy", "new": "x"})
    assert stale == {"augmented / v1": "stored for another model definition", "new": "not in the cache"}
    monkeypatch.setitem(evaluation.LEADERBOARD_PROTOCOL, "seed", 7)
    _, stale = evaluation.saved_per_user({"augmented / v1": "EASE(5.0) on toy"})
    assert stale == {"augmented / v1": "stored under another protocol"}
    from llmrec_utils.evaluation import board as _board

    _board._row_path("old name").write_bytes(b"not parquet")  # corrupt: warned, rebuilt
    with pytest.warns(config.CorruptCacheWarning, match="corrupt"):
        _, stale = evaluation.saved_per_user({"old name": "Popularity()"})
    assert stale["old name"].startswith("unreadable")
    board = evaluation.leaderboard({**per_user, **saved}, baseline="pop")
    assert set(board.index) == {"pop", "ease", "augmented / v1"}
    assert board.loc["pop", "diff vs pop"] == "(baseline)"
    with pytest.raises(KeyError, match="baseline"):
        evaluation.leaderboard(per_user, baseline="nope")
    with pytest.raises(ValueError, match="non-empty"):
        evaluation.save_per_user("x", pd.DataFrame(), "x")
    with pytest.raises(ValueError, match="Recall@20"):
        evaluation.save_per_user("x", per_user["pop"][["NDCG@10"]], "x")


# --- rating evaluation, tuning and saved choices (chapters 4, 5, 8, 9) --------------
class _Echo:
    """Predicts the true rating of every test pair (or that plus ``shift``)."""

    def __init__(self, test, shift=0.0):
        self.truth = test.set_index(["user", "item"])["rating"]
        self.shift = shift

    def predict(self, users, items):
        return self.truth.loc[list(zip(users, items))].to_numpy() + self.shift


def _rated_split():
    rng = np.random.default_rng(2)
    rows = [(u, i, float(rng.integers(1, 6))) for u in range(30)
            for i in rng.choice(25, 10, replace=False)]
    df = pd.DataFrame(rows, columns=["user", "item", "rating"])
    return _data.random_split(df, 0.25, seed=0)


def test_rating_evaluation_has_known_answers():
    split = _rated_split()
    assert evaluation.rating_evaluation(_Echo(split.test), split) == {"RMSE": 0.0, "MAE": 0.0}
    off = evaluation.rating_evaluation(_Echo(split.test, shift=-0.5), split)
    assert off["RMSE"] == pytest.approx(0.5) and off["MAE"] == pytest.approx(0.5)
    mean = base.GlobalMean().fit(split.train)
    err = split.train["rating"].mean() - split.test["rating"]
    got = evaluation.rating_evaluation(mean, split)
    assert got["RMSE"] == pytest.approx(np.sqrt(np.mean(err**2)))
    assert got["MAE"] == pytest.approx(np.mean(np.abs(err)))


def test_ndcg_of_is_the_ndcg_of_the_models_lists():
    split = _toy_split()
    model = base.Popularity().fit(split.train)
    recs = model.recommend(split.test["user"].unique(), k=10)
    assert evaluation.ndcg_of(model, split) == pytest.approx(
        evaluation.metrics.ndcg_at_k(recs, split.test, k=10))


def _fold_fit(index, split):
    """A fold's experiment whose numbers depend on the fold only."""
    model = _mf.BiasedMF(factors=2, epochs=3, seed=0).fit(split.train)
    return index, evaluation.rating_evaluation(model, split)


def test_per_fold_gives_the_loops_results_in_fold_order():
    folds = [_data.random_split(_rated_split().train, 0.25, seed=s) for s in range(3)]
    loop = [_fold_fit(i, fold) for i, fold in enumerate(folds)]
    assert evaluation.per_fold(_fold_fit, folds, jobs=2) == loop  # bitwise equal
    assert [i for i, _ in loop] == [0, 1, 2]
    with pytest.raises(ValueError, match="no folds"):
        evaluation.per_fold(_fold_fit, [])


def test_tune_biased_mf_chooses_on_the_holdout_only():
    split = _rated_split()
    grid = ((2, 0.1), (2, 50.0))
    model = choices.tune_biased_mf(split.train, grid, seed=0)
    holdout = _data.holdout_split(split.train, seed=0)
    scores = {(f, reg): evaluation.rating_evaluation(
        _mf.BiasedMF(factors=f, reg=reg, seed=0).fit(holdout.train), holdout)["RMSE"]
        for f, reg in grid}  # fmt: skip
    assert (model.factors, model.reg) == min(scores, key=scores.get) and model.n_runs == 3
    assert model.seed == 0
    assert not hasattr(model, "users_")  # returned unfitted


def test_choose_ease_picks_from_the_grid():
    choice = choices.choose_ease(_toy_split())
    assert set(choice) == {"lam"} and choice["lam"] in choices.EASE_LAMBDAS


def test_saved_choices_are_read_back_or_made_again(tmp_cache, monkeypatch, capsys):
    calls = []
    monkeypatch.setitem(choices.CHOOSERS, "ease", lambda: calls.append(1) or {"lam": 250})
    assert choices.chosen("ease") == {"lam": 250} and len(calls) == 1  # made, saved
    assert "is missing" in capsys.readouterr().out
    assert choices.chosen("ease") == {"lam": 250} and len(calls) == 1  # read back
    choices.save_choice("ease", {"lam": 500})
    assert choices.chosen("ease") == {"lam": 500}
    path = tmp_cache / "artifacts" / "choices" / "ease.json"
    path.write_text("{")
    with pytest.warns(config.CorruptCacheWarning, match="ease.json"):
        assert choices.chosen("ease") == {"lam": 250} and len(calls) == 2
    assert "unreadable" in capsys.readouterr().out
    monkeypatch.setattr(choices, "EASE_LAMBDAS", (10, 20))  # the grid changed
    assert choices.chosen("ease") == {"lam": 250} and len(calls) == 3
    assert "another grid" in capsys.readouterr().out
    with pytest.raises(KeyError, match="weighted-blend"):
        choices.chosen("nope")
    with pytest.raises(KeyError, match="ease"):
        choices.save_choice("nope", {})


def test_paired_fold_interval_is_a_t_interval_of_the_differences():
    a = np.array([0.93, 0.92, 0.94, 0.93, 0.95])
    b = a - np.array([0.010, 0.012, 0.008, 0.011, 0.009])  # b better on every fold
    iv = evaluation.paired_fold_interval(a, b)
    d = b - a
    half = 2.7764451 * d.std(ddof=1) / np.sqrt(5)  # t(0.975, 4 df)
    assert iv.estimate == pytest.approx(d.mean())
    assert (iv.low, iv.high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert iv.high < 0  # a consistent gain excludes 0...
    # ...which the folds' spread (about 0.01 here) would have hidden
    assert a.std(ddof=1) > abs(iv.estimate)
    mixed = evaluation.paired_fold_interval(a, a + np.array([.01, -.01, .02, -.02, 0]))
    assert mixed.low < 0 < mixed.high
    with pytest.raises(ValueError, match="at least 2"):
        evaluation.paired_fold_interval([0.9], [0.8])


# --- verdicts and cluster intervals ----------------------------------------------
def test_verdict_reads_the_bounds_never_the_point_estimate():
    I = evaluation.Interval  # noqa: E741
    words = ("better", "worse", "tied")
    assert evaluation.verdict(I(0.02, 0.01, 0.03), *words) == "better"
    assert evaluation.verdict(I(-0.02, -0.03, -0.01), *words) == "worse"
    assert evaluation.verdict(I(0.02, -0.01, 0.05), *words) == "tied"  # estimate > 0
    assert evaluation.verdict(I(-0.02, -0.05, 0.01), *words) == "tied"  # estimate < 0
    # a bound on zero is not a difference the interval can tell
    assert evaluation.verdict(I(0.01, 0.0, 0.02), *words) == "tied"
    assert evaluation.verdict(I(-0.01, -0.02, 0.0), *words) == "tied"
    assert evaluation.verdict(I(0.0, 0.0, 0.0), *words) == "tied"
    assert evaluation.verdict(I(0.1, 0.05, 0.2)) == "higher"  # default words
    assert evaluation.verdict(I(-0.1, -0.2, -0.05)) == "lower"
    assert evaluation.verdict(I(0.0, -0.1, 0.1)) == "no different by its interval"
    # anything with low and high: a paired comparison, a fold interval
    rng = np.random.default_rng(3)
    a = pd.Series(rng.random(300))
    assert evaluation.verdict(evaluation.compare(a, a + 0.05), *words) == "better"
    assert evaluation.verdict(evaluation.compare(a, a - 0.05), *words) == "worse"
    noise = evaluation.compare(a, a + rng.normal(0, 0.01, 300))
    assert noise.low <= 0 <= noise.high and evaluation.verdict(noise, *words) == "tied"
    folds = evaluation.paired_fold_interval([0.93, 0.92, 0.94], [0.92, 0.91, 0.93])
    assert evaluation.verdict(folds, "higher RMSE", "lower RMSE", "tied") == "lower RMSE"


def test_verdict_rejects_what_is_not_an_interval():
    I = evaluation.Interval  # noqa: E741
    with pytest.raises(ValueError, match="not an interval"):
        evaluation.verdict(I(0.0, 0.2, 0.1))
    with pytest.raises(ValueError, match="not an interval"):
        evaluation.verdict(I(0.0, float("nan"), 0.1))  # an undefined bound decides nothing


def _rows_and_clusters(seed=0, n_clusters=20, per=100, shared=0.15):
    """Clicks on ``n_clusters`` films, ``per`` rows each; model b's gain over a
    differs by film (a shift shared by the film's rows)."""
    rng = np.random.default_rng(seed)
    film = np.repeat(np.arange(n_clusters), per)
    y = rng.integers(0, 2, size=film.size).astype(float)
    a = np.clip(0.5 + 0.2 * (y - 0.5) + rng.normal(0, 0.2, film.size), 0.01, 0.99)
    effect = rng.normal(0.02, shared, n_clusters)[film]
    b = np.clip(a + effect * (y - 0.5), 0.01, 0.99)
    return y, a, b, film


def _accuracy(y, p):
    return float(np.mean((p > 0.5) == (y > 0.5)))


def test_cluster_bootstrap_with_one_row_per_cluster_is_the_paired_bootstrap():
    y, a, b, _ = _rows_and_clusters(n_clusters=300, per=1)
    rows = evaluation.paired_bootstrap_diff(_accuracy, y, a, b, n_boot=300, seed=5)
    clusters = evaluation.cluster_bootstrap_diff(_accuracy, y, a, b, np.arange(300),
                                                 n_boot=300, seed=5)
    assert clusters == rows  # the same resamples, drawn one row at a time
    assert clusters.estimate == pytest.approx(_accuracy(y, b) - _accuracy(y, a))


def test_cluster_bootstrap_is_wider_when_a_clusters_rows_move_together():
    y, a, b, film = _rows_and_clusters()
    rows = evaluation.paired_bootstrap_diff(_accuracy, y, a, b, n_boot=300)
    films = evaluation.cluster_bootstrap_diff(_accuracy, y, a, b, film, n_boot=300)
    assert films.estimate == pytest.approx(rows.estimate)
    assert films.low <= films.estimate <= films.high
    assert films.high - films.low > 2 * (rows.high - rows.low)
    # labels of the clusters do not matter, only which rows share one
    names = np.array([f"film {f:02d}" for f in film])
    assert evaluation.cluster_bootstrap_diff(_accuracy, y, a, b, names, n_boot=300) == films
    again = evaluation.cluster_bootstrap_diff(_accuracy, y, a, b, film, n_boot=300)
    assert again == films  # seeded
    # clusters that do not move together: about as wide as the rows' interval
    y2, a2, b2, film2 = _rows_and_clusters(seed=1, shared=0.0)
    rows2 = evaluation.paired_bootstrap_diff(_accuracy, y2, a2, b2, n_boot=300)
    films2 = evaluation.cluster_bootstrap_diff(_accuracy, y2, a2, b2, film2, n_boot=300)
    assert films2.high - films2.low < 1.6 * (rows2.high - rows2.low)


def test_cluster_bootstrap_rejects_bad_input():
    y, a, b, film = _rows_and_clusters(n_clusters=5, per=10)
    with pytest.raises(ValueError, match="one entry per row"):
        evaluation.cluster_bootstrap_diff(_accuracy, y, a, b[:-1], film)
    with pytest.raises(ValueError, match="one entry per row"):
        evaluation.cluster_bootstrap_diff(_accuracy, y, a, b, film[:-1])
    with pytest.raises(ValueError, match="at least 2 clusters"):
        evaluation.cluster_bootstrap_diff(_accuracy, y, a, b, np.zeros(len(y)))
