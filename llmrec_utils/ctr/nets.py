r"""The book's click-through models (logistic, FM, DeepFM) on field embeddings, in torch.

A *click-through* (CTR) model scores one row, a user meeting an item in a
context, with the probability of a positive label. The row is a set of
**fields**: a *categorical* field (user id, gender, occupation, department)
holds one value, looked up in a per-field embedding table; *dense* fields
(genre flags, release year, a text vector, an LLM-profile vector) are real
numbers. A :class:`FeatureSpec` names the fields; the models take a DataFrame
with those columns. Three models share the field embeddings and one training
loop:

* :class:`LogisticCTR` (the *wide* model): :math:`\hat y = \sigma(w_0 +
  \sum_f w_{f, c_f} + \mathbf w_d^\top \mathbf x_d)`, one weight per
  categorical value and per dense column.
* :class:`FMCTR`, the second-order factorisation machine (Rendle, 2010):
  every feature :math:`j` with value :math:`x_j` (1 for the categorical value
  present in a field, the number itself for a dense column) has a vector
  :math:`\mathbf v_j \in \mathbb R^k`, and each *pair* of features adds
  :math:`\langle \mathbf v_j, \mathbf v_l\rangle x_j x_l` to the logit.
  Summed over all pairs of the :math:`n` features of a row this is
  :math:`O(k n^2)`, but

  .. math::

      \sum_{j<l} \langle \mathbf v_j, \mathbf v_l\rangle x_j x_l
      = \tfrac12 \Big[\big\lVert \textstyle\sum_j x_j \mathbf v_j\big\rVert^2
        - \textstyle\sum_j \lVert x_j \mathbf v_j\rVert^2\Big],

  which is :math:`O(k n)`. Derivation: :math:`\lVert\sum_j \mathbf a_j\rVert^2
  = \sum_j\sum_l \langle \mathbf a_j, \mathbf a_l\rangle`, with
  :math:`\mathbf a_j = x_j \mathbf v_j`, counts every unordered pair twice
  (:math:`(j,l)` and :math:`(l,j)`) plus the diagonal :math:`j = l` once;
  subtracting the diagonal :math:`\sum_j\lVert\mathbf a_j\rVert^2` and
  halving leaves each pair once. Per coordinate of :math:`k` it is
  :math:`\tfrac12[(\sum_j a_{jc})^2 - \sum_j a_{jc}^2]`
  (:func:`fm_interaction`; :func:`pairwise_interaction` is the explicit sum,
  for tests).
* :class:`DeepFM` (Guo et al., 2017): the FM logit plus a multi-layer
  perceptron over the *same* field embeddings (concatenated) and the dense
  vector, so the wide, the pairwise and the deep parts learn one shared
  representation.

**Training** (:meth:`CTRModel.fit`, the CTR contract of :mod:`llmrec_utils.ctr`): mini-batch Adam on the log loss
(binary cross-entropy), plus :math:`\lambda` times the squared norm of the
embedding rows a batch looks up. With ``valid=(X_valid, y_valid)`` the model
is scored on validation log loss after every epoch, training stops after
``patience`` epochs without improvement, and the parameters of the best epoch
are kept (``best_epoch_``, ``history_``); the test set is never looked at.
Everything random (initialisation, batch order, dropout) is drawn from
``seed``, and a fixed thread count (``threads``, default 1) keeps float sums
in a fixed order, so two fits on CPU give identical predictions.

**Input checks.** A column the spec names but ``X`` lacks, a missing
categorical value, or a NaN/inf dense value raises ``ValueError`` naming the
column. A categorical value not seen in training (a cold item, say) maps to a
shared *unknown* row that training never updates (zero vectors: such a row is
scored from its other fields), and the count is logged through
:func:`~llmrec_utils.config.logger`; if *no* value of a field matches and
their type differs from the training values' (``"12"`` against ``12``), the
ids are keyed differently and :meth:`predict_proba` raises, naming ids of
both.

The tasks they learn are in :mod:`llmrec_utils.ctr.tasks`, their AUC and
log loss with intervals in :mod:`llmrec_utils.evaluation`
(:func:`~llmrec_utils.evaluation.uncertainty.auc_logloss`,
:func:`~llmrec_utils.evaluation.uncertainty.compare_clicks`), and the peer,
DeepCTR-Torch's DeepFM, in :mod:`llmrec_utils.ctr.deepctr`;
``benchmarks/ctr_throughput.py`` compares their training speed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from ..config import SEED, logger, torch_threads
from ..data.features import plain_ids
from ..evaluation.metrics import _labels

__all__ = ['FMCTR', 'CTRModel', 'DeepFM', 'FeatureSpec', 'LogisticCTR', 'fm_interaction', 'pairwise_interaction']  # fmt: skip


UNKNOWN = 0  # the code of a categorical value not seen in training


# --- features --------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeatureSpec:
    """The fields of a CTR model: ``categorical`` columns (one embedding per
    value and field) and ``dense`` columns (finite numbers, one vector)."""

    categorical: tuple = ()
    dense: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "categorical", tuple(self.categorical))
        object.__setattr__(self, "dense", tuple(self.dense))
        names = self.categorical + self.dense
        if not names:
            raise ValueError("a FeatureSpec needs at least one field.")
        dup = sorted({c for c in names if names.count(c) > 1})
        if dup:
            raise ValueError(f"field(s) {dup} are named more than once.")

    def without(self, *prefixes: str) -> FeatureSpec:
        """The spec without the fields whose names start with any of ``prefixes``
        (for ablations: ``spec.without("card_")``)."""
        keep = lambda cols: tuple(c for c in cols if not c.startswith(prefixes))
        return FeatureSpec(keep(self.categorical), keep(self.dense))

    def check(self, X: pd.DataFrame, what: str = "X") -> None:
        """Raise ``ValueError`` naming the first bad column: missing, a missing
        categorical value, or a NaN/inf (or non-numeric) dense value."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"{what} must be a DataFrame with the spec's columns.")
        missing = [c for c in self.categorical + self.dense if c not in X.columns]
        if missing:
            raise ValueError(f"{what} lacks the column(s) {missing[:5]} named in the spec.")
        for c in self.categorical:
            n = int(X[c].isna().sum())
            if n:
                raise ValueError(f"{what}[{c!r}] has {n} missing value(s); give them a "
                                 "category of their own (e.g. 'unknown').")  # fmt: skip
        if self.dense:
            try:
                values = X[list(self.dense)].to_numpy(dtype=float)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{what}'s dense columns must be numeric ({exc}).") from None
            bad = ~np.isfinite(values)
            if bad.any():
                col = int(np.argmax(bad.any(axis=0)))
                raise ValueError(
                    f"{what} has {int(bad.sum())} NaN/inf dense value(s), e.g. "
                    f"{int(bad[:, col].sum())} in {self.dense[col]!r}; fill or drop them "
                    "(a missing value is not a zero)."
                )


def click_labels(y: ArrayLike, n: int) -> np.ndarray:
    """The training labels of every CTR model: ``n`` values, 0/1, both present."""
    y = _labels(y, n, "y")
    if y.min() == y.max():
        raise ValueError("y holds one class only; a CTR model needs clicks and non-clicks.")
    return y


def check_valid(valid) -> tuple:
    """``valid`` as the CTR contract takes it: a pair ``(X_valid, y_valid)``."""
    if not (isinstance(valid, tuple) and len(valid) == 2):
        raise TypeError("valid must be a pair (X_valid, y_valid) of validation rows and labels.")
    return valid


# --- the interaction -----------------------------------------------------------------------
def fm_interaction(emb: torch.Tensor, dense: torch.Tensor | None = None,
                   V: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
    r"""The FM's pairwise term of each row by the :math:`O(kn)` identity (see the
    module docstring).

    ``emb``: ``(rows, fields, k)``, the looked-up vectors of the categorical
    fields (:math:`x_j = 1`); ``dense``: ``(rows, d)`` values :math:`x_j` with
    their vectors ``V``: ``(d, k)``. Returns ``(rows,)``.
    """
    total, squares = emb.sum(1), (emb * emb).sum(1)
    if dense is not None and dense.shape[1]:
        total = total + dense @ V
        squares = squares + (dense * dense) @ (V * V)
    return 0.5 * (total * total - squares).sum(1)


def pairwise_interaction(vectors: torch.Tensor) -> torch.Tensor:
    r""":math:`\sum_{j<l}\langle \mathbf a_j, \mathbf a_l\rangle` of each row of
    ``vectors`` ``(rows, n, k)`` (:math:`\mathbf a_j = x_j \mathbf v_j`),
    pair by pair: the slow definition :func:`fm_interaction` must equal."""
    n = vectors.shape[1]
    out = vectors.new_zeros(vectors.shape[0])
    for j in range(n):
        for m in range(j + 1, n):
            out = out + (vectors[:, j] * vectors[:, m]).sum(1)
    return out


class _Net(torch.nn.Module):
    """Linear part, optional FM term, optional MLP over the shared embeddings."""

    def __init__(self, sizes: Sequence[int], n_dense: int, factors: int, fm: bool,
                 hidden: Sequence[int], dropout: float, init_std: float):  # fmt: skip
        super().__init__()
        self.register_buffer("offsets", torch.as_tensor(np.r_[0, np.cumsum(sizes)[:-1]],
                                                        dtype=torch.long))  # fmt: skip
        total = int(np.sum(sizes)) if len(sizes) else 0
        self.fm, self.deep = fm, bool(hidden)
        self.bias = torch.nn.Parameter(torch.zeros(1))
        self.linear = torch.nn.Embedding(max(total, 1), 1)
        self.w = torch.nn.Parameter(torch.zeros(n_dense))
        torch.nn.init.zeros_(self.linear.weight)
        if fm or self.deep:
            self.embedding = torch.nn.Embedding(max(total, 1), factors)
            torch.nn.init.normal_(self.embedding.weight, 0.0, init_std)
            self.V = torch.nn.Parameter(torch.randn(n_dense, factors) * init_std)
            with torch.no_grad():  # the unknown row of each field stays zero (no gradient)
                self.embedding.weight[self.offsets] = 0.0
        if self.deep:
            layers, width = [], len(sizes) * factors + n_dense
            for h in hidden:
                layers += [torch.nn.Linear(width, h), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
                width = h
            layers.append(torch.nn.Linear(width, 1))
            self.mlp = torch.nn.Sequential(*layers)

    def forward(self, cat: torch.Tensor, dense: torch.Tensor):
        """Logits ``(rows,)`` and the batch's looked-up embedding rows (for the penalty)."""
        codes = cat + self.offsets
        logit = self.bias + dense @ self.w
        if cat.shape[1]:
            logit = logit + self.linear(codes).sum((1, 2))
        emb = None
        if self.fm or self.deep:
            emb = self.embedding(codes)
            if self.fm:
                logit = logit + fm_interaction(emb, dense, self.V)
            if self.deep:
                logit = logit + self.mlp(torch.cat([emb.flatten(1), dense], 1)).squeeze(1)
        return logit, emb


class CTRModel:
    """The shared training loop and prediction (see the module docstring); use
    :class:`LogisticCTR`, :class:`FMCTR` or :class:`DeepFM`.

    Args:
        spec: the fields (:class:`FeatureSpec`).
        factors: embedding size :math:`k` (FM and DeepFM).
        hidden, dropout: the MLP's layer widths and dropout (DeepFM only).
        lr: Adam's step size. reg: :math:`\\lambda` on the batch's embedding rows.
        epochs: most passes over the data. batch_size: rows per step.
        patience: epochs without a better validation log loss before stopping.
        init_std: standard deviation of the initial embeddings.
        threads: torch's CPU threads while fitting and predicting (restored
            afterwards); ``None``: torch's setting.
        seed: all randomness.
    """

    _fm, _hidden = False, ()

    def __init__(self, spec: FeatureSpec, factors: int = 8, hidden: Sequence[int] = (64, 32),
                 dropout: float = 0.0, lr: float = 0.005, reg: float = 1e-5, epochs: int = 20,
                 batch_size: int = 512, patience: int = 2, init_std: float = 0.01,
                 threads: int | None = 1, seed: int = SEED):  # fmt: skip
        if not isinstance(spec, FeatureSpec):
            raise TypeError(f"spec must be a FeatureSpec, got {type(spec).__name__}.")
        if factors < 1 or epochs < 1 or batch_size < 1 or patience < 1:
            raise ValueError("factors, epochs, batch_size and patience must be at least 1.")
        if lr <= 0 or reg < 0 or not 0 <= dropout < 1:
            raise ValueError("need lr > 0, reg >= 0 and dropout in [0, 1).")
        self.spec, self.factors, self.hidden, self.dropout = spec, factors, tuple(hidden), dropout
        self.lr, self.reg, self.epochs, self.batch_size = lr, reg, epochs, batch_size
        self.patience, self.init_std, self.threads, self.seed = patience, init_std, threads, seed

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self.spec.categorical)} categorical, "
                f"{len(self.spec.dense)} dense fields, factors={self.factors})")

    # encoding
    def _encode(self, X: pd.DataFrame, what: str, fitting: bool = False):
        self.spec.check(X, what)
        if fitting:
            self.vocab_ = {c: pd.Index(pd.unique(X[c])) for c in self.spec.categorical}
        cat = np.zeros((len(X), len(self.spec.categorical)), dtype=np.int64)
        for f, c in enumerate(self.spec.categorical):
            vocab, values = self.vocab_[c], pd.Index(X[c])
            codes = vocab.get_indexer(values) + 1  # -1 (unseen) -> 0 (UNKNOWN)
            unseen = codes == UNKNOWN
            if unseen.all() and len(values) and values.inferred_type != vocab.inferred_type:
                raise ValueError(
                    f"no value of {what}[{c!r}] was seen in training: they look like "
                    f"{plain_ids(values[:3])} ({values.inferred_type}), the training values like "
                    f"{plain_ids(vocab[:3])} ({vocab.inferred_type}). Key them the same way."
                )
            if unseen.any() and not fitting:
                logger().info(f"{type(self).__name__}: {int(unseen.sum())} row(s) of {what} have "
                              f"a {c!r} unseen in training, e.g. {plain_ids(values[unseen][:1])[0]!r};"
                              " they get the unknown (zero) embedding.")  # fmt: skip
            cat[:, f] = codes
        dense = X[list(self.spec.dense)].to_numpy(dtype=np.float32) if self.spec.dense else \
            np.zeros((len(X), 0), np.float32)
        return torch.from_numpy(cat), torch.tensor(dense)

    # training
    def fit(self, X: pd.DataFrame, y: ArrayLike, valid: tuple | None = None) -> CTRModel:
        """Fit on ``X`` (a DataFrame with the spec's columns) and 0/1 labels ``y``;
        ``valid=(X_valid, y_valid)`` turns on early stopping on its log loss."""
        cat, dense = self._encode(X, "X", fitting=True)
        y = click_labels(y, len(X))
        if valid is not None:
            Xv, yv = check_valid(valid)
            vcat, vdense = self._encode(Xv, "X_valid")
            yv = torch.tensor(_labels(yv, len(Xv), "y_valid"), dtype=torch.float32)
        with torch_threads(self.threads):
            return self._train(cat, dense, torch.tensor(y, dtype=torch.float32),
                               None if valid is None else (vcat, vdense, yv))  # fmt: skip

    def _train(self, cat, dense, y, valid):
        torch.manual_seed(self.seed)
        sizes = [len(self.vocab_[c]) + 1 for c in self.spec.categorical]
        self.net_ = _Net(sizes, dense.shape[1], self.factors, self._fm, self._hidden_layers(),
                         self.dropout, self.init_std)  # fmt: skip
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        rng = np.random.default_rng(self.seed)
        self.history_, best, best_state, waited = [], np.inf, None, 0
        self.best_epoch_ = self.epochs
        for epoch in range(1, self.epochs + 1):
            self.net_.train()
            order, total = torch.as_tensor(rng.permutation(len(y))), 0.0
            for start in range(0, len(y), self.batch_size):
                rows = order[start : start + self.batch_size]
                logit, emb = self.net_(cat[rows], dense[rows])
                loss = bce(logit, y[rows])
                total += float(loss.detach()) * len(rows)
                if self.reg and emb is not None:
                    loss = loss + self.reg * (emb * emb).sum() / len(rows)
                opt.zero_grad()
                loss.backward()
                if emb is not None:  # keep the unknown rows at zero
                    self.net_.embedding.weight.grad[self.net_.offsets] = 0.0
                self.net_.linear.weight.grad[self.net_.offsets] = 0.0
                opt.step()
            row = {"epoch": epoch, "train_logloss": total / len(y)}
            if valid is not None:
                vloss = float(bce(self._logits(valid[0], valid[1]), valid[2]))
                row["valid_logloss"] = vloss
                if vloss < best - 1e-7:
                    best, best_state, waited, self.best_epoch_ = vloss, \
                        copy.deepcopy(self.net_.state_dict()), 0, epoch
                else:
                    waited += 1
            self.history_.append(row)
            if valid is not None and waited >= self.patience:
                break
        if best_state is not None:
            self.net_.load_state_dict(best_state)
        self.net_.eval()
        logger().debug(f"{type(self).__name__}: {len(self.history_)} epoch(s), kept epoch "
                      f"{self.best_epoch_}.")  # fmt: skip
        return self

    def _hidden_layers(self):
        return self.hidden if self._hidden else ()

    def _logits(self, cat, dense):
        self.net_.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(cat), 65536):
                out.append(self.net_(cat[start : start + 65536], dense[start : start + 65536])[0])
        self.net_.train()
        return torch.cat(out) if out else torch.zeros(0)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """:math:`P(y = 1)` of each row of ``X`` (1-D, unlike scikit-learn's)."""
        if not hasattr(self, "net_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit first.")
        cat, dense = self._encode(X, "X")
        with torch_threads(self.threads):
            return torch.sigmoid(self._logits(cat, dense)).double().numpy()


class LogisticCTR(CTRModel):
    """Logistic regression on the fields (the wide model; ``factors`` unused)."""


class FMCTR(CTRModel):
    """The second-order factorisation machine (see the module docstring)."""

    _fm = True


class DeepFM(CTRModel):
    """FM plus an MLP over the shared field embeddings (see the module docstring)."""

    _fm, _hidden = True, True
