r"""A factorisation model with side features (LightFM-style): the loss in torch, the fit in NumPy.

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
\lVert q_j\rVert^2)` on the vectors of each triple. Training is Adagrad
(LightFM's default optimiser: per-parameter step sizes suit rare ids and rare
features) set up as LightFM sets it up: the vectors start uniform on
:math:`(-\tfrac{1}{2k}, \tfrac{1}{2k})`, Adagrad's sums of squared gradients
start at 1, and each triple contributes its own gradient (a mini-batch of
``batch_size`` triples is that many per-triple steps taken at once, their
gradients added). Seeded by ``seed`` and deterministic on CPU.

**How it trains.** :func:`pair_loss` states the loss in torch, and autograd
differentiates it; the fit uses the same gradient written out by hand
(:func:`pair_gradients`, checked against autograd in ``tests/test_fm.py``) in
NumPy, so that a step costs a few small array operations instead of a graph:
the item bias is kept as one more column of the item table (``[q_i, b_i]``
scored against ``[p_u, 1]``), a step's gradients reach only the rows of the
ids in its batch (summed per id), and Adagrad moves only those rows, which is
what dense Adagrad does too (a zero gradient leaves a row and its accumulator
as they are). Every negative draw of an epoch is made at its start.

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

from ..config import SEED, logger
from ..data.columns import ITEM
from ..data.features import keyed_rows, plain_ids
from .base import Base

__all__ = ['FeatureMF', 'FeatureTable', 'feature_table', 'pair_gradients', 'pair_loss', 'warp_weights']  # fmt: skip


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


_EPS = 1e-10  # torch.optim.Adagrad's
_ACCUMULATOR = 1.0  # Adagrad's sums of squared gradients start at 1, as in LightFM


class _Params:
    """The parameters as the fit keeps them, in float32. One table ``T`` holds a
    row ``[e_u, 1]`` per user, then a row ``[e_i, beta_i]`` per item, so that
    ``[p_u, 1] . [q_i, b_i] = p_u^T q_i + b_i`` and one scatter-add and one
    Adagrad step serve every id of a batch; ``Wu`` (last column 0) and ``W``
    (``[W_I, w_b]``) map the features; ``k`` columns are factors."""

    def __init__(self, Eu, Ei, b, Wu=None, Wi=None, wb=None, dtype=np.float32):
        n_users, self.k = Eu.shape
        self.n_users = n_users
        users = np.hstack([Eu, np.ones((n_users, 1))])
        self.T = np.vstack([users, np.hstack([Ei, np.asarray(b)[:, None]])]).astype(dtype)
        self.Wu = None if Wu is None else np.hstack(
            [Wu, np.zeros((len(Wu), 1))]).astype(dtype)
        self.W = None if Wi is None else np.hstack(
            [Wi, np.asarray(wb)[:, None]]).astype(dtype)
        self.factor = np.r_[np.ones(self.k), 0.0].astype(dtype)  # 1 on factor columns

    def users(self, Xu, u):
        """``[p_u, 1]`` of the users ``u``."""
        rows = self.T.take(u, axis=0)
        return rows if Xu is None else rows + Xu.take(u, axis=0) @ self.Wu

    def items(self, Xi):
        """Every item's ``[q_i, b_i]``."""
        rows = self.T[self.n_users:]
        return rows if Xi is None else rows + Xi @ self.W


def _gradients(pu, qbi, qbj, loss, weight, margin, reg, factor):
    """The batch's mean loss, and the gradient of its *summed* loss (each triple's
    own gradient, as a per-triple step would take it) w.r.t. ``[p_u, 1]``,
    ``[q_i, b_i]`` and ``[q_j, b_j]`` (the constant 1 gets 0; biases are not
    regularised)."""
    n = len(pu)
    gap = qbi - qbj
    diff = np.einsum("nk,nk->n", pu, gap)
    if loss == "bpr":  # d/d diff of -ln sigma(diff) is -sigma(-diff)
        data = np.logaddexp(0, -diff)
        g = -np.exp(-np.logaddexp(0, diff))
    else:
        slack = margin - diff
        data = weight * np.maximum(slack, 0)
        g = -weight * (slack > 0)
    k = len(factor) - 1
    rows = np.concatenate([pu, qbi, qbj])
    value = float(data.mean() + reg * np.einsum("nk,nk->", rows[:, :k], rows[:, :k]) / n)
    g, c = g.astype(pu.dtype)[:, None], (2 * reg) * factor  # no penalty on biases
    gp = g * pu
    # the three gradients in place, in one array (rows of p_u, q_i, q_j)
    G = np.multiply(c, rows, out=rows)
    gpu, gqi, gqj = G[:n], G[n:2 * n], G[2 * n:]
    gpu += np.multiply(g, gap, out=gap)  # (g gap + c p_u) factor
    gpu *= factor  # the 1 of [p_u, 1] is constant
    gqi += gp
    gqj -= gp
    return value, G


def _summed(ids: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``ids`` (sorted) and the sum of the rows of ``g`` over each, in
    the rows' order (torch's scatter-add: three times ``np.add.at``'s speed here)."""
    counts = np.bincount(ids)
    rows = np.flatnonzero(counts)
    where = torch.from_numpy((np.cumsum(counts > 0) - 1).take(ids))
    total = np.zeros((len(rows), g.shape[1]), dtype=g.dtype)
    torch.from_numpy(total).index_add_(0, where, torch.from_numpy(g))
    return rows, total


def _backward(P: _Params, Xu, Xi, u, i, j, G) -> dict:
    """The gradient of every parameter: ``(ids, rows)`` of ``T``, whole ``Wu`` and
    ``W``, from ``G`` (the rows of ``p_u``, ``q_i`` and ``q_j``, stacked)."""
    items = np.concatenate([i, j])
    grads = {"T": _summed(np.concatenate([u, P.n_users + items]), G)}
    if Xu is not None:
        grads["Wu"] = Xu.take(u, axis=0).T @ G[:len(u)]
    if Xi is not None:
        grads["W"] = Xi.take(items, axis=0).T @ G[len(u):]
    return grads


def pair_gradients(params: dict[str, np.ndarray], Xu: np.ndarray | None, Xi: np.ndarray | None,
                   u: ArrayLike, i: ArrayLike, j: ArrayLike, loss: str = "bpr",
                   weight: ArrayLike | None = None, margin: float = 1.0,
                   reg: float = 0.0) -> tuple[float, dict[str, np.ndarray]]:  # fmt: skip
    """:func:`pair_loss` and its gradient with respect to each of ``params``
    (``Eu, Ei, b`` and ``Wu`` / ``Wi, wb``), written out by hand: the gradient
    :class:`FeatureMF` steps along (in float32, and times the batch's size, as
    it adds the triples' gradients). Returns ``(loss, {name: gradient})``."""
    p = {n: np.asarray(v, dtype=float) for n, v in params.items()}
    P = _Params(p["Eu"], p["Ei"], p["b"], p.get("Wu"), p.get("Wi"), p.get("wb"), dtype=float)
    u, i, j = (np.asarray(a) for a in (u, i, j))
    weight = np.ones(len(u)) if weight is None else np.asarray(weight, dtype=float)
    QB = P.items(Xi)
    value, G = _gradients(P.users(Xu, u), QB.take(i, axis=0), QB.take(j, axis=0),
                          loss, weight, margin, reg, P.factor)  # fmt: skip
    n = len(u)
    gpu, gqi, gqj = G[:n] / n, G[n:2 * n] / n, G[2 * n:] / n  # pair_loss is the mean
    rows = np.concatenate([u, P.n_users + i, P.n_users + j])
    dense = np.zeros_like(P.T)
    np.add.at(dense, rows, np.concatenate([gpu, gqi, gqj]))
    out = {"Eu": dense[: P.n_users, :-1], "Ei": dense[P.n_users:, :-1], "b": dense[P.n_users:, -1]}
    if Xu is not None:
        out["Wu"] = (Xu.take(u, axis=0).T @ gpu)[:, :-1]
    if Xi is not None:
        W = Xi.take(np.concatenate([i, j]), axis=0).T @ np.concatenate([gqi, gqj])
        out["Wi"], out["wb"] = W[:, :-1], W[:, -1]
    return value, out


def _adagrad(p: np.ndarray, state: np.ndarray, g: np.ndarray, lr: float,
             rows: np.ndarray | None = None) -> None:  # fmt: skip
    """One Adagrad step on ``p`` (on its ``rows`` only, if given), as torch's."""
    if rows is None:
        state += g * g
        p -= lr * g / (np.sqrt(state) + _EPS)
    else:  # the same operations in place: lr g / (sqrt(acc) + eps)
        acc = state.take(rows, axis=0)
        acc += g * g
        state[rows] = acc
        step, scale = lr * g, np.sqrt(acc)
        scale += _EPS
        step /= scale
        new = p.take(rows, axis=0)
        new -= step
        p[rows] = new


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
        threads: BLAS threads while fitting (restored afterwards); the
            matrices are small, so one thread is fastest, and a fixed count
            keeps float sums in a fixed order. ``None``: BLAS's setting.
    """

    def __init__(self, factors: int = 32, loss: str = "warp",
                 item_features: pd.DataFrame | ArrayLike | None = None,
                 item_ids: ArrayLike | None = None,
                 user_features: pd.DataFrame | ArrayLike | None = None,
                 user_ids: ArrayLike | None = None, lr: float = 0.05, reg: float = 1e-4,
                 epochs: int = 30, batch_size: int = 1024, max_sampled: int = 10,
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
        from threadpoolctl import threadpool_limits

        if self.threads is None:
            self._train(u, i, r)
            return
        with threadpool_limits(self.threads):
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
        def init(n):  # LightFM's: uniform on (-1/2k, 1/2k)
            return (rng.random((n, k)) - 0.5) / k

        Ei = init(n_items) * trained[:, None]  # cold items: e_i = 0
        Eu = init(n_users)
        Wu = None if Xu is None else init(Xu.shape[1])
        Wi = None if Xi is None else init(Xi.shape[1])
        P = _Params(Eu, Ei, np.zeros(n_items), Wu, Wi, None if Xi is None else np.zeros(len(Wi)))
        state = {name: None if M is None else np.full_like(M, _ACCUMULATOR)
                 for name, M in (("T", P.T), ("Wu", P.Wu), ("W", P.W))}  # fmt: skip
        Xu, Xi = (None if X is None else X.astype(np.float32) for X in (Xu, Xi))
        candidates = np.flatnonzero(trained)  # negatives: training items only
        liked = self._positives(u, i, n_users, n_items)
        draws = 1 if self.loss == "bpr" else self.max_sampled
        self.loss_history_ = []
        for _ in range(self.epochs):
            order = rng.permutation(len(u))
            eu, ei = u[order], i[order]
            drawn = candidates.take(rng.integers(0, len(candidates), (len(u), draws)))
            is_pos = liked(eu, drawn)
            total = 0.0
            for start in range(0, len(u), self.batch_size):
                at = slice(start, start + self.batch_size)
                bu, bi = eu[at], ei[at]
                pu, QB = P.users(Xu, bu), P.items(Xi)
                qbi = QB.take(bi, axis=0)
                j, qbj, w = self._negatives(pu, qbi, QB, bu, drawn[at], is_pos[at],
                                            candidates, liked, rng)  # fmt: skip
                value, G = _gradients(pu, qbi, qbj, self.loss, w, self.margin, self.reg,
                                      P.factor)  # fmt: skip
                grads = _backward(P, Xu, Xi, bu, bi, j, G)
                rows, g = grads["T"]
                _adagrad(P.T, state["T"], g, self.lr, rows)
                for name in ("Wu", "W"):
                    if name in grads:
                        _adagrad(getattr(P, name), state[name], grads[name], self.lr)
                total += value * len(bu)
            self.loss_history_.append(total / len(u))
        pu, QB = P.users(Xu, np.arange(n_users)), P.items(Xi)
        self.P_, self.Q_, self.b_ = (a.astype(float) for a in (pu[:, :k], QB[:, :k], QB[:, k]))

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

    def _negatives(self, pu, qbi, QB, u, j, is_pos, candidates, liked, rng):
        """One negative per positive from its draws ``j`` (``is_pos``: which of
        them the user likes), its row of ``QB``, and its weight (WARP's rank
        weight, or 1)."""
        if self.loss == "bpr":
            j = j.copy()
            while is_pos.any():  # redraw negatives the user likes, as mf.BPR does
                j[is_pos] = candidates[rng.integers(0, len(candidates), int(is_pos.sum()))]
                is_pos = liked(u, j)
            return j[:, 0], QB.take(j[:, 0], axis=0), np.ones(len(u), np.float32)
        s_pos = np.einsum("nk,nk->n", pu, qbi)  # [p_u, 1] . [q_i, b_i]
        qbj = QB.take(j, axis=0)
        s_neg = np.einsum("nk,nmk->nm", pu, qbj)
        violates = (s_neg > (s_pos - self.margin)[:, None]) & ~is_pos
        first = violates.argmax(axis=1)
        hit = violates.any(axis=1)
        w = np.where(hit, warp_weights(first + 1, len(candidates)), 0.0).astype(np.float32)
        n = np.arange(len(u))
        return j[n, first], qbj[n, first], w

    def _scores(self, u):
        return self.P_[u] @ self.Q_.T + self.b_
