r"""A factorisation model with side features (LightFM-style), in torch.

A user's vector is its id embedding plus a learned linear map of its
features, and the same for items (Kula, 2015, *Metadata embeddings for user
and item cold-start recommendations*):

.. math::

    p_u = e_u + x_u^\top W_U, \qquad q_i = e_i + x_i^\top W_I, \qquad
    b_i = \beta_i + x_i^\top w_b, \qquad s_{ui} = p_u^\top q_i + b_i,

with :math:`x_u, x_i` the (dense) feature rows, :math:`e_u, e_i, \beta_i`
learned per id and :math:`W_U, W_I, w_b` shared by all ids. An item absent
from training but present in the item feature matrix (a *cold* item) has
:math:`e_i = 0, \beta_i = 0`, so it is scored from its features alone: the
point of the model. Without features it is plain BPR/WARP matrix
factorisation.

Two ranking losses over a positive :math:`i` and a sampled negative :math:`j`
of user :math:`u` (negatives are drawn uniformly from the training items the
user has no positive interaction with):

* ``"bpr"``: :math:`-\ln\sigma(s_{ui} - s_{uj})` (Rendle et al., 2009);
* ``"warp"`` (Weston et al., 2011): draw up to ``max_sampled`` negatives until
  one violates the margin :math:`m` (``margin``, 1 as in LightFM),
  :math:`s_{uj} > s_{ui} - m`; if the first violator is the :math:`N`-th
  draw, the positive's rank among the :math:`n` training items is about
  :math:`\lfloor (n-1)/N \rfloor`, and the loss is
  :math:`\ln\max(1, \lfloor (n-1)/N \rfloor)\,\max(0, m - s_{ui} + s_{uj})`
  (LightFM's weighting). A positive with no violator in ``max_sampled`` draws
  contributes nothing. WARP is sequential in LightFM; here the ``max_sampled``
  draws of a whole mini-batch are scored at once with the parameters of that
  step (which LightFM also keeps fixed while it samples for one positive), and
  the first violator is found by ``argmax``: the same distribution of
  :math:`N`, at the price of scoring all ``max_sampled`` draws (a few small
  matrix products per step, so WARP is practical and no sampled-softmax
  stand-in is needed). WARP pushes the top of the list, where NDCG@10 looks,
  so it is the default; BPR weighs every mis-ordered pair alike.

Both add :math:`\lambda(\lVert p_u\rVert^2 + \lVert q_i\rVert^2 +
\lVert q_j\rVert^2)` on the vectors of the batch. Training is mini-batch
Adagrad (LightFM's default optimiser: per-parameter step sizes suit rare ids
and rare features), seeded by ``seed`` and deterministic on CPU.

**Implicit feedback** follows :class:`~llmrec_utils.models.mf.BPR` and the book's
ranking protocol (every test interaction is relevant): by default every
training interaction is a positive. ``positive_rating=4`` keeps only ratings
``>= 4`` as positives (lower-rated items may then be drawn as negatives).

**Feature input.** ``item_features`` / ``user_features`` are a DataFrame
indexed by id (columns are the features) or a 2-D array with the ids given in
``item_ids`` / ``user_ids``. Values must be finite (a NaN or inf is rejected
naming its column). A training user or item without a feature row gets a zero
feature vector (its id embedding alone); how many is logged through
:func:`~llmrec_utils.config.logger`. If more than ``max_missing`` of the
training ids lack features, the table is taken to be keyed differently from
the ratings (e.g. string ids against integer ids) and ``fit`` raises,
naming ids of both. Features are used as given: put columns on comparable
scales. A user absent from training gets the contract's fallback (0), even if
it has features.

Chapter 7 fits it on language-model features; ``benchmarks/fm_vs_lightfm.py``
compares it with LightFM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from ..config import SEED, logger, torch_threads
from ..data.columns import ITEM
from ..data.features import keyed_rows, plain_ids
from .base import Base

__all__ = ['FeatureMF', 'FeatureTable', 'feature_table', 'pair_loss', 'warp_weights']  # fmt: skip


LOSSES = ("warp", "bpr")


@dataclass(frozen=True)
class FeatureTable:
    """Feature rows with their ids (unique) and column names; values finite."""

    ids: pd.Index
    values: np.ndarray
    columns: list


def feature_table(features: pd.DataFrame | ArrayLike, ids: ArrayLike | None = None,
                  side: str = "item") -> FeatureTable:  # fmt: skip
    """Check and normalise one side's features (see the module docstring)."""
    if isinstance(features, pd.DataFrame):
        if ids is not None:
            raise ValueError(f"{side}_features is a DataFrame: its index is the ids; "
                             f"drop {side}_ids.")  # fmt: skip
        ids, columns = features.index, [str(c) for c in features.columns]
        try:
            values = features.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{side}_features must be numeric ({exc}).") from None
    else:
        values = np.asarray(features, dtype=float)
        if values.ndim != 2:
            raise ValueError(f"{side}_features must be 2-D, got shape {values.shape}.")
        if ids is None:
            raise ValueError(f"{side}_features is an array: give the id of each row "
                             f"in {side}_ids.")  # fmt: skip
        columns = [f"column {c}" for c in range(values.shape[1])]
    ids = pd.Index(np.asarray(ids))
    if len(ids) != len(values):
        raise ValueError(f"{side}_features has {len(values)} rows but {len(ids)} ids.")
    if ids.has_duplicates:
        dup = plain_ids(ids[ids.duplicated()][:1])[0]
        raise ValueError(f"{side} ids must be unique; {dup!r} has more than one feature row.")
    bad = ~np.isfinite(values)
    if bad.any():
        col = int(np.argmax(bad.any(axis=0)))
        row = int(np.argmax(bad[:, col]))
        raise ValueError(
            f"{side}_features has {int(bad.sum())} NaN/inf values, e.g. in {columns[col]!r} "
            f"for id {plain_ids(ids[row : row + 1])[0]!r}; fill or drop them (a missing value "
            "is not a zero)."
        )
    return FeatureTable(ids, values, columns)


def _check_ids(table: FeatureTable, ids: pd.Index, trained: np.ndarray,
               max_missing: float, side: str) -> np.ndarray:
    """Rows of ``table`` for ``ids`` (-1: none); raises if too many training ids
    lack features (the table is keyed differently), logs how many do."""
    rows = keyed_rows(table.ids, ids, max_missing, f"training {side}s", "feature row", trained)
    missing = trained & (rows < 0)
    if missing.any():
        logger().info(
            f"FeatureMF: {int(missing.sum())} training {side}(s) have no features, e.g. "
            f"{plain_ids(ids[missing][:1])[0]!r}; they get a zero feature vector (id embedding only)."
        )
    return rows


def _align(table: FeatureTable | None, ids: pd.Index, trained: np.ndarray,
           max_missing: float, side: str) -> np.ndarray | None:  # fmt: skip
    """Feature rows in the order of ``ids``; rows without features are zero."""
    if table is None:
        return None
    rows = _check_ids(table, ids, trained, max_missing, side)
    out = np.zeros((len(ids), table.values.shape[1]))
    out[rows >= 0] = table.values[rows[rows >= 0]]
    return out


def warp_weights(first: np.ndarray, n_items: int) -> np.ndarray:
    r"""WARP's rank weight :math:`\ln\max(1, \lfloor (n-1)/N \rfloor)` for first
    violations at draw ``first`` (:math:`N`, 1-based)."""
    return np.log(np.maximum(1.0, np.floor((n_items - 1) / np.asarray(first, float))))


def _vectors(E: torch.Tensor, X: torch.Tensor | None, W: torch.Tensor | None) -> torch.Tensor:
    """Every row's vector: id embedding plus the projected features."""
    return E if X is None else E + X @ W


def _tables(params: dict[str, torch.Tensor], Xu: torch.Tensor | None,
            Xi: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """All user vectors :math:`p_u`, item vectors :math:`q_i` and item biases :math:`b_i`."""
    P = _vectors(params["Eu"], Xu, params.get("Wu"))
    Q = _vectors(params["Ei"], Xi, params.get("Wi"))
    bias = params["b"] if Xi is None else params["b"] + Xi @ params["wb"]
    return P, Q, bias


def _triple_loss(P, Q, bias, u, i, j, loss, weight, margin, reg) -> torch.Tensor:
    pu, qi, qj = P[u], Q[i], Q[j]
    diff = (pu * (qi - qj)).sum(1) + bias[i] - bias[j]
    if loss == "bpr":
        data = -torch.nn.functional.logsigmoid(diff)
    elif loss == "warp":
        data = weight * torch.relu(margin - diff)
    else:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}.")
    penalty = (pu * pu).sum(1) + (qi * qi).sum(1) + (qj * qj).sum(1)
    return (data + reg * penalty).mean()


def pair_loss(params: dict[str, torch.Tensor], Xu: torch.Tensor | None,
              Xi: torch.Tensor | None, u: torch.Tensor, i: torch.Tensor, j: torch.Tensor,
              loss: str = "bpr", weight: torch.Tensor | None = None, margin: float = 1.0,
              reg: float = 0.0) -> torch.Tensor:  # fmt: skip
    r"""Mean loss of the triples ``(u, i, j)`` (see the module docstring); what
    :class:`FeatureMF` minimises at each step.

    ``params`` holds ``Eu, Ei, b`` and, with features, ``Wu`` / ``Wi, wb``.
    ``weight`` is WARP's per-triple rank weight (0 for a positive without a
    violator); BPR ignores it.
    """
    return _triple_loss(*_tables(params, Xu, Xi), u, i, j, loss, weight, margin, reg)


class FeatureMF(Base):
    """Matrix factorisation with user and item features (see the module docstring).

    Args:
        factors: latent size :math:`k`.
        loss: ``"warp"`` or ``"bpr"``.
        item_features, item_ids, user_features, user_ids: the side features.
        lr: Adagrad's step size. reg: :math:`\\lambda`.
        epochs, batch_size: passes over the positives and triples per step.
        max_sampled: WARP's draws per positive. margin: WARP's margin.
        positive_rating: ratings at or above it are positives; ``None``: all.
        max_missing: the largest share of training ids without features.
        threads: torch's CPU threads while fitting (restored afterwards); the
            matrices are small, so one thread is fastest, and a fixed count
            keeps float sums in a fixed order. ``None``: torch's setting.
    """

    def __init__(self, factors: int = 32, loss: str = "warp",
                 item_features: pd.DataFrame | ArrayLike | None = None,
                 item_ids: ArrayLike | None = None,
                 user_features: pd.DataFrame | ArrayLike | None = None,
                 user_ids: ArrayLike | None = None, lr: float = 0.05, reg: float = 1e-4,
                 epochs: int = 30, batch_size: int = 256, max_sampled: int = 10,
                 margin: float = 1.0, positive_rating: float | None = None,
                 max_missing: float = 0.5, threads: int | None = 1,
                 seed: int = SEED):  # fmt: skip
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}.")
        if factors < 1 or epochs < 1 or batch_size < 1 or max_sampled < 1:
            raise ValueError("factors, epochs, batch_size and max_sampled must be at least 1.")
        if lr <= 0 or reg < 0 or not 0 <= max_missing <= 1:
            raise ValueError("need lr > 0, reg >= 0 and max_missing in [0, 1].")
        self.items = None if item_features is None else feature_table(
            item_features, item_ids, "item")
        self.users = None if user_features is None else feature_table(
            user_features, user_ids, "user")
        self.factors, self.loss, self.lr, self.reg = factors, loss, lr, reg
        self.epochs, self.batch_size, self.max_sampled = epochs, batch_size, max_sampled
        self.margin, self.positive_rating, self.max_missing = margin, positive_rating, max_missing
        self.threads, self.seed = threads, seed

    def __repr__(self) -> str:
        shape = {side: None if t is None else t.values.shape
                 for side, t in (("items", self.items), ("users", self.users))}  # fmt: skip
        return (f"FeatureMF(factors={self.factors}, loss={self.loss!r}, epochs={self.epochs}, "
                f"item_features={shape['items']}, user_features={shape['users']})")

    def _item_index(self, train: pd.DataFrame) -> pd.Index:
        """Training items plus every item with features (those can be scored cold)."""
        if self.items is None:
            return super()._item_index(train)
        seen = pd.Index(np.sort(train[ITEM].unique()))
        keyed_rows(self.items.ids, seen, self.max_missing, "training items", "feature row")
        return seen.append(self.items.ids[~self.items.ids.isin(seen)]).sort_values()

    def _fit(self, u, i, r):
        with torch_threads(self.threads):
            self._train(u, i, r)

    def _train(self, u, i, r):
        n_users, n_items, k = len(self.users_), len(self.items_), self.factors
        keep = np.ones(len(r), bool) if self.positive_rating is None else r >= self.positive_rating
        if not keep.any():
            raise ValueError(f"no training rating reaches positive_rating={self.positive_rating}.")
        u, i = u[keep], i[keep]
        trained = np.zeros(n_items, bool)
        trained[np.unique(self.seen_.indices)] = True
        Xu = _align(self.users, self.users_, np.ones(n_users, bool), self.max_missing, "user")
        Xi = _align(self.items, self.items_, trained, self.max_missing, "item")
        rng = np.random.default_rng(self.seed)
        torch.manual_seed(self.seed)  # nothing random is drawn by torch; for safety
        Ei = rng.normal(0, 0.1, (n_items, k)) * trained[:, None]  # cold items: e_i = 0
        params = {"Eu": rng.normal(0, 0.1, (n_users, k)), "Ei": Ei, "b": np.zeros(n_items)}
        if Xu is not None:
            params["Wu"] = rng.normal(0, 0.1 / np.sqrt(Xu.shape[1]), (Xu.shape[1], k))
        if Xi is not None:
            params["Wi"] = rng.normal(0, 0.1 / np.sqrt(Xi.shape[1]), (Xi.shape[1], k))
            params["wb"] = np.zeros(Xi.shape[1])
        dtype = torch.float32
        params = {n: torch.tensor(v, dtype=dtype, requires_grad=True) for n, v in params.items()}
        tXu = None if Xu is None else torch.tensor(Xu, dtype=dtype)
        tXi = None if Xi is None else torch.tensor(Xi, dtype=dtype)
        opt = torch.optim.Adagrad(list(params.values()), lr=self.lr)
        candidates = np.flatnonzero(trained)  # negatives: training items only
        liked = self._positives(u, i, n_users, n_items)
        self.loss_history_ = []
        for _ in range(self.epochs):
            order = rng.permutation(len(u))
            total = 0.0
            for start in range(0, len(u), self.batch_size):
                rows = order[start : start + self.batch_size]
                bu, bi = u[rows], i[rows]
                P, Q, bias = _tables(params, tXu, tXi)
                j, w = self._negatives(P.detach(), Q.detach(), bias.detach(), bu, bi,
                                       candidates, liked, rng)  # fmt: skip
                opt.zero_grad()
                value = _triple_loss(P, Q, bias, torch.as_tensor(bu), torch.as_tensor(bi),
                                     torch.as_tensor(j), self.loss,
                                     torch.as_tensor(w, dtype=dtype), self.margin, self.reg)
                value.backward()
                opt.step()
                total += float(value.detach()) * len(bu)
            self.loss_history_.append(total / len(u))
        with torch.no_grad():
            P, Q, bias = _tables(params, tXu, tXi)
        self.P_, self.Q_, self.b_ = (t.detach().double().numpy() for t in (P, Q, bias))

    @staticmethod
    def _positives(u, i, n_users, n_items):
        """``liked(users, items) -> bool array``: is the pair a training positive?"""
        if n_users * n_items <= 50_000_000:  # a dense table: fast, at most 50 MB
            table = np.zeros((n_users, n_items), bool)
            table[u, i] = True
            return lambda users, items: table[users[:, None], items]
        keys = np.unique(u.astype(np.int64) * n_items + i)  # sorted (user, item) keys

        def liked(users, items):
            query = users[:, None].astype(np.int64) * n_items + items
            at = np.searchsorted(keys, query).clip(max=len(keys) - 1)
            return keys[at] == query

        return liked

    def _negatives(self, P, Q, bias, u, i, candidates, liked, rng):
        """One negative per positive, and its weight (WARP's rank weight, or 1)."""
        m = 1 if self.loss == "bpr" else self.max_sampled
        j = candidates[rng.integers(0, len(candidates), (len(u), m))]
        is_pos = liked(u, j)
        if self.loss == "bpr":
            while is_pos.any():  # redraw negatives the user likes, as mf.BPR does
                j[is_pos] = candidates[rng.integers(0, len(candidates), int(is_pos.sum()))]
                is_pos = liked(u, j)
            return j[:, 0], np.ones(len(u))
        tu, ti, tj = (torch.as_tensor(a) for a in (u, i, j))
        pu = P[tu]
        s_pos = (pu * Q[ti]).sum(1) + bias[ti]
        s_neg = torch.einsum("nk,nmk->nm", pu, Q[tj]) + bias[tj]
        violates = (s_neg > (s_pos - self.margin)[:, None]).numpy() & ~is_pos
        first = violates.argmax(axis=1)
        hit = violates.any(axis=1)
        w = np.where(hit, warp_weights(first + 1, len(candidates)), 0.0)
        return j[np.arange(len(u)), first], w

    def _scores(self, u):
        return self.P_[u] @ self.Q_.T + self.b_
