r"""Hybrid recommenders: content scores from text vectors, CF scores, and blends.

Taught in ``notebooks/05_hybrid.ipynb``. Every class here is a
:class:`~llmrec_utils.models.base.Recommender`.

* :class:`ContentModel` scores items by the cosine between a user's taste
  vector (the mean vector of the items they rated) and each item's vector; it
  can score items nobody has rated yet (cold items).
* :class:`WeightedBlend` mixes a CF model and a content model with one weight
  on their per-user standardised scores:
  :math:`s_{ui} = (1-w)\,z^{cf}_{ui} + w\,z^{text}_{ui}`.
* :class:`GatedBlend` lets the weight depend on how much CF knows about the
  item: :math:`w_i = w + (1-w)\,\beta / (n_i + \beta)` with :math:`n_i` its
  number of training ratings, so a cold item (:math:`n_i=0`) is scored by
  content alone and a popular one like the weighted blend.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..config import SEED
from ..data.columns import ITEM
from ..data.features import unit_rows
from .base import Base
from .mf import EASE

__all__ = ['ContentModel', 'WeightedBlend', 'GatedBlend', 'zscore_rows', 'card_content', 'ease_blend', 'ease_gate']  # fmt: skip


def zscore_rows(S: np.ndarray) -> np.ndarray:
    """Standardise each row to mean 0, standard deviation 1 (constant rows become 0)."""
    S = np.asarray(S, dtype=float)
    if not np.isfinite(S).all():
        raise ValueError("scores must be finite to be standardised; replace -inf/NaN first.")
    sd = S.std(axis=1, keepdims=True)
    return np.divide(S - S.mean(axis=1, keepdims=True), sd, out=np.zeros_like(S), where=sd > 0)


class ContentModel(Base):
    """Content-based recommender over item vectors (e.g. chapter 2's text embeddings).

    Args:
        ids: the item id of each row of ``vectors`` (unique).
        vectors: one vector per item (normalised to unit length here).
        weight_by_rating: weight each rated item by the user's rating minus their mean
            rating (likes pull the taste vector, dislikes push it), instead of
            weighting every rated item 1 (what the user chose to watch).
        center: subtract the mean item vector before normalising. Sentence
            embeddings share a large common direction (they are anisotropic),
            which makes every cosine high; removing it lets the differences
            between items count.
        user_ids, user_vectors: optional text vectors of users in the same space
            (e.g. embedded LLM-written taste profiles, chapter 6), centred with
            the items' mean. A user's taste vector becomes
            ``(1 - user_weight) * history + user_weight * profile`` (both unit
            length); users without a vector keep their history alone.

    Every item with a vector can be scored, rated in training or not; an
    unknown user (no taste vector) or an item without a vector scores 0.
    """

    def __init__(self, ids, vectors, weight_by_rating: bool = False, center: bool = True,
                 user_ids=None, user_vectors=None, user_weight: float = 0.5,
                 seed: int = SEED):  # fmt: skip
        ids = np.asarray(ids)
        vectors = np.asarray(vectors, dtype=float)
        if vectors.ndim != 2 or len(vectors) != len(ids):
            raise ValueError(f"need one vector per id: got {len(ids)} ids, vectors {vectors.shape}.")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("item ids must be unique.")
        if not np.isfinite(vectors).all():
            raise ValueError("item vectors contain NaN or inf.")
        mean = vectors.mean(axis=0) if center else np.zeros(vectors.shape[1])
        self.ids = ids
        self.vectors = unit_rows(vectors - mean)
        self.weight_by_rating, self.center, self.seed = weight_by_rating, center, seed
        self.user_ids, self.user_vectors, self.user_weight = None, None, user_weight
        if user_vectors is not None:
            user_vectors = np.asarray(user_vectors, dtype=float)
            if user_ids is None or user_vectors.shape != (len(user_ids), vectors.shape[1]):
                raise ValueError("give user_ids and one user vector per id, of the items' size.")
            if not 0 <= user_weight <= 1:
                raise ValueError(f"user_weight must be in [0, 1], got {user_weight!r}.")
            self.user_ids, self.user_vectors = pd.Index(user_ids), unit_rows(user_vectors - mean)

    def __repr__(self) -> str:
        n, d = self.vectors.shape
        return (f"ContentModel({n} items x {d} dims, weight_by_rating={self.weight_by_rating}, "
                f"center={self.center})")

    def _item_index(self, train: pd.DataFrame) -> pd.Index:
        index = pd.Index(self.ids)
        missing = ~train[ITEM].isin(index)
        if missing.any():
            raise ValueError(
                f"{int(missing.sum())} training rows have items without a vector, e.g. "
                f"{train.loc[missing, ITEM].iloc[0]!r}; give every item a vector."
            )
        return index

    def _fit(self, u, i, r):
        weights = np.ones(len(r))
        if self.weight_by_rating:
            n = np.bincount(u, minlength=len(self.users_))
            user_mean = np.bincount(u, weights=r, minlength=len(self.users_)) / np.maximum(n, 1)
            weights = r - user_mean[u]
        W = sp.csr_matrix((weights, (u, i)), shape=self.seen_.shape)
        self.profiles_ = unit_rows(np.asarray(W @ self.vectors))
        if self.user_vectors is not None:
            rows = self.user_ids.get_indexer(self.users_)
            has = rows >= 0
            w = self.user_weight
            self.profiles_[has] = unit_rows(
                (1 - w) * self.profiles_[has] + w * self.user_vectors[rows[has]])

    def _scores(self, u):
        return self.profiles_[u] @ self.vectors.T


class _Blend(Base):
    """Two members, CF and content, mixed on per-user z-scores over all items.

    Each member is read through its public contract: ``score`` for the items
    it knows, ``fallback`` for the others. An unknown user scores 0. ``fit``
    fits copies of the members (``cf_``, ``content_``): the models passed in
    are left as they were, and keep their own seeds.
    """

    def __init__(self, cf: Base, content: ContentModel, seed: int = SEED):
        self.cf, self.content, self.seed = cf, content, seed

    def fit(self, train: pd.DataFrame) -> "_Blend":
        self.cf_ = copy.deepcopy(self.cf).fit(train)
        self.content_ = copy.deepcopy(self.content).fit(train)
        return super().fit(train)

    def _item_index(self, train: pd.DataFrame) -> pd.Index:
        return pd.Index(np.union1d(train[ITEM].unique(), self.content.ids))

    def _fit(self, u, i, r):
        self.counts_ = np.bincount(i, minlength=len(self.items_)).astype(float)

    def _member_z(self, member: Base, u: np.ndarray) -> np.ndarray:
        users = self.users_[u].to_numpy()
        cols = member.items_.get_indexer(self.items_)
        known = cols >= 0
        out = np.empty((len(u), len(self.items_)))
        out[:, known] = member.score(users)[:, cols[known]]
        if (~known).any():  # items the member cannot score: its documented fallback
            n = int((~known).sum())
            fb = member.fallback(np.repeat(users, n), np.tile(self.items_[~known], len(u)))
            out[:, ~known] = np.where(np.isfinite(fb), fb, 0.0).reshape(len(u), n)
        return zscore_rows(out)

    def content_weight(self) -> float | np.ndarray:
        raise NotImplementedError

    def _scores(self, u):
        w = self.content_weight()
        return (1 - w) * self._member_z(self.cf_, u) + w * self._member_z(self.content_, u)


class WeightedBlend(_Blend):
    """``(1 - weight) * z(cf) + weight * z(content)``; learn ``weight`` on validation."""

    def __init__(self, cf: Base, content: ContentModel, weight: float = 0.1,
                 seed: int = SEED):  # fmt: skip
        if not 0 <= weight <= 1:
            raise ValueError(f"weight must be in [0, 1], got {weight!r}.")
        super().__init__(cf, content, seed)
        self.weight = weight

    def content_weight(self) -> float | np.ndarray:
        return self.weight


class GatedBlend(_Blend):
    """Content weight ``weight + (1 - weight) * beta / (n_i + beta)`` per item.

    A cold item (``n_i = 0``) is scored by content alone; an item with many
    ratings gets the floor ``weight`` (e.g. a weighted blend's learned weight).
    """

    def __init__(self, cf: Base, content: ContentModel, beta: float = 10.0,
                 weight: float = 0.0, seed: int = SEED):  # fmt: skip
        if beta <= 0:
            raise ValueError(f"beta must be positive, got {beta!r}.")
        if not 0 <= weight <= 1:
            raise ValueError(f"weight must be in [0, 1], got {weight!r}.")
        super().__init__(cf, content, seed)
        self.beta, self.weight = beta, weight

    def content_weight(self) -> float | np.ndarray:
        return self.weight + (1 - self.weight) * self.beta / (self.counts_ + self.beta)


# --- the chapter 5 models later chapters reuse ------------------------------------------
def card_content(cards, **options) -> ContentModel:
    """Chapter 5's content model on chapter 2's item-card vectors.

    ``cards`` is a :class:`~llmrec_utils.text.embeddings.StoredEmbeddings` (``ids``,
    ``vectors``), e.g. ``embeddings.load_embeddings("ml100k-item-cards")``;
    ``options`` go to :class:`ContentModel` (``center=False``,
    ``weight_by_rating=True``...).
    """
    return ContentModel(cards.ids, cards.vectors, **options)


def ease_blend(lam: float, content: ContentModel, weight: float) -> WeightedBlend:
    """The book's weighted blend: ``EASE(lam)`` and a content model (chapters 5-8)."""
    return WeightedBlend(EASE(lam), content, weight=weight)


def ease_gate(lam: float, content: ContentModel, beta: float, weight: float) -> GatedBlend:
    """The book's gated blend: ``EASE(lam)`` and a content model (chapters 5-8)."""
    return GatedBlend(EASE(lam), content, beta=beta, weight=weight)
