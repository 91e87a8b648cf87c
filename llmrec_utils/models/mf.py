r"""Matrix factorisation from scratch: biased MF (ALS and SGD), EASE and BPR.

Every model here follows the contract of :mod:`llmrec_utils.models.base` (``fit``,
``predict``, ``score``, ``fallback``, ``recommend``; the unknown-id rule and
the tie-breaking written there). Taught in
``notebooks/04_matrix_factorization.ipynb``, where every equation below is
derived. Biased MF predicts

.. math:: \hat r_{ui} = \mu + b_u + b_i + p_u^\top q_i

and minimises, over the observed ratings :math:`\mathcal{O}` only,

.. math::
    J = \sum_{(u,i)\in\mathcal{O}} (r_{ui} - \hat r_{ui})^2
        + \lambda\Big(\sum_u n_u \lVert p_u\rVert^2 + \sum_i n_i \lVert q_i\rVert^2\Big)
        + \lambda_b\Big(\sum_u b_u^2 + \sum_i b_i^2\Big)

where :math:`n_u, n_i` count ratings (the weighted-:math:`\lambda` form that
per-rating SGD optimises and ALS-WR uses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike
from tqdm import tqdm

from ..config import SEED
from ..data.columns import ITEM, RATING, USER
from ..data.loaders import validate_ratings
from .base import Base

__all__ = ['BiasedMF', 'EASE', 'BPR', 'Factors', 'loss', 'gradients', 'als_half_step', 'rating_matrix']  # fmt: skip


# --- biased matrix factorisation -----------------------------------------------
@dataclass
class Factors:
    """The parameters of biased MF."""

    mu: float  # global mean, fixed to the training mean
    bu: np.ndarray  # user biases, shape (n_users,)
    bi: np.ndarray  # item biases, shape (n_items,)
    P: np.ndarray  # user factors, shape (n_users, factors)
    Q: np.ndarray  # item factors, shape (n_items, factors)

    def predict(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        return self.mu + self.bu[u] + self.bi[i] + np.einsum("nk,nk->n", self.P[u], self.Q[i])


def loss(f: Factors, u: np.ndarray, i: np.ndarray, r: np.ndarray, reg: float,
         bias_reg: float) -> float:  # fmt: skip
    """The objective J of the module docstring (weighted-lambda L2)."""
    e = r - f.predict(u, i)
    nu = np.bincount(u, minlength=len(f.bu))
    ni = np.bincount(i, minlength=len(f.bi))
    return float(
        e @ e
        + reg * (nu @ (f.P**2).sum(1) + ni @ (f.Q**2).sum(1))
        + bias_reg * (f.bu @ f.bu + f.bi @ f.bi)
    )


def gradients(f: Factors, u: np.ndarray, i: np.ndarray, r: np.ndarray, reg: float,
              bias_reg: float) -> dict:  # fmt: skip
    r"""Exact gradients of :func:`loss`: with :math:`e_{ui} = r_{ui} - \hat r_{ui}`,

    .. math::
        \partial J/\partial p_u = -2\sum_{i\in I_u} e_{ui} q_i + 2\lambda n_u p_u, \qquad
        \partial J/\partial b_u = -2\sum_{i\in I_u} e_{ui} + 2\lambda_b b_u

    and symmetrically for items. Returns ``{"P", "Q", "bu", "bi"}``.
    """
    e = r - f.predict(u, i)
    nu = np.bincount(u, minlength=len(f.bu))
    ni = np.bincount(i, minlength=len(f.bi))
    gP = 2 * reg * nu[:, None] * f.P
    gQ = 2 * reg * ni[:, None] * f.Q
    np.add.at(gP, u, -2 * e[:, None] * f.Q[i])
    np.add.at(gQ, i, -2 * e[:, None] * f.P[u])
    gbu = 2 * bias_reg * f.bu - 2 * np.bincount(u, weights=e, minlength=len(f.bu))
    gbi = 2 * bias_reg * f.bi - 2 * np.bincount(i, weights=e, minlength=len(f.bi))
    return {"P": gP, "Q": gQ, "bu": gbu, "bi": gbi}


def rating_matrix(rows: ArrayLike, cols: ArrayLike, values: ArrayLike,
                  shape: tuple[int, int]) -> sp.csr_matrix:  # fmt: skip
    """A CSR matrix of ``values`` at (rows, cols): rows are the side being solved."""
    return sp.csr_matrix((np.asarray(values, float), (rows, cols)), shape=shape)


def als_half_step(R: sp.csr_matrix, F: np.ndarray, b_other: np.ndarray,
                  reg: float, bias_reg: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    r"""Solve every row's factors and bias exactly, the other side held fixed.

    ``R`` holds :math:`r_{ui} - \mu` with one row per entity being solved
    (users, or items with ``R.T``); ``F`` and ``b_other`` are the other side's
    factors and biases. With :math:`x_i = [q_i; 1]` and targets
    :math:`\tilde r_{ui} = r_{ui} - \mu - b_i`, each row is a ridge regression:

    .. math::
        [p_u; b_u] = \Big(\sum_{i\in I_u} x_i x_i^\top
                     + \mathrm{diag}(\lambda n_u,\dots,\lambda n_u,\lambda_b)\Big)^{-1}
                     \sum_{i\in I_u} \tilde r_{ui}\, x_i

    All rows are independent given ``F``: this is why ALS parallelises.
    Returns ``(factors, biases)``.
    """
    d = F.shape[1]
    X = np.hstack([F, np.ones((len(F), 1))])
    X32 = X.astype(np.float32)
    outer = np.einsum("ik,il->ikl", X32, X32).reshape(len(X), -1)
    ind = sp.csr_matrix((np.ones(R.nnz, np.float32), R.indices, R.indptr), shape=R.shape)
    # sum of x_i x_i^T per row, accumulated in float32 (memory-bound), solved in float64
    A = (ind @ outer).reshape(-1, d + 1, d + 1).astype(np.float64)
    target = R.copy()
    target.data = target.data - b_other[target.indices]
    rhs = target @ X
    n = np.diff(R.indptr).astype(float)
    ridge = np.concatenate([np.full(d, reg), [0.0]]) * n[:, None]
    ridge[:, d] += bias_reg
    A[:, np.arange(d + 1), np.arange(d + 1)] += ridge
    sol = np.linalg.solve(A, rhs[..., None])[..., 0]
    return sol[:, :d], sol[:, d]


class BiasedMF(Base):
    """Biased matrix factorisation trained by ALS (default) or mini-batch SGD.

    Args:
        factors: number of latent dimensions.
        reg: lambda, the L2 weight on factors (per rating, see the module docstring).
        bias_reg: lambda_b, the L2 weight on biases.
        epochs: ALS sweeps (users then items) or SGD passes over the ratings.
        solver: ``"als"`` or ``"sgd"``.
        lr: SGD step size; batch_size: ratings per SGD step.
        n_runs: average the predictions of this many independently initialised
            runs (a cheap ensemble that lowers variance).
        init_std: standard deviation of the initial factors.
        seed: random seed for initialisation, SGD order and tie-breaking.
        valid: ratings to monitor, never trained on: their RMSE after every
            epoch of the first run goes into ``history_`` (pairs with an id
            unknown to training are left out).

    ``fit(train)`` records ``history_``, a DataFrame of training (and, with
    ``valid``, validation) RMSE and of the objective J (``objective``, see
    :func:`loss`) per epoch of the first run; under ALS, J never increases. Unknown users fall
    back to ``mu + b_i``, unknown items to ``mu + b_u``, both to ``mu``.
    """

    explicit = True

    def __init__(self, factors: int = 20, reg: float = 0.15, bias_reg: float = 2.0,
                 epochs: int = 8, solver: str = "als", lr: float = 0.01,
                 batch_size: int = 256, n_runs: int = 1, init_std: float = 0.1,
                 seed: int = SEED, progress: bool = False,
                 valid: pd.DataFrame | None = None):  # fmt: skip
        if solver not in ("als", "sgd"):
            raise ValueError(f"solver must be 'als' or 'sgd', got {solver!r}.")
        if factors < 1 or epochs < 1 or n_runs < 1:
            raise ValueError("factors, epochs and n_runs must be at least 1.")
        if valid is not None:
            validate_ratings(valid, columns=(USER, ITEM, RATING), what="valid")
        self.factors, self.reg, self.bias_reg, self.epochs = factors, reg, bias_reg, epochs
        self.solver, self.lr, self.batch_size, self.n_runs = solver, lr, batch_size, n_runs
        self.init_std, self.seed, self.progress = init_std, seed, progress
        self.valid = valid

    def _fit(self, u, i, r):
        nu, ni = len(self.users_), len(self.items_)
        valid = self.valid
        vu = vi = vr = None
        if valid is not None:
            vu = self.users_.get_indexer(valid[USER])
            vi = self.items_.get_indexer(valid[ITEM])
            keep = (vu >= 0) & (vi >= 0)
            vu, vi, vr = vu[keep], vi[keep], valid[RATING].to_numpy(float)[keep]
        self.runs_: list[Factors] = []
        history = []
        bar = tqdm(total=self.n_runs * self.epochs,
                   desc=f"{self.solver.upper()} factors={self.factors}",
                   disable=not self.progress)  # fmt: skip
        for run in range(self.n_runs):
            rng = np.random.default_rng([self.seed, run])
            mu = float(r.mean())
            f = Factors(mu, np.zeros(nu), np.zeros(ni),
                        rng.normal(0, self.init_std, (nu, self.factors)),
                        rng.normal(0, self.init_std, (ni, self.factors)))  # fmt: skip
            R = rating_matrix(u, i, r - mu, (nu, ni))
            Rt = R.T.tocsr()
            for epoch in range(1, self.epochs + 1):
                if self.solver == "als":
                    f.P, f.bu = als_half_step(R, f.Q, f.bi, self.reg, self.bias_reg)
                    f.Q, f.bi = als_half_step(Rt, f.P, f.bu, self.reg, self.bias_reg)
                else:
                    self._sgd_epoch(f, u, i, r, rng)
                if run == 0:
                    row = {"epoch": epoch, "train_rmse": _rmse(f, u, i, r, self.rating_scale)}
                    if vu is not None:
                        row["valid_rmse"] = _rmse(f, vu, vi, vr, self.rating_scale)
                    row["objective"] = loss(f, u, i, r, self.reg, self.bias_reg)
                    history.append(row)
                bar.update()
            self.runs_.append(f)
        bar.close()
        self.history_ = pd.DataFrame(history)
        self.mu_ = self.runs_[0].mu

    def _sgd_epoch(self, f: Factors, u, i, r, rng) -> None:
        """One pass of mini-batch SGD on J, split into per-rating terms.

        Rating (u, i) carries ``e^2 + reg (|p_u|^2 + |q_i|^2)
        + bias_reg (b_u^2 / n_u + b_i^2 / n_i)``, so the batches sum to J.
        """
        nu = np.bincount(u, minlength=len(f.bu))
        ni = np.bincount(i, minlength=len(f.bi))
        order = rng.permutation(len(r))
        lr, reg, breg = self.lr, self.reg, self.bias_reg
        for start in range(0, len(order), self.batch_size):
            b = order[start : start + self.batch_size]
            bu, bi = u[b], i[b]
            e = r[b] - f.predict(bu, bi)
            pu, qi = f.P[bu], f.Q[bi]
            np.add.at(f.P, bu, lr * (e[:, None] * qi - reg * pu))
            np.add.at(f.Q, bi, lr * (e[:, None] * pu - reg * qi))
            np.add.at(f.bu, bu, lr * (e - breg * f.bu[bu] / nu[bu]))
            np.add.at(f.bi, bi, lr * (e - breg * f.bi[bi] / ni[bi]))

    def _scores(self, u):
        total = 0.0
        for f in self.runs_:
            total = total + (f.mu + f.bu[u][:, None] + f.bi[None, :] + f.P[u] @ f.Q.T)
        return total / len(self.runs_)

    def _fallback(self, u, i):
        out = np.full(len(u), 0.0)
        for f in self.runs_:
            out += f.mu + np.where(u >= 0, f.bu[u], 0.0) + np.where(i >= 0, f.bi[i], 0.0)
        return out / len(self.runs_)


def _rmse(f: Factors, u, i, r, scale) -> float:
    return float(np.sqrt(np.mean((np.clip(f.predict(u, i), *scale) - r) ** 2)))


class EASE(Base):
    r"""EASE (Steck 2019): a closed-form item-item model for top-K.

    Each item's column of the binary interaction matrix :math:`X` is
    regressed on all the others (ridge, zero diagonal):

    .. math:: B = I - P\,\mathrm{diag}(1/\mathrm{diag}(P)),\quad P = (X^\top X + \lambda I)^{-1}

    Scores are :math:`X_u B`. Unknown users and items score 0.
    """

    def __init__(self, lam: float = 500.0, seed: int = SEED):
        if lam <= 0:
            raise ValueError(f"lam must be positive, got {lam!r}.")
        self.lam, self.seed = lam, seed

    def _fit(self, u, i, r):
        X = self.seen_
        G = (X.T @ X).toarray()
        G[np.diag_indices_from(G)] += self.lam
        P = np.linalg.inv(G)
        B = -P / np.diag(P)
        B[np.diag_indices_from(B)] = 0.0
        self.B_ = B

    def _scores(self, u):
        return np.asarray(self.seen_[u] @ self.B_)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class BPR(Base):
    r"""Bayesian personalised ranking (Rendle et al., 2009), by mini-batch SGD.

    For an observed item :math:`i` and a sampled unobserved item :math:`j` of
    user :math:`u`, maximise :math:`\ln\sigma(x_{uij})` with
    :math:`x_{uij} = p_u^\top(q_i - q_j) + b_i - b_j`, L2 on the touched rows.

    ``extra``: optional ``(user, positive, negative)`` triples (e.g.
    LLM-proposed, chapter 6) trained on besides ``train``, each used once per
    epoch; their users and items must be in ``train``. With
    ``prune > 0``, every epoch drops that share of the extra triples with the
    highest loss before training on them (the real triples are never pruned).
    This is the book's own rule, not LLMRec's: LLMRec's ``prune_loss`` works
    within each mini-batch of real and augmented triples together and keeps the
    highest-loss share (chapter 6 explains both).
    """

    def __init__(self, factors: int = 32, lr: float = 0.05, reg: float = 0.005,
                 epochs: int = 40, batch_size: int = 256, prune: float = 0.0,
                 seed: int = SEED, extra: pd.DataFrame | None = None):  # fmt: skip
        if not 0 <= prune < 1:
            raise ValueError(f"prune must be in [0, 1), got {prune!r}.")
        if factors < 1 or epochs < 1:
            raise ValueError("factors and epochs must be at least 1.")
        cols = [USER, "positive", "negative"]
        if extra is not None and set(cols) - set(extra.columns):
            missing = sorted(set(cols) - set(extra.columns))
            raise ValueError(f"extra needs columns {cols}; missing {missing}.")
        self.factors, self.lr, self.reg, self.epochs = factors, lr, reg, epochs
        self.batch_size, self.prune, self.seed = batch_size, prune, seed
        self.extra = extra

    def _extra_codes(self):
        extra = self.extra
        if extra is None or len(extra) == 0:
            return np.zeros((0, 3), dtype=int)
        cols = [USER, "positive", "negative"]
        codes = np.column_stack([
            self.users_.get_indexer(extra[USER]),
            self.items_.get_indexer(extra["positive"]),
            self.items_.get_indexer(extra["negative"]),
        ])  # fmt: skip
        bad = (codes < 0).any(axis=1)
        if bad.any():
            raise ValueError(
                f"{int(bad.sum())} extra triples name users or items absent from train, e.g. "
                f"{extra[cols].to_numpy()[bad][0].tolist()}; drop them or add those items."
            )
        return codes

    def _fit(self, u, i, r):
        rng = np.random.default_rng(self.seed)
        n_users, n_items = len(self.users_), len(self.items_)
        self.P_ = rng.normal(0, 0.1, (n_users, self.factors))
        self.Q_ = rng.normal(0, 0.1, (n_items, self.factors))
        self.b_ = np.zeros(n_items)
        extra = self._extra_codes()
        seen = self.seen_.tocsr()
        self.kept_share_ = []
        for _ in range(self.epochs):
            j = rng.integers(0, n_items, len(u))
            clash = np.asarray(seen[u, j]).ravel() > 0
            while clash.any():  # resample negatives the user has interacted with
                j[clash] = rng.integers(0, n_items, int(clash.sum()))
                clash[clash] = np.asarray(seen[u[clash], j[clash]]).ravel() > 0
            triples = np.column_stack([u, i, j])
            if len(extra):
                use = extra
                if self.prune > 0:
                    loss = -np.log(_sigmoid(self._x(extra)) + 1e-12)
                    use = extra[loss <= np.quantile(loss, 1 - self.prune)]
                self.kept_share_.append(len(use) / len(extra))
                triples = np.vstack([triples, use])
            n_batches = max(1, len(triples) // self.batch_size)
            for batch in np.array_split(rng.permutation(triples), n_batches):
                self._step(batch)

    def _x(self, t: np.ndarray) -> np.ndarray:
        pu, qi, qj = self.P_[t[:, 0]], self.Q_[t[:, 1]], self.Q_[t[:, 2]]
        return np.einsum("nk,nk->n", pu, qi - qj) + self.b_[t[:, 1]] - self.b_[t[:, 2]]

    def _step(self, t: np.ndarray) -> None:
        uu, ii, jj = t[:, 0], t[:, 1], t[:, 2]
        pu, qi, qj = self.P_[uu], self.Q_[ii], self.Q_[jj]
        g = _sigmoid(-self._x(t))[:, None]  # d ln sigma(x) / dx
        lr, reg = self.lr, self.reg
        np.add.at(self.P_, uu, lr * (g * (qi - qj) - reg * pu))
        np.add.at(self.Q_, ii, lr * (g * pu - reg * qi))
        np.add.at(self.Q_, jj, lr * (-g * pu - reg * qj))
        np.add.at(self.b_, ii, lr * (g[:, 0] - reg * self.b_[ii]))
        np.add.at(self.b_, jj, lr * (-g[:, 0] - reg * self.b_[jj]))

    def _scores(self, u):
        return self.P_[u] @ self.Q_.T + self.b_
