"""Unit tests for llmrec_utils.ctr (click-through models and tasks), on small
synthetic data with known answers."""

import numpy as np
import pandas as pd
import pytest
import torch

from llmrec_utils import ctr
from llmrec_utils.evaluation import metrics, uncertainty
from llmrec_utils.text import ner
from llmrec_utils.text.ner import ENTITY_TYPES

FAST = {"epochs": 8, "batch_size": 256, "lr": 0.02, "factors": 4}


def parity_task(n=3000, n_values=8, noise=0.05, seed=0):
    """Two categorical fields; the label is 1 when their values have the same
    parity (flipped for a ``noise`` share of rows). Neither field alone says
    anything, so a linear model stays at chance, while an FM can write the
    interaction as <v_a, v_b> = s_a s_b with s = +1 for even, -1 for odd."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n_values, n), rng.integers(0, n_values, n)
    y = ((a % 2) == (b % 2)).astype(float)
    flip = rng.random(n) < noise
    y[flip] = 1 - y[flip]
    X = pd.DataFrame({"a": a, "b": b, "x": rng.normal(size=n)})
    return X, y


SPEC = ctr.FeatureSpec(("a", "b"), ("x",))


def split3(X, y):
    n = len(X)
    cut1, cut2 = int(0.6 * n), int(0.8 * n)
    return (X[:cut1], y[:cut1]), (X[cut1:cut2].reset_index(drop=True), y[cut1:cut2]), \
        (X[cut2:].reset_index(drop=True), y[cut2:])


# --- the CTR contract (llmrec_utils.ctr), every model --------------------------------------------
def _deepctr(spec, **kw):
    import importlib.util

    if importlib.util.find_spec("deepctr_torch") is None:  # importing it here would
        pytest.skip("deepctr-torch is not installed")  # start its PyPI thread
    kw.pop("dropout", None)
    return ctr.DeepCTRDeepFM(spec, hidden=(8,), **kw)


CTR_MODELS = {"logistic": ctr.LogisticCTR, "FM": ctr.FMCTR, "DeepFM": ctr.DeepFM,
              "DeepCTR-Torch DeepFM": _deepctr}


@pytest.mark.parametrize("name", list(CTR_MODELS))
def test_ctr_contract(name):
    """fit(X, y, valid) -> self; predict_proba(X) -> probabilities; the seed
    fixes them; bad input is an error; unseen values share the unknown row;
    valid is for early stopping only (the best epoch's model is kept)."""
    make = CTR_MODELS[name]
    train, valid, test = split3(*parity_task(n=900))
    kw = {**FAST, "epochs": 4}
    with pytest.raises(RuntimeError, match="not fitted"):
        make(SPEC, **kw).predict_proba(test[0])
    model = make(SPEC, **kw)
    assert model.fit(*train) is model
    p = model.predict_proba(test[0])
    assert p.shape == (len(test[0]),) and ((0 <= p) & (p <= 1)).all()
    # same seed, same predictions
    np.testing.assert_array_equal(make(SPEC, **kw).fit(*train).predict_proba(test[0]), p)
    # bad input: missing column, labels that are not 0/1, one class, a bad valid
    with pytest.raises(ValueError, match="lacks the column"):
        make(SPEC, **kw).fit(train[0].drop(columns="b"), train[1])
    with pytest.raises(ValueError, match="0/1"):
        make(SPEC, **kw).fit(train[0], train[1] * 2)
    with pytest.raises(ValueError, match="one class"):
        make(SPEC, **kw).fit(train[0], np.ones(len(train[1])))
    with pytest.raises(TypeError, match="pair"):
        make(SPEC, **kw).fit(*train, valid=valid[0])
    with pytest.raises(ValueError, match="lacks the column"):
        model.predict_proba(test[0].drop(columns="x"))
    # values unseen in training: finite, and all alike (the one unknown row)
    unseen = [model.predict_proba(test[0].assign(a=v))[:5] for v in (99, 98)]
    assert np.isfinite(unseen[0]).all()
    np.testing.assert_array_equal(unseen[0], unseen[1])
    # valid: early stopping on its log loss; the best epoch's model is kept,
    # the same as a fit of that many epochs without valid
    stopped = make(SPEC, **{**kw, "epochs": 12}, patience=2).fit(*train, valid=valid)
    losses = [h["valid_logloss"] for h in stopped.history_]
    assert stopped.best_epoch_ == int(np.argmin(losses)) + 1 <= 12
    assert len(losses) == 12 or len(losses) == stopped.best_epoch_ + 2
    again = make(SPEC, **{**kw, "epochs": stopped.best_epoch_}).fit(*train)
    np.testing.assert_allclose(stopped.predict_proba(test[0]), again.predict_proba(test[0]),
                               atol=1e-6)


# --- the interaction ---------------------------------------------------------------------------
def test_fast_identity_equals_the_pairwise_sum():
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(5, 3, 4, generator=g, dtype=torch.float64)
    dense = torch.randn(5, 2, generator=g, dtype=torch.float64)
    V = torch.randn(2, 4, generator=g, dtype=torch.float64)
    every = torch.cat([emb, dense[:, :, None] * V[None]], 1)  # x_j v_j of all 5 features
    fast = ctr.fm_interaction(emb, dense, V)
    assert torch.allclose(fast, ctr.pairwise_interaction(every), atol=1e-12)
    assert torch.allclose(ctr.fm_interaction(emb), ctr.pairwise_interaction(emb), atol=1e-12)
    # a known answer: two features with vectors (1, 2) and (3, 4) interact by 1*3 + 2*4
    pair = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]], dtype=torch.float64)
    assert ctr.fm_interaction(pair).item() == pytest.approx(11.0)


def test_fm_interaction_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(1)

    def t(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)

    assert torch.autograd.gradcheck(ctr.fm_interaction, (t(4, 3, 2), t(4, 2), t(2, 2)),
                                    eps=1e-6, atol=1e-6)  # fmt: skip


# --- learning ------------------------------------------------------------------------------------
def test_fm_and_deepfm_learn_an_interaction_logistic_regression_cannot():
    train, valid, test = split3(*parity_task())
    auc = {}
    for name, model in {"lr": ctr.LogisticCTR, "fm": ctr.FMCTR, "deepfm": ctr.DeepFM}.items():
        m = model(SPEC, **FAST).fit(*train, valid=valid)
        auc[name] = metrics.roc_auc(test[1], m.predict_proba(test[0]))
    assert auc["lr"] < 0.6
    assert auc["fm"] > 0.85 and auc["deepfm"] > 0.85
    assert min(auc["fm"], auc["deepfm"]) - auc["lr"] > 0.25


def test_a_linear_signal_is_learned_by_every_model():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.integers(0, 5, 2000), "b": rng.integers(0, 5, 2000),
                      "x": rng.normal(size=2000)})  # fmt: skip
    y = (rng.random(2000) < 1 / (1 + np.exp(-(2 * X["x"] + (X["a"] == 0))))).astype(float)
    train, valid, test = split3(X, y)
    for model in (ctr.LogisticCTR, ctr.FMCTR, ctr.DeepFM):
        p = model(SPEC, **FAST).fit(*train, valid=valid).predict_proba(test[0])
        assert metrics.roc_auc(test[1], p) > 0.75, model.__name__


@pytest.mark.parametrize("model", [ctr.FMCTR, ctr.DeepFM])
def test_fit_is_deterministic(model):
    train, valid, test = split3(*parity_task(n=1200))
    kw = {**FAST, "epochs": 3, "dropout": 0.2}
    a = model(SPEC, **kw).fit(*train, valid=valid).predict_proba(test[0])
    b = model(SPEC, **kw).fit(*train, valid=valid).predict_proba(test[0])
    c = model(SPEC, **kw, seed=7).fit(*train, valid=valid).predict_proba(test[0])
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_early_stopping_keeps_the_best_validation_epoch():
    train, valid, test = split3(*parity_task(n=1500))
    m = ctr.FMCTR(SPEC, **{**FAST, "epochs": 30}, patience=2).fit(*train, valid=valid)
    losses = [h["valid_logloss"] for h in m.history_]
    assert m.best_epoch_ == int(np.argmin(losses)) + 1
    assert len(m.history_) == m.best_epoch_ + 2  # stopped after 2 epochs without a gain
    # the kept model is the one trained for best_epoch_ epochs
    again = ctr.FMCTR(SPEC, **{**FAST, "epochs": m.best_epoch_}).fit(*train)
    assert np.allclose(m.predict_proba(test[0]), again.predict_proba(test[0]), atol=1e-6)
    # validation with flipped labels: the first epoch is the best, whatever training does
    flipped = (valid[0], 1 - valid[1])
    worse = ctr.FMCTR(SPEC, **{**FAST, "epochs": 30}).fit(*train, valid=flipped)
    assert worse.best_epoch_ == 1 and len(worse.history_) == 3
    # without validation every epoch runs
    plain = ctr.FMCTR(SPEC, **{**FAST, "epochs": 4}).fit(*train)
    assert len(plain.history_) == 4 and "valid_logloss" not in plain.history_[0]


def test_unseen_categories_get_the_unknown_row():
    X, y = parity_task(n=600)
    m = ctr.FMCTR(SPEC, **{**FAST, "epochs": 2}).fit(X, y)
    new = pd.DataFrame({"a": [99, 99], "b": [98, 97], "x": [0.0, 0.0]})
    p = m.predict_proba(new)
    assert np.all((p > 0) & (p < 1)) and p[0] == pytest.approx(p[1])  # both: bias only


# --- metrics ---------------------------------------------------------------------------------------
def test_auc_logloss_and_paired_comparison():
    y = np.array([0, 0, 1, 1] * 25, float)
    perfect, blind = np.where(y == 1, 0.9, 0.1), np.full(100, 0.5)
    r = uncertainty.auc_logloss(y, perfect, n_boot=200)
    assert r["AUC"].estimate == 1.0 and r["log loss"].estimate == pytest.approx(-np.log(0.9))
    assert uncertainty.auc_logloss(y, blind, n_boot=200)["AUC"].estimate == 0.5
    gap = uncertainty.compare_clicks(y, blind, perfect, n_boot=200)
    assert gap["AUC"].estimate == pytest.approx(0.5) and gap["AUC"].low > 0
    assert gap["log loss"].high < 0
    with pytest.raises(ValueError, match="both classes"):
        uncertainty.auc_logloss(np.ones(10), np.full(10, 0.5))
    with pytest.raises(ValueError, match="probabilities"):
        uncertainty.auc_logloss(y, np.full(100, 1.5))


def test_click_intervals_are_the_bootstrap_of_the_metrics_on_the_resampled_rows():
    """auc_logloss and compare_clicks score all resamples at once (a sum over
    sorted scores); their intervals are those of scoring each resample's rows
    with roc_auc and logloss one by one, the definition, ties and clusters
    included."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    a, b = np.round(rng.random(400), 1), rng.random(400)  # a: many ties
    film = rng.integers(0, 30, 400)
    pairs = (("AUC", metrics.roc_auc), ("log loss", metrics.logloss))
    one = {k: uncertainty.bootstrap_ci(f, y, a, n_boot=200) for k, f in pairs}
    rows = {k: uncertainty.paired_bootstrap_diff(f, y, a, b, n_boot=200) for k, f in pairs}
    films = {k: uncertainty.cluster_bootstrap_diff(f, y, a, b, film, n_boot=200)
             for k, f in pairs}  # fmt: skip
    for fast, slow in ((uncertainty.auc_logloss(y, a, n_boot=200), one),
                       (uncertainty.compare_clicks(y, a, b, n_boot=200), rows),
                       (uncertainty.compare_clicks(y, a, b, n_boot=200, clusters=film), films)):
        for k in slow:
            assert np.allclose([fast[k].estimate, fast[k].low, fast[k].high],
                               [slow[k].estimate, slow[k].low, slow[k].high], atol=1e-12)
    assert uncertainty.compare_clicks(y, a, b, n_boot=200)["AUC"] != uncertainty.compare_clicks(
        y, b, a, n_boot=200)["AUC"]  # the direction matters: b minus a


def test_cluster_bootstrap_is_wider_when_rows_of_a_cluster_move_together():
    """Twenty films with 100 clicks each; model b is better on some films and
    worse on others. Rows resampled as if independent give a tight interval
    that calls b better; films resampled whole give the honest, wider one."""
    rng = np.random.default_rng(0)
    film = np.repeat(np.arange(20), 100)
    y = rng.integers(0, 2, size=film.size).astype(float)
    a = np.clip(0.5 + 0.2 * (y - 0.5) + rng.normal(0, 0.2, film.size), 0.01, 0.99)
    effect = rng.normal(0.02, 0.15, 20)[film]  # each film's own shift, shared by its rows
    b = np.clip(a + effect * (y - 0.5), 0.01, 0.99)
    rows = uncertainty.compare_clicks(y, a, b, n_boot=300)["AUC"]
    films = uncertainty.compare_clicks(y, a, b, n_boot=300, clusters=film)["AUC"]
    assert rows.estimate == films.estimate
    assert films.high - films.low > 2 * (rows.high - rows.low)
    with pytest.raises(ValueError, match="at least 2 clusters"):
        uncertainty.compare_clicks(y, a, b, clusters=np.zeros(film.size))


# --- bad input --------------------------------------------------------------------------------------
def test_bad_input_errors_name_the_column_or_ids():
    X, y = parity_task(n=300)
    model = ctr.FMCTR(SPEC, **{**FAST, "epochs": 1})
    for value, what in ((np.nan, "NaN"), (np.inf, "inf")):
        bad = X.copy()
        bad.loc[5, "x"] = value
        with pytest.raises(ValueError, match="NaN/inf.*'x'"):
            model.fit(bad, y)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['b'\]"):
        model.fit(X.drop(columns="b"), y)
    with pytest.raises(ValueError, match="'a'.*missing"):
        model.fit(X.assign(a=X["a"].where(X.index != 3)), y)
    with pytest.raises(ValueError, match="0/1"):
        model.fit(X, y * 2)
    with pytest.raises(ValueError, match="one class"):
        model.fit(X, np.ones(len(X)))
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict_proba(X)
    model.fit(X, y)
    keyed = X.assign(a=X["a"].map(lambda v: f"id{v}"))  # string ids against integer ids
    with pytest.raises(ValueError, match=r"'a'.*\['id\d', .*training values like \[\d"):
        model.predict_proba(keyed)
    with pytest.raises(ValueError, match="more than once"):
        ctr.FeatureSpec(("a", "a"))


def test_spec_without_drops_fields_by_prefix():
    spec = ctr.FeatureSpec(("user", "item"), ("year", "card_0", "card_1", "llm_0"))
    assert spec.without("card_").dense == ("year", "llm_0")
    assert spec.without("card_", "llm_").categorical == ("user", "item")


# --- the clothing task ---------------------------------------------------------------------------
def toy_reviews(n_items=6, per_item=8, seed=0):
    rng = np.random.default_rng(seed)
    n = n_items * per_item
    reviews = pd.DataFrame({
        "review": np.arange(100, 100 + n), "item": np.repeat(np.arange(n_items), per_item),
        "age": rng.integers(20, 70, n), "rating": rng.integers(1, 6, n),
        "department": rng.choice(["Tops", "Dresses", None], n),
        "class_name": rng.choice(["Knits", "Blouses"], n), "text": ["x"] * n})  # fmt: skip
    reviews["recommended"] = reviews["rating"] >= 4
    reviews.loc[reviews.index[-1], "item"] = 99  # an item with one review only
    aspects = pd.DataFrame(rng.random((n, len(ENTITY_TYPES))) < 0.4, columns=list(ENTITY_TYPES),
                           index=pd.Index(reviews["review"], name="review"))  # fmt: skip
    return reviews, aspects


def expected_profile(task, aspects, row, kind, include_own):
    """Mean of ``kind`` over the item's other training reviews (plus the row's own
    with ``include_own``), and how many reviews that is."""
    train = task.train
    others = train[(train["item"] == row["item"]) & (train["review"] != row["review"])]
    ids = list(others["review"]) + ([row["review"]] if include_own else [])
    return (aspects.loc[ids, kind].mean() if ids else None), len(ids)


@pytest.mark.parametrize("leaky", [False, True])
def test_profile_leaves_out_the_rows_own_review_unless_leaky(leaky):
    reviews, aspects = toy_reviews()
    task = ctr.clothing_recommend(reviews, aspects, leaky=leaky, test_frac=0.3,
                                  valid_frac=0.1, seed=3)  # fmt: skip
    checked = 0
    for part in ("train", "valid", "test"):
        for _, row in task.X(part).iterrows():
            # leave-one-out: never the own review; leaky: always the own review
            want, n = expected_profile(task, aspects, row, "FIT", include_own=leaky)
            assert np.expm1(row["profile_n"]) == pytest.approx(n)
            if want is not None:
                assert row["share_FIT"] == pytest.approx(want), (part, row["review"])
                checked += 1
    assert checked > 20
    assert task.train["review"].isin(task.test["review"]).sum() == 0


def test_profile_without_other_training_reviews_gets_the_default():
    reviews, aspects = toy_reviews()
    task = ctr.clothing_recommend(reviews, aspects, test_frac=0.3, seed=3)
    alone = pd.concat([task.train, task.valid, task.test])
    alone = alone[alone["profile_n"] == 0]
    assert len(alone) >= 1 and sum(task.info["default_profile"].values()) == len(alone)
    train_mean = aspects.loc[task.train["review"], "FIT"].mean()
    assert np.allclose(alone["share_FIT"], train_mean)
    assert (task.train["department"] == "unknown").any()


def test_leaky_profile_tells_the_label():
    """With the own review's rating in the profile, ``rating_<TYPE>`` of an item
    with few reviews follows the row's own rating: the leak chapter 3 warns of."""
    reviews, aspects = toy_reviews(n_items=40, per_item=3, seed=1)
    aspects[:] = True  # every review mentions every aspect: rating_FIT is the mean rating
    honest = ctr.clothing_recommend(reviews, aspects, test_frac=0.3, seed=0)
    leaky = ctr.clothing_recommend(reviews, aspects, leaky=True, test_frac=0.3, seed=0)
    auc = {name: metrics.roc_auc(t.y("test"), t.X("test")["rating_FIT"].rank(pct=True))
           for name, t in (("honest", honest), ("leaky", leaky))}  # fmt: skip
    assert auc["leaky"] > auc["honest"] + 0.15


def test_clothing_errors_name_the_missing_ids():
    reviews, aspects = toy_reviews()
    with pytest.raises(ValueError, match=r"no aspect row, e\.g\. \[100, 101"):
        ctr.clothing_recommend(reviews, aspects.iloc[5:].set_axis(aspects.index[5:] + 1000))
    with pytest.raises(ValueError, match="lack the column"):
        ctr.clothing_recommend(reviews.drop(columns="age"), aspects)


def test_review_aspects_uses_the_weak_labeller():
    reviews = pd.DataFrame({"review": [1, 2], "text": ["The fabric is soft but runs small.",
                                                       "Love it."]})  # fmt: skip
    A = ner.review_aspects(reviews)
    assert A.loc[1, "FABRIC"] and A.loc[1, "SIZE"] and not A.loc[2].any()


# --- MovieLens-100k clicks -------------------------------------------------------------------------
def test_ml100k_clicks_task():
    task = ctr.ml100k_clicks()
    assert set(task.train["click"]) == {0.0, 1.0}
    assert (task.test["click"] == (task.test["rating"] >= 4)).all()
    assert len(task.test) == task.test["user"].nunique() == len(task.valid)
    pairs = task.train[["user", "item"]].merge(task.test[["user", "item"]])
    assert pairs.empty and task.info["cold_test_rows"] == int(task.test["cold"].sum())
    for part in ("train", "valid", "test"):
        task.spec.check(task.X(part))
    ids = np.arange(1, 1683)
    vectors = pd.DataFrame(np.eye(1682, 3), index=ids)
    with_cards = ctr.ml100k_clicks(item_vectors={"card": vectors})
    assert {"card_0", "card_2"} <= set(with_cards.spec.dense)
    with pytest.raises(ValueError, match=r"no card vector.*\[1, 2, 3\].*\['1', '2', '3'\]"):
        ctr.ml100k_clicks(item_vectors={"card": vectors.set_axis(ids.astype(str))})


def clicks(n=600, seed=0):
    """Users of two kinds and items of two kinds: a click when the kinds match."""
    rng = np.random.default_rng(seed)
    u, i = rng.integers(0, 30, n), rng.integers(0, 20, n)
    y = ((u % 2) == (i % 2)).astype(float)
    flip = rng.random(n) < 0.1
    y[flip] = 1 - y[flip]
    X = pd.DataFrame({"user": u, "item": i, "dense": rng.normal(size=n)})
    return X, y


def test_deepctr_adapter_learns_and_maps_unseen_values_to_the_unknown_row(capsys):
    import importlib.util

    if importlib.util.find_spec("deepctr_torch") is None:  # importing it here would
        pytest.skip("deepctr-torch is not installed")  # start its PyPI thread
    X, y = clicks()
    spec = ctr.FeatureSpec(("user", "item"), ["dense"])
    model = ctr.DeepCTRDeepFM(spec, factors=4, hidden=(8,), lr=0.02, epochs=15, batch_size=64)
    assert model.fit(X[:500], y[:500]) is model
    p = model.predict_proba(X[500:])
    assert p.shape == (100,) and ((0 <= p) & (p <= 1)).all()
    assert metrics.roc_auc(y[500:], p) > 0.8  # the interaction is learnable
    unseen = X[500:].assign(user=999)
    assert np.isfinite(model.predict_proba(unseen)).all()
    assert model._inputs(unseen)["user"].max() == ctr.UNKNOWN
    assert "check the latest version" not in capsys.readouterr().out  # no PyPI thread
    with pytest.raises(ValueError, match="0/1 labels"):
        ctr.DeepCTRDeepFM(spec).fit(X, y * 2)
