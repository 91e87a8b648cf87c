"""Unit tests for llmrec_utils.models.hybrid (the content model and the blends)."""

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.data import ITEM, RATING, USER
from llmrec_utils.models import base, hybrid, mf


def test_zscore_rows():
    Z = hybrid.zscore_rows(np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]]))
    assert np.allclose(Z[0], [-1.2247449, 0, 1.2247449]) and np.allclose(Z[1], 0)
    with pytest.raises(ValueError, match="finite"):
        hybrid.zscore_rows(np.array([[1.0, -np.inf]]))


def test_content_model_scores_cold_items_by_their_vectors(block_ratings, vectors):
    ids, V = vectors()
    model = hybrid.ContentModel(ids, V).fit(block_ratings())  # items 20-23 never rated
    assert isinstance(model, base.Recommender)
    recs = model.recommend([0, 15], k=2, items=[20, 21, 22, 23])
    assert set(recs.loc[recs[USER] == 0, ITEM]) == {20, 21}
    assert set(recs.loc[recs[USER] == 15, ITEM]) == {22, 23}


def test_centering_removes_the_shared_direction(vectors):
    ids, V = vectors()
    raw = hybrid.ContentModel(ids, V, center=False)
    centred = hybrid.ContentModel(ids, V)
    assert (raw.vectors @ raw.vectors.T).min() > 0.9  # everything looks alike
    assert (centred.vectors @ centred.vectors.T).min() < -0.9


def test_weight_by_rating_pushes_away_disliked_items(vectors):
    ids, V = vectors()
    train = pd.DataFrame({USER: 0, ITEM: [0, 1, 10, 11], RATING: [5.0, 5.0, 1.0, 1.0]})
    liked = hybrid.ContentModel(ids, V, weight_by_rating=True).fit(train)
    s = liked.predict(np.array([0, 0]), np.array([20, 22]))
    assert s[0] > 0 > s[1]


def test_user_text_vectors_steer_the_taste_vector(block_ratings, vectors):
    ids, V = vectors()
    train = block_ratings()  # user 0 rated items of the first group
    other_side = np.array([[-1.0, 0.0, 5.0]])  # a profile pointing at the second group
    cold = [20, 21, 22, 23]
    for weight, want in ((0.0, {20, 21}), (0.9, {22, 23})):
        model = hybrid.ContentModel(ids, V, user_ids=[0], user_vectors=other_side,
                                    user_weight=weight).fit(train)  # fmt: skip
        recs = model.recommend([0, 15], k=2, items=cold)
        assert set(recs.loc[recs[USER] == 0, ITEM]) == want
        assert set(recs.loc[recs[USER] == 15, ITEM]) == {22, 23}  # no profile: history only
    with pytest.raises(ValueError, match="one user vector per id"):
        hybrid.ContentModel(ids, V, user_ids=[0, 1], user_vectors=other_side)
    with pytest.raises(ValueError, match="user_weight"):
        hybrid.ContentModel(ids, V, user_ids=[0], user_vectors=other_side, user_weight=2)


def test_content_model_input_checks(vectors):
    ids, V = vectors()
    with pytest.raises(ValueError, match="one vector per id"):
        hybrid.ContentModel(ids[:-1], V)
    with pytest.raises(ValueError, match="unique"):
        hybrid.ContentModel(np.zeros(len(ids)), V)
    with pytest.raises(ValueError, match="NaN"):
        hybrid.ContentModel(ids, np.full_like(V, np.nan))
    train = pd.DataFrame({USER: [0], ITEM: [999]})
    with pytest.raises(ValueError, match="without a vector"):
        hybrid.ContentModel(ids, V).fit(train)


def test_blend_weights_interpolate_between_members(block_ratings, vectors):
    ids, V = vectors()
    train = block_ratings()
    for weight, like in [(0.0, mf.EASE(10.0)), (1.0, hybrid.ContentModel(ids, V))]:
        blend = hybrid.WeightedBlend(mf.EASE(10.0), hybrid.ContentModel(ids, V), weight)
        a = blend.fit(train).recommend([0, 3], k=5, items=list(range(20)))
        b = like.fit(train).recommend([0, 3], k=5, items=list(range(20)))
        assert a[ITEM].tolist() == b[ITEM].tolist()
    with pytest.raises(ValueError, match="weight"):
        hybrid.WeightedBlend(mf.EASE(), hybrid.ContentModel(ids, V), 1.5)


def test_gated_blend_uses_content_for_cold_items_only(block_ratings, vectors):
    ids, V = vectors()
    train = block_ratings()
    gated = hybrid.GatedBlend(mf.EASE(10.0), hybrid.ContentModel(ids, V), beta=1.0).fit(train)
    w = pd.Series(gated.content_weight(), index=gated.items_)
    assert w[20] == 1.0 and w[0] < 0.2  # cold item: all content; rated item: mostly CF
    recs = gated.recommend([0], k=2, items=[20, 21, 22, 23])
    assert set(recs[ITEM]) == {20, 21}
    # a pure-CF model cannot tell the cold items apart: ties, broken at random
    ease = mf.EASE(10.0).fit(train)
    assert np.allclose(ease.predict(np.zeros(4, int), np.array([20, 21, 22, 23])), 0)
    with pytest.raises(ValueError, match="beta"):
        hybrid.GatedBlend(mf.EASE(), hybrid.ContentModel(ids, V), beta=0)


def test_chapter5_models_from_stored_card_vectors(block_ratings, vectors):
    from types import SimpleNamespace

    ids, V = vectors(20)
    cards = SimpleNamespace(ids=ids, vectors=V)
    train = block_ratings()
    users = np.arange(20)
    direct = hybrid.ContentModel(ids, V, center=False).fit(train)
    assert np.allclose(hybrid.card_content(cards, center=False).fit(train).predict(users, users),
                       direct.predict(users, users))
    blend = hybrid.ease_blend(5.0, hybrid.card_content(cards), 0.3).fit(train)
    same = hybrid.WeightedBlend(mf.EASE(5.0), hybrid.ContentModel(ids, V), weight=0.3).fit(train)
    assert np.allclose(blend.predict(users, users), same.predict(users, users))
    gate = hybrid.ease_gate(5.0, hybrid.card_content(cards), 2.0, 0.1)
    assert isinstance(gate, hybrid.GatedBlend) and (gate.beta, gate.weight) == (2.0, 0.1)
