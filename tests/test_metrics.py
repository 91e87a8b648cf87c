"""Metrics: hand-computed cases, limits, bad input, and cross-checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    ndcg_score,
)

from llmrec_utils.data import ITEM, PREDICTION, RANK, RATING, SCORE, USER
from llmrec_utils.evaluation import metrics as m
from llmrec_utils.evaluation import protocols
from llmrec_utils.models.base import Base
from llmrec_utils.data import random_split


def _toy_split():
    """40 users with 12 of 30 items each, a random quarter held out."""
    rng = np.random.default_rng(0)
    rows = [(u, i) for u in range(40) for i in rng.choice(30, 12, replace=False)]
    df = pd.DataFrame(rows, columns=[USER, ITEM]).assign(rating=4.0, timestamp=0)
    return random_split(df, 0.25, seed=0)

RANKING = [m.precision_at_k, m.recall_at_k, m.ndcg_at_k, m.map_at_k, m.hit_rate_at_k]


def recs_of(lists: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [(u, i, r) for u, items in lists.items() for r, i in enumerate(items, start=1)],
        columns=[USER, ITEM, RANK],
    )


def truth_of(sets: dict) -> pd.DataFrame:
    return pd.DataFrame([(u, i) for u, items in sets.items() for i in items], columns=[USER, ITEM])


# user 1: hits at ranks 1 and 3 of 4 recs, 3 relevant; user 2: one hit at rank 2, 1 relevant
RECS = recs_of({1: [10, 11, 12, 13], 2: [20, 21, 22]})
TRUTH = truth_of({1: [10, 12, 99], 2: [21]})
L2 = [1 / math.log2(i + 1) for i in range(1, 6)]


def test_hand_computed_values_at_3():
    assert m.precision_at_k(RECS, TRUTH, k=3) == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert m.recall_at_k(RECS, TRUTH, k=3) == pytest.approx((2 / 3 + 1) / 2)
    assert m.hit_rate_at_k(RECS, TRUTH, k=3) == 1.0
    ndcg1 = (L2[0] + L2[2]) / (L2[0] + L2[1] + L2[2])
    ndcg2 = L2[1] / L2[0]
    assert m.ndcg_at_k(RECS, TRUTH, k=3) == pytest.approx((ndcg1 + ndcg2) / 2)
    ap1 = (1 / 1 + 2 / 3) / 3
    ap2 = (1 / 2) / 1
    assert m.map_at_k(RECS, TRUTH, k=3) == pytest.approx((ap1 + ap2) / 2)


def test_k_cuts_the_list():
    assert m.precision_at_k(RECS, TRUTH, k=1, per_user=True).to_dict() == {1: 1.0, 2: 0.0}
    assert m.ndcg_at_k(RECS, TRUTH, k=1, per_user=True).to_dict() == {1: 1.0, 2: 0.0}


def test_score_column_orders_like_rank():
    by_score = RECS.assign(**{SCORE: -RECS[RANK]}).drop(columns=RANK).sample(frac=1, random_state=0)
    for f in RANKING:
        assert f(by_score, TRUTH, k=3) == pytest.approx(f(RECS, TRUTH, k=3)), f.__name__


@pytest.mark.parametrize("f", RANKING)
def test_perfect_list_scores_one(f):
    truth = truth_of({1: [1, 2], 2: [5]})
    recs = recs_of({1: [1, 2, 3], 2: [5, 6, 7]})
    expected = 1.0 if f is not m.precision_at_k else (2 / 2 + 1 / 2) / 2  # P@2 caps at |T|/k
    assert f(recs, truth, k=2) == pytest.approx(expected)


@pytest.mark.parametrize("f", RANKING)
def test_no_hit_scores_zero(f):
    assert f(recs_of({1: [7, 8, 9]}), truth_of({1: [1, 2]}), k=3) == 0.0


@pytest.mark.parametrize("f", RANKING)
def test_user_without_recommendations_counts_as_zero(f):
    per_user = f(recs_of({1: [1]}), truth_of({1: [1], 2: [2]}), k=1, per_user=True)
    assert per_user.loc[2] == 0.0 and len(per_user) == 2


@pytest.mark.parametrize("f", RANKING)
@pytest.mark.parametrize(
    "recs, truth, k, message",
    [
        (RECS.iloc[:0], TRUTH, 3, "recs is empty"),
        (RECS, TRUTH.iloc[:0], 3, "truth is empty"),
        (RECS.drop(columns=RANK), TRUTH, 3, "'rank' or a 'score'"),
        (RECS.rename(columns={ITEM: "movie"}), TRUTH, 3, r"missing column\(s\) \['item'\]"),
        (pd.concat([RECS, RECS.iloc[[0]]]), TRUTH, 3, "more than once"),
        (RECS, TRUTH, 0, "k must be an integer >= 1"),
        (RECS, TRUTH, 2.5, "k must be an integer >= 1"),
    ],
)
def test_bad_input_raises_clear_errors(f, recs, truth, k, message):
    with pytest.raises(ValueError, match=message):
        f(recs, truth, k=k)


def test_against_sklearn_and_plain_loops_on_random_data():
    rng = np.random.default_rng(0)
    n_users, n_items, k = 50, 40, 10
    rows, truth_rows, y_true, y_score = [], [], [], []
    for u in range(n_users):
        scores = rng.random(n_items)
        relevant = rng.random(n_items) < 0.15
        relevant[rng.integers(n_items)] = True  # every user has at least one
        rows += [(u, i, s) for i, s in enumerate(scores)]
        truth_rows += [(u, i) for i in np.flatnonzero(relevant)]
        y_true.append(relevant.astype(float))
        y_score.append(scores)
    recs = pd.DataFrame(rows, columns=[USER, ITEM, SCORE])
    truth = pd.DataFrame(truth_rows, columns=[USER, ITEM])
    # NDCG: scikit-learn's implementation on the same relevance vectors.
    expected = np.mean([ndcg_score([t], [s], k=k) for t, s in zip(y_true, y_score)])
    assert m.ndcg_at_k(recs, truth, k=k) == pytest.approx(expected, rel=1e-9)
    # Precision, recall, hit rate, AP: straightforward loops over each user's list.
    p, r, h, ap = [], [], [], []
    for t, s in zip(y_true, y_score):
        top = np.argsort(-s, kind="stable")[:k]
        hits = t[top]
        p.append(hits.sum() / k)
        r.append(hits.sum() / t.sum())
        h.append(float(hits.any()))
        precisions = np.cumsum(hits) / np.arange(1, k + 1)
        ap.append((precisions * hits).sum() / min(k, t.sum()))
    assert m.precision_at_k(recs, truth, k=k) == pytest.approx(np.mean(p))
    assert m.recall_at_k(recs, truth, k=k) == pytest.approx(np.mean(r))
    assert m.hit_rate_at_k(recs, truth, k=k) == pytest.approx(np.mean(h))
    assert m.map_at_k(recs, truth, k=k) == pytest.approx(np.mean(ap))


# --- rating metrics ------------------------------------------------------------
def test_rmse_mae_hand_computed_and_against_sklearn():
    truth = pd.DataFrame({USER: [1, 1, 2], ITEM: [1, 2, 1], RATING: [4, 2, 5]})
    pred = pd.DataFrame({USER: [2, 1, 1, 9], ITEM: [1, 2, 1, 9], PREDICTION: [4.0, 2.5, 4.0, 1.0]})
    assert m.rmse(pred, truth) == pytest.approx(math.sqrt((0 + 0.25 + 1) / 3))
    assert m.mae(pred, truth) == pytest.approx((0 + 0.5 + 1) / 3)
    rng = np.random.default_rng(1)
    y, yhat = rng.integers(1, 6, 200), rng.random(200) * 5
    t = pd.DataFrame({USER: range(200), ITEM: 0, RATING: y})
    p = pd.DataFrame({USER: range(200), ITEM: 0, PREDICTION: yhat})
    assert m.rmse(p, t) == pytest.approx(math.sqrt(mean_squared_error(y, yhat)))
    assert m.mae(p, t) == pytest.approx(mean_absolute_error(y, yhat))
    assert m.rmse(t.rename(columns={RATING: PREDICTION}), t) == 0.0


def test_rating_metrics_bad_input():
    truth = pd.DataFrame({USER: [1, 2], ITEM: [1, 1], RATING: [4, 5]})
    pred = pd.DataFrame({USER: [1], ITEM: [1], PREDICTION: [4.0]})
    with pytest.raises(ValueError, match="1 of 2 truth pairs have no prediction"):
        m.rmse(pred, truth)
    with pytest.raises(ValueError, match="truth is empty"):
        m.mae(pred, truth.iloc[:0])
    with pytest.raises(ValueError, match="prediction"):
        m.rmse(pred.rename(columns={PREDICTION: "yhat"}), truth)
    with pytest.raises(ValueError, match="duplicate"):
        m.rmse(pd.concat([pred, pred]), truth.iloc[:1])


def test_catalog_coverage():
    recs = recs_of({1: [1, 2, 3], 2: [1, 4, 5]})
    assert m.catalog_coverage(recs, range(1, 11), k=2) == pytest.approx(3 / 10)
    assert m.catalog_coverage(recs, pd.DataFrame({ITEM: range(1, 6)}), k=3) == 1.0
    with pytest.raises(ValueError, match="not in the catalog"):
        m.catalog_coverage(recs, [1, 2], k=3)
    with pytest.raises(ValueError, match="catalog is empty"):
        m.catalog_coverage(recs, [], k=3)


# --- moved from evaluation: classification, similarity, beyond accuracy, sampled --------
def test_macro_f1_matches_sklearn_on_random_labels():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.choice(["a", "b", "c", "d"], size=50)
        p = rng.choice(["a", "b", "c"], size=50)  # "d" is never predicted
        assert m.macro_f1(y, p) == pytest.approx(f1_score(y, p, average="macro"))
    assert m.macro_f1([1, 1, 0], [1, 1, 0]) == 1.0
    with pytest.raises(ValueError):
        m.macro_f1([], [])


def test_neighbour_overlap_limits():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 8))
    sim = x @ x.T
    assert m.neighbour_overlap(sim, sim, k=5) == 1.0
    random_sim = rng.random((60, 60))
    chance = 5 / 59
    assert m.neighbour_overlap(sim, random_sim + random_sim.T, k=5) < 4 * chance
    with pytest.raises(ValueError, match="square"):
        m.neighbour_overlap(sim, sim[:10], k=5)
    with pytest.raises(ValueError, match="k must be"):
        m.neighbour_overlap(sim, sim, k=60)
    per_item = m.neighbour_overlap(sim, random_sim + random_sim.T, k=5, per_item=True)
    assert per_item.shape == (60,) and per_item.mean() == pytest.approx(
        m.neighbour_overlap(sim, random_sim + random_sim.T, k=5))


def test_novelty_and_diversity_known_values():
    train = pd.DataFrame({"user": [1, 2, 3, 4, 1], "item": [10, 10, 10, 10, 11]})
    recs = pd.DataFrame({"user": [1, 1], "item": [10, 11]})
    assert m.novelty(recs, train) == pytest.approx((0 + 2) / 2)  # p=1 and p=1/4
    V = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert m.intra_list_diversity(recs, [10, 11], V) == pytest.approx(1.0)
    same = pd.DataFrame({"user": [1, 1], "item": [10, 10]})
    assert m.intra_list_diversity(same, [10, 11], V) == pytest.approx(0.0)


def test_sampled_metrics_perfect_model_hits_everything():
    split = _toy_split()

    class Oracle(Base):
        def _fit(self, u, i, r):
            pass

        def _scores(self, u):
            test = split.test
            s = np.zeros((len(u), len(self.items_)))
            for row, uu in enumerate(self.users_[u]):
                s[row, self.items_.get_indexer(test.loc[test["user"] == uu, "item"])] = 1.0
            return s

    out = protocols.sampled_metrics(Oracle().fit(split.train), split, n_negatives=10)
    assert (out["HR@10"] == 1).all() and (out["NDCG@10"] == 1).all()


def test_ranking_metrics_by_name():
    recs = recs_of({1: [10, 11, 12], 2: [20, 21, 22]})
    truth = truth_of({1: {11}, 2: {99}})
    table = m.ranking_metrics(recs, truth, ("NDCG@3", "HR@1", "Recall@3"))
    assert list(table.columns) == ["NDCG@3", "HR@1", "Recall@3"]
    assert table.loc[1, "NDCG@3"] == pytest.approx(1 / math.log2(3))
    assert table["HR@1"].tolist() == [0.0, 0.0] and table["Recall@3"].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="unknown metric"):
        m.ranking_metrics(pd.DataFrame(), pd.DataFrame(), ("nDCG10",))


def test_chance_metrics_equal_the_mean_over_every_order():
    """Exact: average the metrics over all 5! orders of 5 candidates."""
    import itertools

    from llmrec_utils.evaluation.metrics import chance_metrics, ranking_metrics

    cands = ["a", "b", "c", "d", "e"]
    truth = pd.DataFrame({"user": [1, 1, 2, 3, 3, 3], "item": ["a", "c", "e", "b", "x", "y"]})
    names = ("NDCG@3", "Recall@2", "Precision@3", "HR@2", "MAP@3", "NDCG@10")
    # every order at once: user u under the o-th order is the pseudo-user 10 * o + u
    orders = list(itertools.permutations(cands))
    recs = pd.DataFrame([(10 * o + u, it, r + 1) for o, order in enumerate(orders)
                         for u in (1, 2, 3) for r, it in enumerate(order)],
                        columns=["user", "item", "rank"])  # fmt: skip
    every = pd.concat([truth.assign(user=truth["user"] + 10 * o) for o in range(len(orders))])
    per_user = ranking_metrics(recs, every, names)
    assert len(per_user) == 3 * 120
    mean = per_user.groupby(per_user.index % 10).mean()
    # user 3 has 3 relevant items, one of them a candidate
    exact = chance_metrics([2, 1, 1], [5, 5, 5], [2, 1, 3], names)
    np.testing.assert_allclose(exact.to_numpy(), mean.to_numpy(), atol=1e-12)


def test_chance_level_matches_a_model_without_information(tmp_cache):
    """A model that cannot tell candidates apart averages to the exact chance level."""
    from llmrec_utils import evaluation
    from llmrec_utils.data import Split
    from llmrec_utils.models.base import Popularity

    rng = np.random.default_rng(0)
    train = pd.DataFrame({"user": np.repeat(np.arange(30), 5),
                          "item": rng.integers(0, 40, 150), "rating": 4.0}).drop_duplicates(["user", "item"])
    test = pd.DataFrame({"user": np.repeat(np.arange(30), 3),
                         "item": rng.integers(40, 60, 90), "rating": 4.0}).drop_duplicates(["user", "item"])
    split = Split(train, test)
    cold = np.arange(40, 60)
    exact = evaluation.chance_level(split, ("NDCG@5", "Recall@5"), items=cold)
    runs = [evaluation.evaluate(Popularity(seed=s).fit(train), split, ("NDCG@5", "Recall@5"), items=cold)
            for s in range(100)]
    mc = sum(runs) / len(runs)
    assert exact.index.equals(mc.index)
    np.testing.assert_allclose(exact.mean(), mc.mean(), atol=0.02)
    with pytest.raises(ValueError, match="empty"):
        evaluation.chance_level(Split(train, test.iloc[:0]))


def test_chance_metrics_rejects_impossible_counts():
    from llmrec_utils.evaluation.metrics import chance_metrics

    with pytest.raises(ValueError, match="n_relevant"):
        chance_metrics([3], [2], [3])
