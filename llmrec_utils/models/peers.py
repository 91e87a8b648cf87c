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

from ..config import SEED
from ..data.columns import ITEM
from .base import Base
from .feature_mf import feature_table

__all__ = ['LightFMModel', 'SurpriseModel', 'ImplicitModel']  # fmt: skip


class LightFMModel(Base):
    """LightFM (``lightfm-next``, the peer) behind the book's model contract,
    given the same item features as :class:`FeatureMF`: LightFM's item
    features are an identity block for the training items (its way of giving
    each item an id embedding) beside the feature columns. It is fitted on the
    training items only (WARP draws its negatives among them, as ours does),
    and a cold item is scored afterwards from its features alone, as in ours. User features likewise, when
    given (identity for the training users beside them). Settings are
    LightFM's names for ours: ``factors`` (``no_components``), ``lr``
    (``learning_rate``), ``max_sampled``, ``epochs``, ``loss``, ``threads``
    (``num_threads``); no regularisation (LightFM's default).
    """

    def __init__(self, item_features: pd.DataFrame | None = None,
                 user_features: pd.DataFrame | None = None, factors: int = 32,
                 loss: str = "warp", lr: float = 0.05, max_sampled: int = 10,
                 epochs: int = 30, threads: int = 1, seed: int = SEED):  # fmt: skip
        self.item_features, self.user_features = item_features, user_features
        self.factors, self.loss, self.lr, self.max_sampled = factors, loss, lr, max_sampled
        self.epochs, self.threads, self.seed = epochs, threads, seed

    def __repr__(self) -> str:
        return f"LightFMModel(factors={self.factors}, loss={self.loss!r}, epochs={self.epochs})"

    def _item_index(self, train: pd.DataFrame) -> pd.Index:
        if self.item_features is None:
            return super()._item_index(train)
        return pd.Index(np.union1d(train[ITEM].unique(), self.item_features.index))

    @staticmethod
    def _block(trained: np.ndarray, features: pd.DataFrame | None, index: pd.Index):
        """Rows: every id of ``index``; columns: an identity column per *trained*
        id (its id embedding) beside the feature columns. An untrained id's row
        has features only, as in :class:`FeatureMF`."""
        import scipy.sparse as sp

        ident = sp.identity(len(index), format="csr")[:, np.flatnonzero(trained)]
        if features is None:
            return ident.tocsr()
        X = feature_table(features.reindex(index).fillna(0.0)).values
        return sp.hstack([ident, sp.csr_matrix(X)]).tocsr()

    def _fit(self, u, i, r):
        """LightFM sees the training items only, as :class:`FeatureMF` does: its
        interactions and WARP's negatives range over them; the other items (cold
        films with features) are scored afterwards from their feature rows."""
        import scipy.sparse as sp
        from lightfm import LightFM

        n_users, n_items = len(self.users_), len(self.items_)
        trained = np.zeros(n_items, bool)
        trained[np.unique(i)] = True
        F = self._block(trained, self.item_features, self.items_)
        U = self._block(np.ones(n_users, bool), self.user_features, self.users_)
        self.m_ = LightFM(no_components=self.factors, loss=self.loss, learning_rate=self.lr,
                          max_sampled=self.max_sampled, random_state=self.seed)  # fmt: skip
        column = np.cumsum(trained) - 1  # item code -> its column among the training items
        R = sp.coo_matrix((np.ones(len(u)), (u, column[i])), shape=(n_users, int(trained.sum())))
        self.m_.fit(R, item_features=F[trained], user_features=U, epochs=self.epochs,
                    num_threads=self.threads)  # fmt: skip
        b, Q = self.m_.get_item_representations(F)
        _, P = self.m_.get_user_representations(U)
        self.P_, self.Q_, self.b_ = P.astype(float), Q.astype(float), b.astype(float)

    def _scores(self, u):
        return self.P_[u] @ self.Q_.T + self.b_


def _build(make: Callable, seed: int):
    """``make(seed)``, or ``make()`` for a maker that takes no argument (which
    then fixes its own ``random_state``)."""
    import inspect

    try:
        takes_seed = bool(inspect.signature(make).parameters)
    except (TypeError, ValueError):  # a builtin or a class without a signature
        takes_seed = False
    return make(seed) if takes_seed else make()


class SurpriseModel(Base):
    """A Surprise algorithm behind the protocol.

    ``make`` builds a fresh algorithm from the model's seed, e.g.
    ``lambda seed: surprise.SVD(random_state=seed)`` (a maker without an
    argument, ``lambda: surprise.SVD(random_state=0)``, fixes its own).
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
        self.algo_ = _build(self.make, self.seed)
        self.algo_.fit(trainset)

    def _estimate(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        # Surprise maps raw ids (our codes; -1 = unknown) to its inner ids itself
        return np.array([self.algo_.predict(a, b).est for a, b in zip(u.tolist(), i.tolist())])

    def _scores(self, u):
        n = len(self.items_)
        est = self._estimate(np.repeat(u, n), np.tile(np.arange(n), len(u)))
        return est.reshape(len(u), n)

    def _pair_scores(self, u, i):
        return self._estimate(u, i)  # one pair at a time: no whole rows

    def _fallback(self, u, i):
        return self._estimate(u, i)

    def __repr__(self) -> str:
        return f"SurpriseModel({self.name or self.make!r})"


class ImplicitModel(Base):
    """An ``implicit`` model (ALS, BPR...) trained on binary interactions.

    ``make`` builds a fresh model from the model's seed, e.g.
    ``lambda seed: implicit.als.AlternatingLeastSquares(factors=64, random_state=seed)``
    (a maker without an argument fixes its own ``random_state``).
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
            model = _build(self.make, self.seed)
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

    def make(seed: int):
        from implicit.als import AlternatingLeastSquares

        return AlternatingLeastSquares(factors=factors, regularization=regularization,
                                       iterations=iterations, random_state=seed)

    if name is None:
        name = f"implicit ALS (factors={factors}, reg={regularization})"
    return ImplicitModel(make, name, seed=seed)
