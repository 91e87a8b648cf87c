"""The contract every model of the book passes (llmrec_utils.models.base): one
parametrised test for all of them, Spark's ALS included (marked ``spark``;
skipped without Java or PySpark); the unknown-id rule and the tie-breaking.
The models and the toy data are tests/conftest.py's fixtures."""

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.data import ITEM, RANK, SCORE, USER
from llmrec_utils.models import base, mf

# every model of tests/conftest.py's make_models, and Spark's ALS
NAMES = ["global mean", "popularity", "ALS", "SGD", "EASE", "BPR", "surprise SVD",
         "implicit ALS", "content", "weighted blend", "gated blend", "FeatureMF",
         "FeatureMF with features", "LightFM", "LightFM with features"]  # fmt: skip
ALL = NAMES + [pytest.param("Spark ALS", marks=pytest.mark.spark)]
# models that draw at random: another seed, another fit (the others use it for ties)
STOCHASTIC = {"ALS", "SGD", "BPR", "surprise SVD", "implicit ALS", "FeatureMF",
              "FeatureMF with features", "LightFM", "LightFM with features", "Spark ALS"}


def test_the_contract_test_covers_every_model(make_models):
    assert list(make_models()) == NAMES


@pytest.fixture(scope="module")
def spark_session():
    """A local Spark session for the module (the same settings as tests/test_spark.py)."""
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    from llmrec_utils.models import spark_als

    if spark_als.java_version() is None:
        pytest.skip("no Java: Spark cannot start (see llmrec_utils.models.spark_als.require_java)")
    session = spark_als.session("llmrec-tests", cores=2)
    yield session
    session.stop()


@pytest.fixture
def build(request, make_models):
    """``build(name, seed)``: a fresh, unfitted model of the contract test."""
    def make(name, seed=base.SEED):
        if name == "Spark ALS":
            request.getfixturevalue("spark_session")
            from llmrec_utils.models.spark_als import SparkALS

            return SparkALS(factors=4, reg=0.05, max_iter=10, seed=seed)
        return make_models(seed)[name]

    return make


def rated(model, scores):
    """What ``predict`` returns for raw scores: clipped to the scale for a rating model."""
    return np.clip(scores, *model.rating_scale) if getattr(model, "explicit", False) else scores


def assert_ties_follow_the_seed(model, recs):
    """Within each user's run of equal scores, items come by descending tie-breaker."""
    runs = 0
    for u, g in recs.groupby(USER, sort=False):
        s, items = g[SCORE].to_numpy(), g[ITEM].to_numpy()
        ties = base.pair_tie_breaker(model.seed, np.full(len(items), u), items)
        for a in range(len(s) - 1):
            if s[a] == s[a + 1]:
                runs += 1
                assert ties[a] > ties[a + 1], (u, items[a], items[a + 1])
    return runs


@pytest.mark.parametrize("name", ALL)
def test_recommender_contract(name, build, block_ratings):
    train = block_ratings()
    model = build(name)
    assert repr(model).startswith(type(model).__name__ + "(")
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(np.array([0]), np.array([0]))
    members = [v for v in vars(model).values() if isinstance(v, base.Base)]
    assert model.fit(train) is model
    assert isinstance(model, base.Recommender)  # methods, seed, and users_/items_ once fitted
    assert not any(hasattr(m, "items_") for m in members)  # fit copies, never refits, them
    for ids in (model.users_, model.items_):  # read by the metrics and the re-rankers
        assert isinstance(ids, pd.Index) and ids.is_monotonic_increasing and ids.is_unique
    assert list(model.users_) == sorted(train[USER].unique())
    assert set(train[ITEM]) <= set(model.items_)
    # predict: one finite score per pair, the pair's entry of score(), clipped;
    # unknown ids get the documented fallback
    users = np.array([0, 0, 999, 0, 999])
    items = np.array([1, 15, 1, 999, 999])
    scores = model.predict(users, items)
    assert scores.shape == (5,) and np.isfinite(scores).all()
    fallback = model.fallback(users[2:], items[2:])
    assert np.isfinite(fallback).all()
    assert scores[2:] == pytest.approx(rated(model, fallback))
    with pytest.raises(ValueError, match="equal length"):
        model.predict(np.array([0, 1]), np.array([0]))
    # score: every known item, in items_ order; predict agrees with it
    S = model.score([0, 15, 999])
    assert S.shape == (3, len(model.items_))
    cols = model.items_.get_indexer([1, 15])
    assert rated(model, S[0, cols]) == pytest.approx(scores[:2], rel=1e-4, abs=1e-6)
    assert S[2] == pytest.approx(model.fallback(np.full(len(model.items_), 999),
                                                model.items_.to_numpy()))
    # recommend: the documented shape, best first, no training items, k respected
    recs = model.recommend([0, 1], k=5)
    assert list(recs.columns) == [USER, ITEM, SCORE, RANK]
    assert recs.groupby(USER).size().max() <= 5
    for u, group in recs.groupby(USER):
        assert (np.diff(group[SCORE].to_numpy()) <= 1e-12).all()
        assert group[RANK].tolist() == list(range(1, len(group) + 1))
        seen = set(train.loc[train[USER] == u, ITEM])
        assert not seen & set(group[ITEM])
    assert_ties_follow_the_seed(model, model.recommend([0, 1], k=len(model.items_)))
    # candidates: only the given items come back, unknown ones scored by fallback;
    # the unknown ones tie (one fallback), and the model's seed orders them
    cands = [0, 1, 2, 3, 995, 996, 997, 998, 999]
    recs = model.recommend([0, 1], k=len(cands), exclude_seen=False, items=cands)
    assert set(recs[ITEM]) <= set(cands) and len(recs) == 2 * len(cands)
    assert assert_ties_follow_the_seed(model, recs) >= 2 * 4
    with pytest.raises(ValueError, match="not in the training data"):
        model.recommend([12345])


@pytest.mark.parametrize("name", ALL)
def test_the_seed_is_passed_on(name, build, block_ratings):
    """The same seed, the same fit; another seed, another fit for a model that
    draws at random (its seed reaches the library that draws)."""
    train = block_ratings()
    users = np.repeat(np.arange(20), 24)
    items = np.tile(np.arange(24), 20)
    first = build(name, seed=1).fit(train).predict(users, items)
    again = build(name, seed=1).fit(train).predict(users, items)
    np.testing.assert_array_equal(first, again)
    other = build(name, seed=2).fit(train).predict(users, items)
    if name in STOCHASTIC:
        assert not np.allclose(first, other)
    else:
        np.testing.assert_array_equal(first, other)


def test_ties_are_broken_per_user_and_per_seed(block_ratings):
    train = block_ratings()
    lists = {}
    for seed in (1, 2):
        recs = base.GlobalMean(seed=seed).fit(train).recommend([0, 1], k=10)
        for u, g in recs.groupby(USER):
            lists[seed, u] = g[ITEM].tolist()
    assert lists[1, 0] != lists[2, 0]  # another seed, another order of the ties
    # the same user's tied items come in a different order for another user
    common = [i for i in lists[1, 0] if i in lists[1, 1]]
    assert [i for i in lists[1, 1] if i in common] != common or len(common) < 2
    again = base.GlobalMean(seed=1).fit(train).recommend([0, 1], k=10)
    assert again.loc[again[USER] == 0, ITEM].tolist() == lists[1, 0]  # reproducible


def test_tie_breaker_never_reorders_distinct_scores():
    class Close(base.Base):
        def _fit(self, u, i, r):
            pass

        def _scores(self, u):  # distinct but nearly equal scores: item 0 best
            return np.tile(1e6 - 1e-9 * np.arange(len(self.items_)), (len(u), 1))

    train = pd.DataFrame({USER: [0, 1], ITEM: [0, 1]})
    recs = Close().fit(train).recommend([0, 1], k=2, exclude_seen=False)
    assert recs.groupby(USER)[ITEM].apply(list).tolist() == [[0, 1], [0, 1]]
    recs = Close().fit(train).recommend([0], k=2, exclude_seen=False, items=[1, 0])
    assert recs[SCORE].tolist() == [1e6, 1e6 - 1e-9]  # the model's own scores


def test_tie_breaker_depends_on_ids_not_positions():
    t = base.tie_breaker(7, [3, 4], [10, 11, 12])
    assert t.shape == (2, 3) and ((t >= 0) & (t < 1)).all()
    assert base.tie_breaker(7, [4], [12, 10])[0] == pytest.approx(t[1, [2, 0]])
    assert not np.allclose(base.tie_breaker(8, [3, 4], [10, 11, 12]), t)
    assert base.tie_breaker(7, ["a"], ["x", "y"]).shape == (1, 2)
    pairs = base.pair_tie_breaker(7, np.array([3, 4, 4], np.int32), [10, 12, 11])
    assert pairs.tolist() == [t[0, 0], t[1, 2], t[1, 1]]  # the same numbers, any int width


def test_popularity_scores_unknown_users_by_the_item_count(block_ratings):
    train = block_ratings()
    model = base.Popularity().fit(train)
    count = int((train[ITEM] == 3).sum())
    assert model.predict([999, 999], [3, 999]).tolist() == [count, 0.0]


@pytest.mark.parametrize("make", [
    lambda: mf.BiasedMF(factors=0), lambda: mf.BPR(factors=0),
])  # fmt: skip
def test_factors_must_be_positive(make):
    with pytest.raises(ValueError, match="factors"):
        make()
