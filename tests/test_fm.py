"""Unit tests for llmrec_utils.models.feature_mf (FeatureMF, the LightFM-style model). The
contract it shares with every model is tested in tests/test_models.py."""

import numpy as np
import pandas as pd
import pytest
import torch

from llmrec_utils import evaluation
from llmrec_utils.data import ITEM, RATING, USER, Split
from llmrec_utils.models import feature_mf, peers


def tiny_params(n_users=3, n_items=5, du=2, di=3, k=2, seed=0):
    g = torch.Generator().manual_seed(seed)

    def t(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)

    params = {"Eu": t(n_users, k), "Ei": t(n_items, k), "b": t(n_items), "Wu": t(du, k),
              "Wi": t(di, k), "wb": t(di)}  # fmt: skip
    Xu = torch.randn(n_users, du, generator=g, dtype=torch.float64)
    Xi = torch.randn(n_items, di, generator=g, dtype=torch.float64)
    return params, Xu, Xi


@pytest.mark.parametrize("loss", ["bpr", "warp"])
def test_pair_loss_gradient_matches_finite_differences(loss):
    params, Xu, Xi = tiny_params()
    u, i, j = torch.tensor([0, 1, 2, 0]), torch.tensor([0, 1, 2, 3]), torch.tensor([4, 3, 0, 1])
    weight = torch.tensor([0.5, 1.0, 2.0, 0.0], dtype=torch.float64)
    names = list(params)

    def f(*tensors):
        return feature_mf.pair_loss(dict(zip(names, tensors)), Xu, Xi, u, i, j, loss, weight,
                            margin=5.0, reg=0.1)  # fmt: skip

    # margin 5 keeps every WARP hinge active (away from its kink) on these values
    assert torch.autograd.gradcheck(f, tuple(params.values()), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("loss", ["bpr", "warp"])
@pytest.mark.parametrize("features", [True, False])
def test_hand_written_gradient_is_autograds(loss, features):
    """The gradient FeatureMF steps along (pair_gradients, NumPy) is autograd's
    gradient of pair_loss, ids repeated in the batch included."""
    params, Xu, Xi = tiny_params()
    if not features:
        params = {n: params[n] for n in ("Eu", "Ei", "b")}
        Xu = Xi = None
    u, i, j = torch.tensor([0, 1, 2, 0, 0]), torch.tensor([0, 1, 2, 3, 1]), torch.tensor([4, 3, 0, 1, 2])
    weight = torch.tensor([0.5, 1.0, 2.0, 0.0, 1.5], dtype=torch.float64)
    value = feature_mf.pair_loss(params, Xu, Xi, u, i, j, loss, weight, margin=1.0, reg=0.1)
    value.backward()
    as_np = {n: t.detach().numpy() for n, t in params.items()}
    ours, grads = feature_mf.pair_gradients(
        as_np, None if Xu is None else Xu.numpy(), None if Xi is None else Xi.numpy(),
        u.numpy(), i.numpy(), j.numpy(), loss, weight.numpy(), margin=1.0, reg=0.1)
    assert ours == pytest.approx(float(value.detach()))
    assert set(grads) == set(params)
    for name, t in params.items():
        assert np.allclose(grads[name], t.grad.numpy(), atol=1e-12), name


def test_pair_loss_values():
    params, Xu, Xi = tiny_params()
    u, i, j = torch.tensor([0]), torch.tensor([1]), torch.tensor([2])
    P = params["Eu"] + Xu @ params["Wu"]
    Q = params["Ei"] + Xi @ params["Wi"]
    b = params["b"] + Xi @ params["wb"]
    diff = (P[0] @ (Q[1] - Q[2]) + b[1] - b[2]).detach()
    bpr = feature_mf.pair_loss(params, Xu, Xi, u, i, j, "bpr")
    assert float(bpr.detach()) == pytest.approx(float(-torch.log(torch.sigmoid(diff))))
    w = torch.tensor([2.0], dtype=torch.float64)
    warp = feature_mf.pair_loss(params, Xu, Xi, u, i, j, "warp", w, margin=1.0)
    assert float(warp.detach()) == pytest.approx(2.0 * max(0.0, 1.0 - float(diff)))


def test_warp_weights_estimate_the_rank():
    # 11 items: a violator at the first draw means rank ~10, at the 10th rank ~1
    w = feature_mf.warp_weights(np.array([1, 3, 10]), 11)
    assert w == pytest.approx([np.log(10), np.log(3), 0.0])


def genre_world(n_genres=6, n_users=36, seed=0):
    """``n_genres`` genres of 20 films each (one-hot features); user u likes genre
    u % n_genres and has 6 of its 15 warm films in train; each genre's last 5
    films are cold, and the cold films of a user's genre are the test answer."""
    rng = np.random.default_rng(seed)
    genre = np.repeat(np.arange(n_genres), 20)
    cold = np.flatnonzero(np.arange(len(genre)) % 20 >= 15)
    rows, test = [], []
    for u in range(n_users):
        g = u % n_genres
        warm = np.arange(g * 20, g * 20 + 15)
        rows += [(u, i, 5.0) for i in rng.choice(warm, 6, replace=False)]
        test += [(u, i, 5.0) for i in cold[genre[cold] == g]]
    features = pd.DataFrame(np.eye(n_genres)[genre], columns=[f"g{g}" for g in range(n_genres)])
    cols = [USER, ITEM, RATING]
    split = Split(pd.DataFrame(rows, columns=cols), pd.DataFrame(test, columns=cols))
    return split, features, cold


@pytest.mark.parametrize("loss", ["warp", "bpr"])
def test_cold_items_are_ranked_from_their_features(loss):
    split, features, cold = genre_world()
    model = feature_mf.FeatureMF(factors=4, loss=loss, item_features=features, epochs=30,
                         batch_size=32, seed=1).fit(split.train)  # fmt: skip
    assert set(cold) <= set(model.items_)  # cold items are scored, not fallen back on
    ndcg = evaluation.evaluate(model, split, ("NDCG@10",), items=cold)["NDCG@10"].mean()
    chance = evaluation.chance_level(split, ("NDCG@10",), items=cold)["NDCG@10"].mean()
    assert ndcg > 0.95 and ndcg > 2.5 * chance
    # a cold item is its features alone: same features, same score
    S = model.score([0, 1])
    a, b = model.items_.get_indexer(cold[:2])
    assert S[:, a] == pytest.approx(S[:, b])
    # without features the same items are unknown: the fallback, 0
    plain = feature_mf.FeatureMF(factors=4, loss=loss, epochs=2, seed=1).fit(split.train)
    assert not set(cold) & set(plain.items_)
    assert plain.predict(np.array([0]), cold[:1]) == pytest.approx([0.0])


def test_lightfm_is_fitted_on_training_items_and_scores_cold_ones_from_features():
    """Like for like with FeatureMF: LightFM's interactions (and so WARP's
    negatives) range over the training items only; cold items are scored after."""
    split, features, cold = genre_world()
    model = peers.LightFMModel(features, factors=4, epochs=15, seed=1).fit(split.train)
    n_trained = split.train[ITEM].nunique()
    assert model.m_.item_embeddings.shape[0] == n_trained + features.shape[1]
    assert set(cold) <= set(model.items_)
    ndcg = evaluation.evaluate(model, split, ("NDCG@10",), items=cold)["NDCG@10"].mean()
    chance = evaluation.chance_level(split, ("NDCG@10",), items=cold)["NDCG@10"].mean()
    assert ndcg > 2 * chance
    S = model.score([0, 1])
    a, b = model.items_.get_indexer(cold[:2])
    assert S[:, a] == pytest.approx(S[:, b])  # same features, same score


def test_the_blocks_are_learned_with_and_without_features(block_ratings, vectors):
    train = block_ratings()
    for model in (feature_mf.FeatureMF(factors=4, epochs=40, batch_size=16, seed=0),
                  feature_mf.FeatureMF(factors=4, item_features=vectors()[1], item_ids=vectors()[0],
                               epochs=40, batch_size=16, seed=0)):  # fmt: skip
        recs = model.fit(train).recommend([0, 15], k=2)
        top0 = set(recs.loc[recs[USER] == 0, ITEM])
        top15 = set(recs.loc[recs[USER] == 15, ITEM])
        assert top0 <= set(range(10)) | {20, 21} and top15 <= set(range(10, 20)) | {22, 23}


def test_positive_rating_keeps_low_ratings_out_of_the_positives(block_ratings):
    train = block_ratings()  # each user rated 2 films of the other block 1 star
    model = feature_mf.FeatureMF(factors=4, epochs=40, batch_size=16, positive_rating=4,
                         seed=0).fit(train)  # fmt: skip
    S = model.score([0])[0]
    own = model.items_.get_indexer(train.loc[(train[USER] == 0) & (train[RATING] == 5), ITEM])
    low = model.items_.get_indexer(train.loc[(train[USER] == 0) & (train[RATING] == 1), ITEM])
    assert S[own].min() > S[low].max()
    with pytest.raises(ValueError, match="positive_rating"):
        feature_mf.FeatureMF(positive_rating=6, epochs=1).fit(train)


def test_same_seed_same_model_other_seed_other_model(block_ratings, vectors):
    train = block_ratings()
    ids, V = vectors()

    def fit(seed):
        return feature_mf.FeatureMF(factors=4, item_features=V, item_ids=ids, epochs=3, batch_size=16,
                            seed=seed).fit(train)  # fmt: skip

    a, b, c = fit(3), fit(3), fit(4)
    assert np.array_equal(a.score([0, 5]), b.score([0, 5]))
    assert a.loss_history_ == b.loss_history_
    assert not np.allclose(a.score([0, 5]), c.score([0, 5]))


def test_threads_are_restored(block_ratings):
    from threadpoolctl import threadpool_info

    before = [pool["num_threads"] for pool in threadpool_info()]
    feature_mf.FeatureMF(factors=2, epochs=1, threads=1).fit(block_ratings())
    assert [pool["num_threads"] for pool in threadpool_info()] == before


def test_missing_features_get_zeros_and_are_reported(block_ratings, vectors, capsys):
    train = block_ratings()
    ids, V = vectors()
    keep = ids != 3  # item 3 (in training) has no feature row
    users = pd.DataFrame({"young": np.arange(19) % 2}, index=np.arange(19))  # user 19 lacks one
    model = feature_mf.FeatureMF(factors=2, item_features=V[keep], item_ids=ids[keep],
                         user_features=users, epochs=1)  # fmt: skip
    model.fit(train)
    text = capsys.readouterr().out  # config.logger() writes to stdout
    assert "1 training item(s) have no features, e.g. 3" in text
    assert "1 training user(s) have no features, e.g. 19" in text
    assert np.isfinite(model.score([0, 19])).all()


def test_feature_ids_that_do_not_match_the_ratings_are_an_error(block_ratings, vectors):
    train = block_ratings()
    ids, V = vectors()
    wrong = pd.DataFrame(V, index=[f"m{i}" for i in ids])  # string ids, integer ratings
    with pytest.raises(ValueError, match=r"20 of 20 training items have no feature row.*"
                                         r"e\.g\. \[0, 1, 2\].*'m0', 'm1', 'm2'"):
        feature_mf.FeatureMF(item_features=wrong, epochs=1).fit(train)


def test_bad_feature_tables_are_rejected(vectors):
    ids, V = vectors()
    df = pd.DataFrame(V.copy(), index=ids, columns=["side", "noise", "offset"])
    df.loc[4, "noise"] = np.nan
    with pytest.raises(ValueError, match="NaN/inf.*'noise' for id 4"):
        feature_mf.FeatureMF(item_features=df)
    V2 = V.copy()
    V2[2, 2] = np.inf
    with pytest.raises(ValueError, match="'column 2' for id 2"):
        feature_mf.FeatureMF(item_features=V2, item_ids=ids)
    with pytest.raises(ValueError, match="give the id of each row"):
        feature_mf.FeatureMF(item_features=V)
    with pytest.raises(ValueError, match="unique"):
        feature_mf.FeatureMF(item_features=V, item_ids=np.zeros(len(ids)))
    with pytest.raises(ValueError, match="rows but"):
        feature_mf.FeatureMF(item_features=V, item_ids=ids[:3])
    with pytest.raises(ValueError, match="loss must be"):
        feature_mf.FeatureMF(loss="hinge")
