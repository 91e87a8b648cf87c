"""Unit tests for llmrec_utils.models.mf (biased MF, EASE, BPR). The contract every
model passes is tested once, for all of them, in tests/test_models.py."""

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.data import ITEM, RATING, USER
from llmrec_utils.models import mf


@pytest.mark.parametrize("name", ["ALS", "SGD", "EASE", "surprise SVD", "implicit ALS",
                                  "content", "weighted blend", "gated blend"])
def test_personalised_models_learn_the_blocks(block_ratings, make_models, name):
    train = block_ratings()
    model = make_models()[name].fit(train)
    recs = model.recommend([0, 15], k=2)
    top0 = set(recs.loc[recs[USER] == 0, ITEM])
    top15 = set(recs.loc[recs[USER] == 15, ITEM])
    # items 20-23 have vectors but no ratings: content models may rightly pick them
    assert top0 <= set(range(10)) | {20, 21} and top15 <= set(range(10, 20)) | {22, 23}


def test_biased_mf_predicts_held_out_ratings(block_ratings):
    full = block_ratings()
    test = full.groupby(USER).head(2)
    train = full.drop(test.index)
    for solver in ("als", "sgd"):
        model = mf.BiasedMF(factors=4, reg=0.01, bias_reg=0.1, epochs=60, solver=solver, lr=0.05)
        pred = model.fit(train).predict(test[USER], test[ITEM])
        assert np.abs(pred - test[RATING]).mean() < 0.5, solver
        assert pred.min() >= 1 and pred.max() <= 5  # clipped to the scale


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    pairs = rng.choice(30, size=15, replace=False)
    u, i = pairs // 6, pairs % 6
    r = rng.integers(1, 6, 15).astype(float)
    f = mf.Factors(3.0, rng.normal(size=5), rng.normal(size=6),
                   rng.normal(size=(5, 2)), rng.normal(size=(6, 2)))
    g = mf.gradients(f, u, i, r, 0.3, 0.7)
    for name in ("P", "Q", "bu", "bi"):
        param = getattr(f, name)
        idx = (1,) * param.ndim
        old = param[idx]
        param[idx] = old + 1e-6
        up = mf.loss(f, u, i, r, 0.3, 0.7)
        param[idx] = old - 1e-6
        down = mf.loss(f, u, i, r, 0.3, 0.7)
        param[idx] = old
        assert (up - down) / 2e-6 == pytest.approx(g[name][idx], rel=1e-5)


def test_als_half_step_minimises_the_loss_for_its_side(block_ratings):
    train = block_ratings()
    model = mf.BiasedMF(factors=3, epochs=1).fit(train)
    f = model.runs_[0]
    u, i = model.users_.get_indexer(train[USER]), model.items_.get_indexer(train[ITEM])
    r = train[RATING].to_numpy(float)
    R = mf.rating_matrix(u, i, r - f.mu, (len(f.bu), len(f.bi)))
    f.P, f.bu = 0 * f.P, 0 * f.bu
    before = mf.gradients(f, u, i, r, 0.1, 1.0)
    f.P, f.bu = mf.als_half_step(R, f.Q, f.bi, 0.1, 1.0)
    after = mf.gradients(f, u, i, r, 0.1, 1.0)
    # the user side is at its exact minimum (up to float32 accumulation of the Gram matrices)
    for name in ("P", "bu"):
        assert np.abs(after[name]).max() < 1e-5 * np.abs(before[name]).max(), name


def test_fallbacks_for_unknown_ids(block_ratings):
    train = block_ratings()
    model = mf.BiasedMF(factors=2, epochs=3).fit(train)
    f = model.runs_[0]
    both, new_user, new_item = model.predict(np.array([99, 99, 0]), np.array([99, 0, 99]))
    assert both == pytest.approx(f.mu)
    assert new_user == pytest.approx(np.clip(f.mu + f.bi[model.items_.get_loc(0)], 1, 5))
    assert new_item == pytest.approx(np.clip(f.mu + f.bu[model.users_.get_loc(0)], 1, 5))


def test_ease_matches_the_closed_form(block_ratings):
    train = block_ratings()
    model = mf.EASE(lam=2.0).fit(train)
    X = model.seen_.toarray()
    P = np.linalg.inv(X.T @ X + 2.0 * np.eye(X.shape[1]))
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0)
    assert np.allclose(model.B_, B)


@pytest.mark.parametrize("spoil, message", [
    (lambda df: df.assign(rating=np.nan), "missing values"),
    (lambda df: df.iloc[:0], "empty"),
    (lambda df: df.assign(rating=7.0), "outside the scale"),
    (lambda df: df.rename(columns={USER: "uid"}), "missing column"),
    (lambda df: pd.concat([df, df.head(1)]), "duplicate"),
])  # fmt: skip
def test_bad_training_input(spoil, message, block_ratings):
    with pytest.raises(ValueError, match=message):
        mf.BiasedMF().fit(spoil(block_ratings()))


def test_bad_hyper_parameters(block_ratings):
    with pytest.raises(ValueError, match="solver"):
        mf.BiasedMF(solver="adam")
    with pytest.raises(ValueError, match="lam"):
        mf.EASE(lam=0)
    with pytest.raises(ValueError, match="k must"):
        mf.EASE().fit(block_ratings()).recommend([0], k=0)


def test_history_and_runs(block_ratings):
    full = block_ratings()
    valid = full.groupby(USER).head(2)
    model = mf.BiasedMF(factors=2, epochs=4, n_runs=2, valid=valid)
    model.fit(full.drop(valid.index))
    assert list(model.history_.columns) == ["epoch", "train_rmse", "valid_rmse", "objective"]
    assert len(model.history_) == 4 and len(model.runs_) == 2
    assert model.history_["train_rmse"].iloc[-1] < model.history_["train_rmse"].iloc[0]


def test_als_objective_never_increases(block_ratings):
    # each ALS half-step solves its ridge problems exactly, so J cannot go up
    train = block_ratings()
    model = mf.BiasedMF(factors=3, reg=0.05, bias_reg=0.5, epochs=10).fit(train)
    h = model.history_
    assert (np.diff(h["objective"]) <= 1e-9 * h["objective"].iloc[0]).all()
    assert h["objective"].iloc[-1] < h["objective"].iloc[0]
    # the recorded value is mf.loss of the last epoch's factors
    u = model.users_.get_indexer(train[USER])
    i = model.items_.get_indexer(train[ITEM])
    r = train[RATING].to_numpy(float)
    J = mf.loss(model.runs_[0], u, i, r, 0.05, 0.5)
    assert h["objective"].iloc[-1] == pytest.approx(J)


def test_bpr_learns_clean_blocks(block_ratings):
    # BPR reads every interaction as a positive, so it gets blocks without the
    # cross-group 1-star noise of block_ratings (there it overfits 200 rows).
    train = block_ratings()
    train = train[train[RATING] == 5.0]
    model = mf.BPR(factors=4, lr=0.05, epochs=200, batch_size=16).fit(train)
    recs = model.recommend([0, 15], k=2)
    assert set(recs.loc[recs[USER] == 0, ITEM]) <= set(range(10))
    assert set(recs.loc[recs[USER] == 15, ITEM]) <= set(range(10, 20))


def test_bpr_extra_triples_move_scores_and_pruning_drops_the_worst(block_ratings):
    train = block_ratings()
    target = set(range(10, 20)) - set(train.loc[train[USER] == 0, ITEM])
    item = min(target)  # an out-of-group item user 0 has not rated
    extra = pd.DataFrame({USER: [0] * 30, "positive": [item] * 30, "negative": [1] * 30})
    base = mf.BPR(factors=4, lr=0.1, epochs=40, batch_size=16).fit(train)
    pushed = mf.BPR(factors=4, lr=0.1, epochs=40, batch_size=16, extra=extra).fit(train)
    assert pushed.predict([0], [item])[0] - pushed.predict([0], [1])[0] > (
        base.predict([0], [item])[0] - base.predict([0], [1])[0] + 1.0)
    varied = pd.DataFrame({USER: np.arange(20), "positive": np.arange(20),
                           "negative": (np.arange(20) + 7) % 20})
    pruned = mf.BPR(factors=4, lr=0.1, epochs=5, batch_size=16, prune=0.2,
                    extra=varied).fit(train)
    assert pruned.kept_share_ == [0.8] * 5
    with pytest.raises(ValueError, match="absent from train"):
        mf.BPR(epochs=1, extra=extra.assign(positive=999)).fit(train)
    with pytest.raises(ValueError, match="columns"):
        mf.BPR(epochs=1, extra=extra.rename(columns={"negative": "neg"}))
    with pytest.raises(ValueError, match="prune"):
        mf.BPR(prune=1.0)
