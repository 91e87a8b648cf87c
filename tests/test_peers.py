"""Factories for the peers' models that chapters share."""

from __future__ import annotations

import numpy as np

from llmrec_utils.models import peers


def test_implicit_als_factory_matches_a_direct_model(block_ratings):
    import implicit

    train = block_ratings()
    model = peers.implicit_als(4, 0.5, seed=3, iterations=10)
    assert model.name == "implicit ALS (factors=4, reg=0.5)"
    assert peers.implicit_als(4, 0.5, name="named").name == "named"
    direct = peers.ImplicitModel(lambda: implicit.als.AlternatingLeastSquares(
        factors=4, regularization=0.5, iterations=10, random_state=3))
    users, items = np.repeat(np.arange(20), 20), np.tile(np.arange(20), 20)
    assert np.allclose(model.fit(train).predict(users, items),
                       direct.fit(train).predict(users, items), atol=1e-5)
