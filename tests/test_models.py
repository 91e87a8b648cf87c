"""The contract every model of the book passes (llmrec_utils.models.base): one
parametrised test for all of them, Spark's ALS included (skipped without
Java or PySpark); the unknown-id rule and the tie-breaking."""

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.data import ITEM, RANK, RATING, SCORE, USER
from llmrec_utils.models import base, feature_mf, hybrid, mf, peers
from llmrec_utils.models.peers import ImplicitModel, SurpriseModel


def block_ratings(seed=0):
    """Two taste groups: users 0-9 rate 8 of items 0-9 with 5 stars and 2 of items
    10-19 with 1 star; users 10-19 the reverse. The two unrated in-group items of
    each user are the known right answer, for rating and for top-K models."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(20):
        own = np.arange(10) + (0 if u < 10 else 10)
        other = np.arange(10) + (10 if u < 10 else 0)
        rows += [(u, i, 5.0) for i in rng.choice(own, size=8, replace=False)]
        rows += [(u, i, 1.0) for i in rng.choice(other, size=2, replace=False)]
    return pd.DataFrame(rows, columns=[USER, ITEM, RATING])


def vectors(n_items=24, seed=0):
    """Items 0-9 and 20-21 point one way, 10-19 and 22-23 the other (plus an offset)."""
    rng = np.random.default_rng(seed)
    side = np.array([1.0 if (i < 10 or i in (20, 21)) else -1.0 for i in range(n_items)])
    V = np.column_stack([side, rng.normal(0, 0.1, n_items), np.full(n_items, 5.0)])
    return np.arange(n_items), V


def make_models():
    import implicit
    import surprise

    return {
        "global mean": base.GlobalMean(),
        "popularity": base.Popularity(),
        "ALS": mf.BiasedMF(factors=4, reg=0.01, bias_reg=0.1, epochs=20),
        "SGD": mf.BiasedMF(factors=4, reg=0.01, bias_reg=0.1, epochs=60, solver="sgd", lr=0.05),
        "EASE": mf.EASE(lam=10.0),
        "BPR": mf.BPR(factors=4, lr=0.05, epochs=300, batch_size=16),
        "surprise SVD": SurpriseModel(lambda: surprise.SVD(
            n_factors=4, n_epochs=200, lr_all=0.02, random_state=0)),
        "implicit ALS": ImplicitModel(
            lambda: implicit.als.AlternatingLeastSquares(factors=4, random_state=0)),
        "content": hybrid.ContentModel(*vectors()),
        "weighted blend": hybrid.WeightedBlend(mf.EASE(10.0), hybrid.ContentModel(*vectors()), 0.3),
        "gated blend": hybrid.GatedBlend(mf.EASE(10.0), hybrid.ContentModel(*vectors()), 1.0),
        "FeatureMF": feature_mf.FeatureMF(factors=4, epochs=10, batch_size=16),
        "FeatureMF with features": feature_mf.FeatureMF(factors=4, item_features=vectors()[1],
                                                item_ids=vectors()[0], epochs=10, batch_size=16),
        "LightFM": peers.LightFMModel(factors=4, epochs=10),
        "LightFM with features": peers.LightFMModel(pd.DataFrame(vectors()[1], index=vectors()[0]),
                                                 factors=4, epochs=10),
        "Spark ALS": "spark",  # built by the contract test, which needs a session
    }


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


def build(name, request):
    model = make_models()[name]
    if model == "spark":
        request.getfixturevalue("spark_session")
        from llmrec_utils.models.spark_als import SparkALS

        model = SparkALS(factors=4, reg=0.05, max_iter=10)
    return model


@pytest.mark.parametrize("name", list(make_models()))
def test_recommender_contract(name, request):
    train = block_ratings()
    model = build(name, request)
    assert isinstance(model, base.Recommender)
    assert name.split()[0].lower() in repr(model).lower() or repr(model)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(np.array([0]), np.array([0]))
    assert model.fit(train) is model
    assert list(model.users_) == sorted(train[USER].unique())
    assert set(train[ITEM]) <= set(model.items_)
    # predict: one finite score per pair; unknown ids get the documented fallback
    users = np.array([0, 0, 999, 0, 999])
    items = np.array([1, 15, 1, 999, 999])
    scores = model.predict(users, items)
    assert scores.shape == (5,) and np.isfinite(scores).all()
    fallback = model.fallback(users[2:], items[2:])
    assert np.isfinite(fallback).all()
    assert scores[2:] == pytest.approx(model._clip(fallback))
    with pytest.raises(ValueError, match="equal length"):
        model.predict(np.array([0, 1]), np.array([0]))
    # score: every known item, in items_ order; predict agrees with it
    S = model.score([0, 15, 999])
    assert S.shape == (3, len(model.items_))
    cols = model.items_.get_indexer([1, 15])
    assert model._clip(S[0, cols]) == pytest.approx(scores[:2], rel=1e-4, abs=1e-6)
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
    # candidates: only the given items come back, unknown ones scored by fallback
    recs = model.recommend([0], k=5, exclude_seen=False, items=[0, 1, 2, 3, 999])
    assert set(recs[ITEM]) <= {0, 1, 2, 3, 999} and len(recs) == 5
    with pytest.raises(ValueError, match="not in the training data"):
        model.recommend([12345])


def test_ties_are_broken_per_user_and_per_seed():
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


def test_popularity_scores_unknown_users_by_the_item_count():
    train = block_ratings()
    model = base.Popularity().fit(train)
    count = int((train[ITEM] == 3).sum())
    assert model.predict([999, 999], [3, 999]).tolist() == [count, 0.0]


def test_mf_keeps_the_old_names():
    assert base.Base is base.Base and base.Recommender is base.Recommender
    assert base.GlobalMean is base.GlobalMean and base.Popularity is base.Popularity


@pytest.mark.parametrize("make", [
    lambda: mf.BiasedMF(factors=0), lambda: mf.BPR(factors=0),
])  # fmt: skip
def test_factors_must_be_positive(make):
    with pytest.raises(ValueError, match="factors"):
        make()
