"""Established libraries behind the book's ``Recommender`` protocol.

Surprise (rating prediction: ``SVD``, ``SVDpp``, ``BaselineOnly``,
``KNNBaseline``...) and implicit (top-K from implicit feedback: ``ALS``,
``BPR``) become models that ``fit``, ``predict`` and ``recommend`` like the
book's own, so a chapter runs ours and theirs on the same folds in one loop.
Taught in ``notebooks/04_matrix_factorization.ipynb``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .config import SEED
from .models import Base

__all__ = ["SurpriseModel", "ImplicitModel"]


class SurpriseModel(Base):
    """A Surprise algorithm behind the protocol.

    ``make`` builds a fresh algorithm, e.g. ``lambda: surprise.SVD(random_state=0)``.
    Unknown users or items get Surprise's own fallback (its baseline or the
    global mean), which the book's models match.
    """

    explicit = True

    def __init__(self, make: Callable, name: str | None = None, seed: int = SEED):
        self.make = make
        self.name = name
        self.seed = seed

    def _fit(self, u, i, r):
        import surprise

        frame = pd.DataFrame({"u": u, "i": i, "r": r})
        reader = surprise.Reader(rating_scale=self.rating_scale)
        trainset = surprise.Dataset.load_from_df(frame, reader).build_full_trainset()
        self.algo_ = self.make()
        self.algo_.fit(trainset)

    def _estimate(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        # Surprise maps raw ids (our codes; -1 = unknown) to its inner ids itself
        return np.array([self.algo_.predict(a, b).est for a, b in zip(u.tolist(), i.tolist())])

    def predict(self, users: ArrayLike, items: ArrayLike) -> np.ndarray:
        self._check_fitted()
        users, items = self._pairs(users, items)
        u = self.users_.get_indexer(users)
        i = self.items_.get_indexer(items)
        return self._estimate(u, i)

    def _scores(self, u):
        n = len(self.items_)
        est = self._estimate(np.repeat(u, n), np.tile(np.arange(n), len(u)))
        return est.reshape(len(u), n)

    def _fallback(self, u, i):
        return self._estimate(u, i)

    def __repr__(self) -> str:
        return f"SurpriseModel({self.name or self.make!r})"


class ImplicitModel(Base):
    """An ``implicit`` model (ALS, BPR...) trained on binary interactions.

    ``make`` builds a fresh model, e.g.
    ``lambda: implicit.als.AlternatingLeastSquares(factors=64, random_state=0)``.
    Scores are the dot products of its user and item factors; an unknown
    user or item scores 0 (the package's rule; ``implicit`` has no baseline).
    """

    def __init__(self, make: Callable, name: str | None = None, seed: int = SEED):
        self.make = make
        self.name = name
        self.seed = seed

    def _fit(self, u, i, r):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit's advice: its own threads, 1 BLAS thread
            model = self.make()
            model.fit(self.seen_.astype(np.float32).tocsr(), show_progress=False)
        uf, itf = model.user_factors, model.item_factors
        to_numpy = getattr(uf, "to_numpy", None)  # GPU models return their own arrays
        self.user_factors_ = np.asarray(to_numpy() if to_numpy else uf)
        self.item_factors_ = np.asarray(itf.to_numpy() if to_numpy else itf)

    def _scores(self, u):
        return self.user_factors_[u] @ self.item_factors_.T

    def __repr__(self) -> str:
        return f"ImplicitModel({self.name or self.make!r})"



def implicit_als(factors: int, regularization: float, seed: int = SEED,
                 iterations: int = 15, name: str | None = None) -> ImplicitModel:
    """``implicit``'s ALS for implicit feedback, as chapters 4 and 8 configure it.

    ``name`` defaults to one that shows the settings, e.g.
    ``"implicit ALS (factors=32, reg=10.0)"``.
    """

    def make():
        from implicit.als import AlternatingLeastSquares

        return AlternatingLeastSquares(factors=factors, regularization=regularization,
                                       iterations=iterations, random_state=seed)

    if name is None:
        name = f"implicit ALS (factors={factors}, reg={regularization})"
    return ImplicitModel(make, name)
