"""Shared fixtures: the private cache, and the toy data the model tests share
(``block_ratings``, ``vectors``, ``make_models``: factories, called in the test).

Unit tests never write into the developer's cache: each runs with
``LLMREC_CACHE`` pointing at a session-wide cache that holds only the pinned
assets (hard links to what ``llmrec fetch`` put in the real cache, which
``make test`` and ``make unit`` fill before pytest starts). ``tmp_cache`` gives
a test an empty cache of its own. The book build (tests/test_book.py) uses the
real cache, where the chapters nbval has just run saved their results.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.config import SEED
from llmrec_utils.data.columns import ITEM, RATING, USER

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pinned_cache_dir():
    from llmrec_utils.config import pinned_cache

    path = pinned_cache(prefix="llmrec-tests-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _private_cache(request, monkeypatch):
    """Unit tests read and write a cache of their own (see the module docstring)."""
    if request.node.get_closest_marker("unit") is not None:
        monkeypatch.setenv("LLMREC_CACHE", str(request.getfixturevalue("pinned_cache_dir")))


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    """An empty, private LLMREC_CACHE."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("LLMREC_CACHE", str(cache))
    return cache


def _block_ratings(seed=0):
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


def _vectors(n_items=24, seed=0):
    """Items 0-9 and 20-21 point one way, 10-19 and 22-23 the other (plus an offset)."""
    rng = np.random.default_rng(seed)
    side = np.array([1.0 if (i < 10 or i in (20, 21)) else -1.0 for i in range(n_items)])
    V = np.column_stack([side, rng.normal(0, 0.1, n_items), np.full(n_items, 5.0)])
    return np.arange(n_items), V


def _make_models(seed: int = SEED) -> dict:
    """Every model of the contract test but Spark's ALS (which needs a session),
    small and fast, each given ``seed``."""
    import implicit
    import surprise

    from llmrec_utils.models import base, feature_mf, hybrid, mf, peers

    ids, V = _vectors()
    content = lambda: hybrid.ContentModel(ids, V, seed=seed)  # noqa: E731
    return {
        "global mean": base.GlobalMean(seed=seed),
        "popularity": base.Popularity(seed=seed),
        "ALS": mf.BiasedMF(factors=4, reg=0.01, bias_reg=0.1, epochs=20, seed=seed),
        "SGD": mf.BiasedMF(factors=4, reg=0.01, bias_reg=0.1, epochs=60, solver="sgd", lr=0.05,
                           seed=seed),
        "EASE": mf.EASE(lam=10.0, seed=seed),
        "BPR": mf.BPR(factors=4, lr=0.05, epochs=300, batch_size=16, seed=seed),
        "surprise SVD": peers.SurpriseModel(lambda s: surprise.SVD(
            n_factors=4, n_epochs=200, lr_all=0.02, random_state=s), seed=seed),
        "implicit ALS": peers.ImplicitModel(
            lambda s: implicit.als.AlternatingLeastSquares(factors=4, random_state=s), seed=seed),
        "content": content(),
        "weighted blend": hybrid.WeightedBlend(mf.EASE(10.0), content(), 0.3, seed=seed),
        "gated blend": hybrid.GatedBlend(mf.EASE(10.0), content(), 1.0, seed=seed),
        "FeatureMF": feature_mf.FeatureMF(factors=4, epochs=10, batch_size=16, seed=seed),
        "FeatureMF with features": feature_mf.FeatureMF(
            factors=4, item_features=V, item_ids=ids, epochs=10, batch_size=16, seed=seed),
        "LightFM": peers.LightFMModel(factors=4, epochs=10, seed=seed),
        "LightFM with features": peers.LightFMModel(pd.DataFrame(V, index=ids), factors=4,
                                                    epochs=10, seed=seed),
    }


@pytest.fixture
def block_ratings():
    """The factory :func:`_block_ratings` (two taste groups with a known answer)."""
    return _block_ratings


@pytest.fixture
def vectors():
    """The factory :func:`_vectors` (item vectors matching the two groups)."""
    return _vectors


@pytest.fixture
def make_models():
    """The factory :func:`_make_models`: every model of the contract, by name, with a seed."""
    return _make_models
