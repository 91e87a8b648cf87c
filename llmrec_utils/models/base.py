"""The model contract every recommender in the book follows, and the trivial models.

Every model, from the global mean to the LLM-augmented hybrids and Spark's
ALS, has the same methods, so the evaluation chapter can loop over them:

* ``Model(**hyper_parameters, seed=SEED)``: everything a model needs besides
  the training ratings is given here (validation data to monitor, extra
  training triples), never smuggled in through ``fit``. ``seed`` is passed on
  to whatever the model draws at random (initial factors, sampled negatives,
  a wrapped library's ``random_state``), so the same seed gives the same fit
  and another seed another one; a deterministic model (the means, EASE, the
  content model) uses it for ties only;
* ``fit(train) -> self`` (a ratings DataFrame with ``user, item[, rating]``)
  changes the model and nothing else: a model built from other models (the
  blends) fits *copies* of them, so the models passed in stay as they were;
  afterwards ``users_`` and ``items_`` (sorted ``pd.Index``, read by the
  metrics and the re-rankers) are the ids the model knows;
* ``predict(users, items) -> np.ndarray``: one score per pair (a rating,
  clipped to ``rating_scale``, for rating models; a ranking score for top-K
  models), equal to the pair's entry of ``score`` (or ``fallback``), clipped;
* ``score(users) -> np.ndarray`` of shape ``(len(users), len(items_))``: the
  raw (unclipped) score of every known item, in the order of ``items_``;
* ``fallback(users, items) -> np.ndarray``: the score of a pair whose user or
  item the model does not know (the rule below);
* ``recommend(users, k=10, exclude_seen=True, items=None) -> DataFrame`` with
  ``user, item, score, rank`` (``k`` is always a list length; latent
  dimensions are called ``factors``).

**Unknown ids.** ``predict`` and ``score`` never fail on an id absent from
training: they return :meth:`Base.fallback`, the model's baseline for the side
it knows, and it is always finite. A rating model with biases predicts
:math:`\\mu + b_u` for a known user and an unknown item, :math:`\\mu + b_i`
for the reverse and :math:`\\mu` (the training mean) when both are unknown; a
rating model without biases predicts :math:`\\mu`. A ranking model gives such
pairs 0, a neutral score, except :class:`Popularity`, whose scores are not
personal: an unknown user's pair gets the item's count (an unknown item 0).
Wrapped libraries follow their own baseline where they have one (Surprise's
estimate for unknown ids is the same rule).
``recommend`` raises ``ValueError`` for an unknown user (there is no history
to rank from; use :class:`Popularity` for new users); unknown *candidate*
items (``items=``) are scored with ``fallback``.

**Ties** (items a model cannot tell apart, e.g. equally popular ones) are
broken at random, not by item id (MovieLens ids correlate with popularity):
by :func:`tie_breaker`, a fixed pseudo-random number per (seed, user, item),
so each model (through its own ``seed``) and each user gets its own order.
The tie-breaker only orders items with *equal* scores; it never reorders
distinct scores, and the returned ``score`` is the model's own.

**Where a model departs from** :class:`Base` **(the only places).**
:class:`~llmrec_utils.models.peers.SurpriseModel` predicts through Surprise's
own ``predict`` (its estimate for unknown ids is its fallback, so the rule
above holds). :class:`~llmrec_utils.models.spark_als.SparkALS` predicts and
ranks the whole catalogue on Spark: ties are ordered by the same
:func:`tie_breaker` there, among the ``k`` plus longest-history items MLlib
returns per user, so an exact tie *at that depth* keeps MLlib's choice of
which items were returned (with float factors, practically never).

:class:`Base` handles ids, input checks, unknown ids and top-K once; a model
writes ``_fit(u, i, r)`` and ``_scores(u)`` on integer codes (and
``_fallback(u, i)``, codes -1 for unknown, when 0 is not its baseline).
Taught in ``notebooks/04_matrix_factorization.ipynb``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from ..config import SEED
from ..data.columns import ITEM, RANK, RATING, SCORE, USER
from ..data.loaders import validate_ratings

__all__ = ['Recommender', 'Base', 'GlobalMean', 'Popularity', 'tie_breaker', 'pair_tie_breaker']  # fmt: skip


_BLOCK = 256  # users scored at once: keeps the (users x items) arrays small


@runtime_checkable
class Recommender(Protocol):
    """What every model in the book provides (see the module docstring)."""

    seed: int
    users_: pd.Index  # after fit: the training users, sorted
    items_: pd.Index  # after fit: the items the model scores, sorted

    def fit(self, train: pd.DataFrame) -> "Recommender": ...

    def predict(self, users: ArrayLike, items: ArrayLike) -> np.ndarray: ...

    def score(self, users: ArrayLike) -> np.ndarray: ...

    def fallback(self, users: ArrayLike, items: ArrayLike) -> np.ndarray: ...

    def recommend(self, users: ArrayLike | None = None, k: int = 10, exclude_seen: bool = True,
                  items: ArrayLike | None = None) -> pd.DataFrame: ...  # fmt: skip


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a fixed, well-spread bijection of uint64."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _hash_ids(ids: ArrayLike) -> np.ndarray:
    ids = np.asarray(ids).ravel()
    if ids.dtype.kind in "USO":  # strings: hashed as Python objects
        ids = ids.astype(object)
    elif ids.dtype.kind in "iu":  # an id is its value, whatever its width (Spark's int32)
        ids = ids.astype(np.int64)
    return pd.util.hash_array(ids, categorize=False)


def _seed_hash(seed: int) -> np.ndarray:
    return _mix(np.array([seed], dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15))


def tie_breaker(seed: int, users: ArrayLike, items: ArrayLike) -> np.ndarray:
    """A pseudo-random number in [0, 1) for each (user, item), fixed by ``seed``.

    Shape ``(len(users), len(items))``. It depends on the ids (of any type),
    not on their position, so a user's order of tied items is the same
    whatever the candidate list, and differs between users and between seeds.
    """
    hu, hi = _hash_ids(users), _hash_ids(items)
    with np.errstate(over="ignore"):
        x = _mix(_mix(hu ^ _seed_hash(seed))[:, None] + hi[None, :])
    return (x >> np.uint64(11)).astype(float) * 2.0**-53


def pair_tie_breaker(seed: int, users: ArrayLike, items: ArrayLike) -> np.ndarray:
    """:func:`tie_breaker` of each (user, item) *pair*: ``tie_breaker(seed, [u],
    [i])[0, 0]`` for each, 1-D (for rankings computed elsewhere, e.g. on Spark)."""
    hu, hi = _hash_ids(users), _hash_ids(items)
    if hu.shape != hi.shape:
        raise ValueError(f"users and items must be of equal length, got {hu.shape} and {hi.shape}.")
    with np.errstate(over="ignore"):
        x = _mix(_mix(hu ^ _seed_hash(seed)) + hi)
    return (x >> np.uint64(11)).astype(float) * 2.0**-53


def _summary(value) -> str:
    if isinstance(value, pd.DataFrame):
        return f"<DataFrame, {len(value)} rows>"
    return repr(value)


class Base:
    """Ids, checks, the unknown-id rule and top-K, written once.

    Subclasses set ``explicit`` (whether ratings must lie on ``rating_scale``)
    and write ``_fit(u, i, r)`` on integer codes and ``_scores(u_codes)``,
    an array of scores over all training items. Pairs whose user or item was
    not in training get ``_fallback(u, i)`` (codes, -1 = unknown; default 0).
    """

    explicit = False
    rating_scale = (1.0, 5.0)
    seed = SEED  # the default for subclasses without a seed argument

    # -- fitting ------------------------------------------------------------------
    def _check_train(self, train: pd.DataFrame) -> None:
        """The checks every model's training data passes (columns, values, scale)."""
        cols = (USER, ITEM, RATING) if self.explicit else (USER, ITEM)
        validate_ratings(train, columns=cols, what="train")
        if self.explicit:
            lo, hi = self.rating_scale
            r = train[RATING].to_numpy(float)
            if r.min() < lo or r.max() > hi:
                raise ValueError(
                    f"train has ratings outside the scale [{lo:g}, {hi:g}] (min {r.min():g}, "
                    f"max {r.max():g}). Fix or drop those rows, or set the model's "
                    "rating_scale to your data's scale."
                )

    def fit(self, train: pd.DataFrame) -> "Base":
        """Learn from ``train`` (``user, item[, rating]``); returns ``self``."""
        self._check_train(train)
        self.users_ = pd.Index(np.sort(train[USER].unique()))
        self.items_ = self._item_index(train)
        u = self.users_.get_indexer(train[USER])
        i = self.items_.get_indexer(train[ITEM])
        if (i < 0).any():
            raise ValueError(
                f"{int((i < 0).sum())} training rows have items the model cannot represent, "
                f"e.g. {train[ITEM].to_numpy()[i < 0][0]!r}."
            )
        r = train[RATING].to_numpy(float) if RATING in train else np.ones(len(train))
        self.seen_ = sp.csr_matrix(
            (np.ones(len(u)), (u, i)), shape=(len(self.users_), len(self.items_))
        )
        self._fit(u, i, r)
        return self

    def _item_index(self, train: pd.DataFrame) -> pd.Index:
        """The items the model can score: by default, those seen in training."""
        return pd.Index(np.sort(train[ITEM].unique()))

    def _fit(self, u: np.ndarray, i: np.ndarray, r: np.ndarray) -> None:
        raise NotImplementedError

    def _scores(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _fallback(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Scores for pairs with an unknown user or item (code -1); default 0."""
        return np.zeros(len(u))

    def _check_fitted(self) -> None:
        if not hasattr(self, "items_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call .fit(train) first.")

    @staticmethod
    def _pairs(users, items) -> tuple[np.ndarray, np.ndarray]:
        users, items = np.asarray(users), np.asarray(items)
        if users.shape != items.shape or users.ndim != 1:
            raise ValueError(
                f"users and items must be 1-D and of equal length, got {users.shape} "
                f"and {items.shape}."
            )
        return users, items

    # -- scoring ------------------------------------------------------------------
    def score(self, users: ArrayLike) -> np.ndarray:
        """Raw scores of every known item (columns in ``items_`` order) per user.

        Shape ``(len(users), len(items_))``; an unknown user's row is the
        model's :meth:`fallback` for each item.
        """
        self._check_fitted()
        users = np.asarray(users).ravel()
        u = self.users_.get_indexer(users)
        out = np.empty((len(u), len(self.items_)))
        known = u >= 0
        if known.any():
            out[known] = self._scores(u[known])
        if (~known).any():
            n = len(self.items_)
            uu = np.repeat(u[~known], n)
            ii = np.tile(np.arange(n), int((~known).sum()))
            out[~known] = self._fallback(uu, ii).reshape(-1, n)
        return out

    def fallback(self, users: ArrayLike, items: ArrayLike) -> np.ndarray:
        """The baseline score of each (user, item) pair: what the model gives a pair
        whose user or item it does not know (the rule in the module docstring)."""
        self._check_fitted()
        users, items = self._pairs(users, items)
        return self._fallback(self.users_.get_indexer(users), self.items_.get_indexer(items))

    def predict(self, users: ArrayLike, items: ArrayLike) -> np.ndarray:
        """One score per (user, item) pair; unknown ids get :meth:`fallback`."""
        self._check_fitted()
        users, items = self._pairs(users, items)
        u = self.users_.get_indexer(users)
        i = self.items_.get_indexer(items)
        out = np.empty(len(u))
        known = (u >= 0) & (i >= 0)
        out[~known] = self._fallback(u[~known], i[~known])
        out[known] = self._pair_scores(u[known], i[known])
        return self._clip(out)

    def _pair_scores(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Scores of known (user, item) code pairs; by default rows of
        :meth:`_scores`. A model that scores one pair far more cheaply than a
        whole row (Surprise's) overrides this."""
        out = np.empty(len(u))
        uniq = np.unique(u)
        for start in range(0, len(uniq), _BLOCK):  # blocks of users keep memory small
            block = uniq[start : start + _BLOCK]
            sel = (u >= block[0]) & (u <= block[-1])
            out[sel] = self._scores(block)[np.searchsorted(block, u[sel]), i[sel]]
        return out

    def _clip(self, scores: np.ndarray) -> np.ndarray:
        return np.clip(scores, *self.rating_scale) if self.explicit else scores

    def recommend(self, users: ArrayLike | None = None, k: int = 10, exclude_seen: bool = True,
                  items: ArrayLike | None = None) -> pd.DataFrame:  # fmt: skip
        """Top-``k`` items per user as ``user, item, score, rank`` (rank 1 = best).

        ``users`` defaults to all training users; an unknown user is an error
        (a new user has no history to score from). ``items`` restricts the
        candidates (e.g. the cold items); unknown candidates get
        :meth:`fallback`. Equal scores are ordered by :func:`tie_breaker` with
        the model's ``seed``.
        """
        self._check_fitted()
        users = self.users_.to_numpy() if users is None else np.asarray(users)
        u = self.users_.get_indexer(users)
        if (u < 0).any():
            raise ValueError(
                f"{int((u < 0).sum())} user(s) were not in the training data, e.g. "
                f"{users[u < 0][0]!r}; recommend() needs a user's history. Use a "
                "popularity list for new users."
            )
        cand = self.items_.to_numpy() if items is None else np.asarray(items)
        ci = self.items_.get_indexer(cand)
        if k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}.")
        k = min(k, len(cand))
        known = ci >= 0
        frames = []
        for start in range(0, len(u), _BLOCK):
            bu = u[start : start + _BLOCK]
            s = np.empty((len(bu), len(cand)))
            if known.any():
                s[:, known] = self._scores(bu)[:, ci[known]]
            if (~known).any():
                uu = np.repeat(bu, (~known).sum())
                fb = self._fallback(uu, np.full(len(uu), -1))
                s[:, ~known] = fb.reshape(len(bu), -1)
            if exclude_seen and known.any():
                seen = self.seen_[bu][:, ci[known]].toarray() > 0
                block = s[:, known]
                block[seen] = -np.inf
                s[:, known] = block
            ties = tie_breaker(self.seed, users[start : start + _BLOCK], cand)
            # by score, then (equal scores only) by the tie-breaker; both descending
            top = np.lexsort((-ties, -s), axis=1)[:, :k]
            top_s = np.take_along_axis(s, top, 1)
            frames.append(pd.DataFrame({
                USER: np.repeat(users[start : start + _BLOCK], k),
                ITEM: cand[top.ravel()],
                SCORE: top_s.ravel(),
                RANK: np.tile(np.arange(1, k + 1), len(bu)),
            }))  # fmt: skip
        recs = pd.concat(frames, ignore_index=True)
        return recs[np.isfinite(recs[SCORE])].reset_index(drop=True)

    def __repr__(self) -> str:
        params = {k: v for k, v in vars(self).items()
                  if not k.endswith("_") and not k.startswith("_")}  # fmt: skip
        shown = ", ".join(f"{k}={_summary(v)}" for k, v in params.items())
        return f"{type(self).__name__}({shown})"


class GlobalMean(Base):
    """Predicts the training mean for every pair: the floor every model must beat."""

    explicit = True

    def __init__(self, seed: int = SEED):
        self.seed = seed

    def _fit(self, u, i, r):
        self.mu_ = float(r.mean())

    def _scores(self, u):
        return np.full((len(u), len(self.items_)), self.mu_)

    def _fallback(self, u, i):
        return np.full(len(u), self.mu_)


class Popularity(Base):
    """Ranks items by their number of training interactions (the same list for all).

    Its scores are not personal, so an unknown user's pair gets the item's
    count too (0 for an unknown item).
    """

    def __init__(self, seed: int = SEED):
        self.seed = seed

    def _fit(self, u, i, r):
        self.counts_ = np.bincount(i, minlength=len(self.items_)).astype(float)

    def _scores(self, u):
        return np.broadcast_to(self.counts_, (len(u), len(self.counts_))).copy()

    def _fallback(self, u, i):
        return np.where(i >= 0, self.counts_[np.maximum(i, 0)], 0.0)
