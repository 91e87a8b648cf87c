r"""Click-through prediction with knowledge features (KAR-style), in torch.

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

**Training** (:meth:`CTRModel.fit`): mini-batch Adam on the log loss
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

**Tasks.** :func:`ml100k_clicks` (MovieLens-100k ratings as clicks, a rating
:math:`\ge 4` is a click, on a temporal split) and :func:`clothing_recommend`
(does a customer recommend the item she reviewed, with the item's aspect
profile from chapter 3 computed on training reviews only) return a
:class:`CTRTask`. :func:`auc_logloss` and :func:`compare` give AUC and log
loss with bootstrap intervals, and a paired interval for two models on the
same rows.

For the chapter of issue 16 (language-model knowledge inside the model);
``benchmarks/ctr_throughput.py`` compares the training speed with
DeepCTR-Torch's DeepFM.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from .config import SEED, logger
from .data import ITEM, ML100K_GENRES, RATING, TEXT, USER, Split
from .evaluation import Interval, bootstrap_ci, cluster_bootstrap_diff, paired_bootstrap_diff

__all__ = [
    "FMCTR",
    "CTRModel",
    "CTRTask",
    "DeepCTRDeepFM",
    "DeepFM",
    "FeatureSpec",
    "LogisticCTR",
    "auc_logloss",
    "clothing_recommend",
    "compare",
    "fm_interaction",
    "logloss",
    "ml100k_clicks",
    "pairwise_interaction",
    "review_aspects",
    "roc_auc",
]  # fmt: skip

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


def _plain(values) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in values]


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


# --- the models ------------------------------------------------------------------------------
def _labels(y: ArrayLike, n: int, what: str) -> np.ndarray:
    y = np.asarray(y, dtype=float).ravel()
    if len(y) != n:
        raise ValueError(f"{what} has {len(y)} labels for {n} rows.")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{what} must hold 0/1 labels only.")
    return y


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
                    f"{_plain(values[:3])} ({values.inferred_type}), the training values like "
                    f"{_plain(vocab[:3])} ({vocab.inferred_type}). Key them the same way."
                )
            if unseen.any() and not fitting:
                logger().info(f"{type(self).__name__}: {int(unseen.sum())} row(s) of {what} have "
                              f"a {c!r} unseen in training, e.g. {_plain(values[unseen][:1])[0]!r};"
                              " they get the unknown (zero) embedding.")  # fmt: skip
            cat[:, f] = codes
        dense = X[list(self.spec.dense)].to_numpy(dtype=np.float32) if self.spec.dense else \
            np.zeros((len(X), 0), np.float32)
        return torch.from_numpy(cat), torch.tensor(dense)

    def _threads(self):
        model = self

        class _Ctx:
            def __enter__(self):
                self.before = torch.get_num_threads()
                if model.threads is not None:
                    torch.set_num_threads(model.threads)

            def __exit__(self, *exc):
                torch.set_num_threads(self.before)

        return _Ctx()

    # training
    def fit(self, X: pd.DataFrame, y: ArrayLike, valid: tuple | None = None) -> CTRModel:
        """Fit on ``X`` (a DataFrame with the spec's columns) and 0/1 labels ``y``;
        ``valid=(X_valid, y_valid)`` turns on early stopping on its log loss."""
        cat, dense = self._encode(X, "X", fitting=True)
        y = _labels(y, len(X), "y")
        if y.min() == y.max():
            raise ValueError("y holds one class only; a CTR model needs clicks and non-clicks.")
        if valid is not None:
            Xv, yv = valid
            vcat, vdense = self._encode(Xv, "X_valid")
            yv = torch.tensor(_labels(yv, len(Xv), "y_valid"), dtype=torch.float32)
        with self._threads():
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
        with self._threads():
            return torch.sigmoid(self._logits(cat, dense)).double().numpy()


class LogisticCTR(CTRModel):
    """Logistic regression on the fields (the wide model; ``factors`` unused)."""


class FMCTR(CTRModel):
    """The second-order factorisation machine (see the module docstring)."""

    _fm = True


class DeepFM(CTRModel):
    """FM plus an MLP over the shared field embeddings (see the module docstring)."""

    _fm, _hidden = True, True


# --- metrics ----------------------------------------------------------------------------------
class DeepCTRDeepFM:
    """DeepCTR-Torch's ``DeepFM`` (the peer, ``deepctr-torch``) behind the same
    ``fit(X, y)`` / ``predict_proba(X)`` calls and :class:`FeatureSpec` as the
    book's models: categorical values coded as the book codes them (0 for a
    value unseen in training), dense columns as they are, ``factors`` as the
    embedding size, the same hidden layers, Adam with ``lr``, ``batch_size``.
    It has no early stopping of its own here: it trains ``epochs`` epochs (the
    chapter gives it the number the book's DeepFM kept on validation).
    """

    def __init__(self, spec: FeatureSpec, factors: int = 8, hidden: Sequence[int] = (64, 32),
                 lr: float = 0.005, batch_size: int = 512, epochs: int = 5,
                 threads: int | None = 1, seed: int = SEED):  # fmt: skip
        self.spec, self.factors, self.hidden, self.lr = spec, factors, tuple(hidden), lr
        self.batch_size, self.epochs, self.threads, self.seed = batch_size, epochs, threads, seed

    def __repr__(self) -> str:
        return f"DeepCTRDeepFM(factors={self.factors}, hidden={self.hidden}, epochs={self.epochs})"

    @staticmethod
    def _import():
        """Import deepctr_torch without the thread its ``__init__`` starts to ask
        PyPI for a newer version (it prints a line from that thread offline)."""
        import sys
        import threading
        from unittest import mock

        if "deepctr_torch" not in sys.modules:
            class _Quiet:
                def __init__(self, *args, **kwargs):
                    pass

                def start(self):
                    pass

            with mock.patch.object(threading, "Thread", _Quiet):
                import deepctr_torch  # noqa: F401
        from deepctr_torch.inputs import DenseFeat, SparseFeat
        from deepctr_torch.models import DeepFM as Net

        return DenseFeat, SparseFeat, Net

    def _inputs(self, X: pd.DataFrame) -> dict:
        self.spec.check(X)
        # writable copies: torch warns on read-only arrays (pandas' copy-on-write)
        out = {c: np.array(X[c].astype(str).map(self.codes_[c]).fillna(UNKNOWN), dtype=int)
               for c in self.spec.categorical}  # fmt: skip
        out.update({c: np.array(X[c], dtype=float) for c in self.spec.dense})
        return out

    def fit(self, X: pd.DataFrame, y: ArrayLike, valid: tuple | None = None) -> DeepCTRDeepFM:
        """Train on ``(X, y)``; ``valid`` is accepted for the common call and unused."""
        import contextlib
        import io

        DenseFeat, SparseFeat, Net = self._import()
        self.spec.check(X)
        y = _labels(y, len(X), "y")
        self.codes_ = {c: {v: k + 1 for k, v in enumerate(pd.unique(X[c].astype(str)))}
                       for c in self.spec.categorical}  # fmt: skip
        columns = [SparseFeat(c, vocabulary_size=len(self.codes_[c]) + 1,
                              embedding_dim=self.factors) for c in self.spec.categorical]
        columns += [DenseFeat(c, 1) for c in self.spec.dense]
        before = torch.get_num_threads()
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            torch.manual_seed(self.seed)
            with contextlib.redirect_stdout(io.StringIO()):  # its "Train on ..." lines
                self.net_ = Net(columns, columns, dnn_hidden_units=self.hidden, seed=self.seed,
                                device="cpu")  # fmt: skip
                self.net_.compile(torch.optim.Adam(self.net_.parameters(), lr=self.lr),
                                  "binary_crossentropy")  # fmt: skip
                self.net_.fit(self._inputs(X), np.array(y), batch_size=self.batch_size,
                              epochs=self.epochs, verbose=0)  # fmt: skip
        finally:
            torch.set_num_threads(before)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of a positive label per row of ``X``."""
        return np.clip(self.net_.predict(self._inputs(X), batch_size=4096).ravel(), 0.0, 1.0)


def _check_scores(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(y, len(np.asarray(p).ravel()), "y")
    p = np.asarray(p, dtype=float).ravel()
    if not (np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()):
        raise ValueError("predictions must be probabilities in [0, 1].")
    return y, p


def roc_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve (ties count one half); needs both classes."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    if y.min() == y.max():
        raise ValueError("AUC needs both classes among the rows.")
    return float(roc_auc_score(y, p))


def logloss(y: ArrayLike, p: ArrayLike, eps: float = 1e-7) -> float:
    r"""Mean :math:`-[y\ln p + (1-y)\ln(1-p)]`, with :math:`p` clipped to
    :math:`[\epsilon, 1-\epsilon]`."""
    y, p = np.asarray(y, float), np.clip(np.asarray(p, float), eps, 1 - eps)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def auc_logloss(y: ArrayLike, p: ArrayLike, n_boot: int = 1000, alpha: float = 0.05,
                seed: int = SEED) -> dict[str, Interval]:  # fmt: skip
    """``{"AUC": Interval, "log loss": Interval}``: each with a percentile
    bootstrap interval over rows (:func:`~llmrec_utils.evaluation.bootstrap_ci`)."""
    y, p = _check_scores(y, p)
    if y.min() == y.max():
        raise ValueError("AUC needs both classes among the rows.")
    return {"AUC": bootstrap_ci(roc_auc, y, p, n_boot=n_boot, alpha=alpha, seed=seed),
            "log loss": bootstrap_ci(logloss, y, p, n_boot=n_boot, alpha=alpha, seed=seed)}


def compare(y: ArrayLike, p_a: ArrayLike, p_b: ArrayLike, n_boot: int = 1000,
            alpha: float = 0.05, seed: int = SEED,
            clusters: ArrayLike | None = None) -> dict[str, Interval]:  # fmt: skip
    """Paired bootstrap of model b minus model a on the same rows: ``{"AUC":
    Interval, "log loss": Interval}`` of the differences (an AUC gain is
    positive; a log-loss gain negative). With ``clusters`` (one label per
    row, e.g. the item of each click) whole clusters are resampled
    (:func:`~llmrec_utils.evaluation.cluster_bootstrap_diff`): use it when the
    claim is about items or users and their rows are correlated."""
    y, p_a = _check_scores(y, p_a)
    _, p_b = _check_scores(y, p_b)
    if clusters is None:
        return {name: paired_bootstrap_diff(f, y, p_a, p_b, n_boot, alpha, seed)
                for name, f in (("AUC", roc_auc), ("log loss", logloss))}  # fmt: skip
    return {name: cluster_bootstrap_diff(f, y, p_a, p_b, clusters, n_boot, alpha, seed)
            for name, f in (("AUC", roc_auc), ("log loss", logloss))}  # fmt: skip


# --- tasks --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CTRTask:
    """A CTR dataset: three parts with the spec's columns and ``label``, and
    ``info`` (how it was made, counts). ``X(part)`` / ``y(part)`` select."""

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    spec: FeatureSpec
    label: str
    info: dict = field(default_factory=dict)

    def X(self, part: str) -> pd.DataFrame:
        return getattr(self, part)

    def y(self, part: str) -> np.ndarray:
        return getattr(self, part)[self.label].to_numpy(dtype=float)

    def with_spec(self, spec: FeatureSpec) -> CTRTask:
        return replace(self, spec=spec)


AGE_BINS = (0, 18, 25, 35, 45, 50, 56, 200)  # MovieLens-1M's age groups


def _age_bucket(age: pd.Series) -> pd.Series:
    return pd.cut(age, AGE_BINS, right=False, labels=[f"{a}-" for a in AGE_BINS[:-1]]) \
        .astype(str)


def _vector_frame(vectors, prefix: str, max_missing: float, ids: pd.Index) -> pd.DataFrame:
    """Vectors (a DataFrame indexed by item, or an object with ``ids`` and
    ``vectors``) as unit-length ``<prefix>_<j>`` columns for ``ids`` (zeros
    where missing); raises naming ids if more than ``max_missing`` of ``ids``
    have none."""
    if isinstance(vectors, pd.DataFrame):
        index, V = vectors.index, vectors.to_numpy(dtype=float)
    else:
        index, V = pd.Index(np.asarray(vectors.ids)), np.asarray(vectors.vectors, float)
    if V.ndim != 2 or len(index) != len(V):
        raise ValueError(f"{prefix} vectors need one row per id.")
    if index.has_duplicates:
        raise ValueError(f"{prefix} vectors: id {_plain(index[index.duplicated()][:1])[0]!r} "
                         "has more than one row.")  # fmt: skip
    bad = ~np.isfinite(V)
    if bad.any():
        raise ValueError(f"{prefix} vectors hold {int(bad.sum())} NaN/inf values, e.g. in "
                         f"column {int(np.argmax(bad.any(axis=0)))}.")  # fmt: skip
    rows = index.get_indexer(ids) if index.inferred_type == ids.inferred_type \
        else np.full(len(ids), -1)
    missing = rows < 0
    if missing.mean() > max_missing:
        raise ValueError(
            f"{int(missing.sum())} of {len(ids)} items have no {prefix} vector (more than "
            f"max_missing={max_missing:g}), e.g. {_plain(ids[missing][:3])}; the vectors' ids "
            f"look like {_plain(index[:3])}. Key the vectors by the ratings' item ids."
        )
    if missing.any():
        logger().info(f"{int(missing.sum())} item(s) have no {prefix} vector; they get zeros.")
    V = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
    out = np.zeros((len(ids), V.shape[1]))
    out[~missing] = V[rows[~missing]]
    return pd.DataFrame(out, index=ids, columns=[f"{prefix}_{j}" for j in range(V.shape[1])])


def ml100k_clicks(split: Split | None = None, item_vectors: Mapping | None = None,
                  n_valid: int = 1, max_missing: float = 0.5, seed: int = SEED) -> CTRTask:
    """MovieLens-100k ratings as clicks (``click``: rating >= 4) on a temporal split.

    ``split``: a temporal split (default ``data.standard_split("temporal")``,
    each user's last rating in test); validation is each user's last
    ``n_valid`` ratings of its train part (:func:`~llmrec_utils.data.temporal_split`),
    so early stopping never sees the test part. Fields: categorical ``user``,
    ``item``, ``age_bucket`` (MovieLens-1M's groups), ``gender``,
    ``occupation``, ``decade`` (``"unknown"`` without a year); dense: the 19
    genre flags (``genre_<name>``) and ``year`` (``(year - 1990) / 10``, the
    training median where missing). ``item_vectors`` ``{prefix: vectors}``
    (a DataFrame indexed by item, or :class:`~llmrec_utils.embeddings.StoredEmbeddings`,
    e.g. the item cards or the cards with their LLM profile) adds unit-length
    ``<prefix>_<j>`` dense columns (zeros for an item without one, logged;
    more than ``max_missing`` of the items without one raises, naming ids).
    Test rows whose item has no training row have ``cold = True``; for a test
    part of cold items only, pass ``data.standard_split("cold")`` (validation
    is still each user's last training ratings, of warm items).
    """
    from .data import load_ml100k_items, load_ml100k_users, standard_split, temporal_split

    split = standard_split("temporal", seed) if split is None else split
    inner = temporal_split(split.train, n_test=n_valid, seed=seed)
    users = load_ml100k_users().set_index(USER)
    items = load_ml100k_items().set_index(ITEM)
    median_year = float(items.loc[items.index.isin(inner.train[ITEM]), "year"].median())
    item_cols = pd.DataFrame(index=items.index)
    item_cols["decade"] = items["year"].map(lambda y: "unknown" if pd.isna(y) else f"{y // 10 * 10}s")
    item_cols["year"] = (items["year"].astype(float).fillna(median_year) - 1990) / 10
    for g in ML100K_GENRES:
        item_cols[f"genre_{g}"] = items[g].astype(float)
    dense = [f"genre_{g}" for g in ML100K_GENRES] + ["year"]
    for prefix, vectors in (item_vectors or {}).items():
        frame = _vector_frame(vectors, prefix, max_missing, pd.Index(items.index))
        item_cols = item_cols.join(frame)
        dense += list(frame.columns)
    user_cols = pd.DataFrame({"age_bucket": _age_bucket(users["age"]),
                              "gender": users["gender"].astype(str),
                              "occupation": users["occupation"].astype(str)})  # fmt: skip
    trained = set(inner.train[ITEM])

    def part(df):
        out = df[[USER, ITEM, RATING]].reset_index(drop=True)
        out["click"] = (out[RATING] >= 4).astype(float)
        out = out.join(user_cols, on=USER).join(item_cols, on=ITEM)
        out["cold"] = ~out[ITEM].isin(trained)
        return out

    spec = FeatureSpec((USER, ITEM, "age_bucket", "gender", "occupation", "decade"), dense)
    test = part(split.test)
    info = {"kind": f"ml100k clicks (rating >= 4), {split.info.get('kind', 'given')} split",
            "n_valid": n_valid,
            "cold_test_rows": int(test["cold"].sum()), "seed": seed}  # fmt: skip
    return CTRTask(part(inner.train), part(inner.test), test, spec, "click", info)


# --- the clothing task ------------------------------------------------------------------------
def review_aspects(reviews: pd.DataFrame, tagger: Callable[[str], Iterable[str]] | None = None
                   ) -> pd.DataFrame:  # fmt: skip
    """Per-review aspect indicators: a boolean column per entity type
    (:data:`~llmrec_utils.ner.ENTITY_TYPES`), indexed by ``review``.

    ``tagger(text)`` returns the aspect types a text mentions; the default is
    chapter 3's weak labeller (:func:`~llmrec_utils.ner.weak_label`, a
    lexicon: fast, no network), not the fine-tuned tagger.
    """
    from .ner import ENTITY_TYPES, spans, tokenize, weak_label

    if tagger is None:
        def tagger(text):
            return {kind for kind, *_ in spans(weak_label([w.text for w in tokenize(text)]))}
    found = [set(tagger(t)) for t in reviews[TEXT]]
    out = pd.DataFrame({k: [k in f for f in found] for k in ENTITY_TYPES},
                       index=pd.Index(reviews["review"].to_numpy(), name="review"))  # fmt: skip
    return out


def _profile(train_x, train_r, train_item, rows_x, rows_r, rows_item, own, leaky, kinds):
    """Aspect profile of each row: over its item's training reviews, leaving
    out (``own`` rows: the row's own training review) or adding (``leaky``,
    rows outside training) the row's own review."""
    g = pd.DataFrame(train_x.astype(float), columns=kinds).assign(_item=train_item)
    share_sum = g.groupby("_item")[list(kinds)].sum()
    rate = pd.DataFrame(train_x * train_r[:, None], columns=kinds).assign(_item=train_item)
    rate_sum = rate.groupby("_item")[list(kinds)].sum()
    count = g.groupby("_item").size()
    idx = share_sum.index.get_indexer(rows_item)
    has = idx >= 0
    S = np.where(has[:, None], share_sum.to_numpy()[idx], 0.0)
    R = np.where(has[:, None], rate_sum.to_numpy()[idx], 0.0)
    n = np.where(has, count.to_numpy()[idx], 0).astype(float)
    x, r = rows_x.astype(float), rows_r.astype(float)
    # leave-one-out: a training row's own review leaves the sums, other rows add nothing;
    # leaky: a training row's review stays in, another row's own review is added
    sign = np.where(own, 0.0, 1.0) if leaky else np.where(own, -1.0, 0.0)
    S, R, n = S + sign[:, None] * x, R + sign[:, None] * x * r[:, None], n + sign
    return S, R, n


def clothing_recommend(reviews: pd.DataFrame, aspects: pd.DataFrame | Callable | None = None,
                       leaky: bool = False, test_frac: float = 0.2, valid_frac: float = 0.1,
                       seed: int = SEED) -> CTRTask:  # fmt: skip
    r"""Does the customer recommend the item (``recommended``)? From her age, the
    item's department and class, and the item's aspect profile.

    ``reviews``: cleaned reviews (:func:`~llmrec_utils.data.clean_reviews`).
    The reviews carry no dates, so the split is by review, at random with
    ``seed``: ``test_frac`` to test, ``valid_frac`` to validation, the rest to
    training. ``aspects``: per-review indicators indexed by ``review`` (as
    :func:`review_aspects` returns; every review needs a row, or the error
    names the missing ids), a tagger ``text -> aspect types``, or ``None``
    (the weak labeller, :func:`review_aspects`).

    The **aspect profile** of an item is chapter 3's
    (:func:`~llmrec_utils.ner.aspect_item_features`) over its *training*
    reviews only: ``share_<TYPE>`` (share of the reviews mentioning the type),
    ``rating_<TYPE>`` (their mean rating, minus 4; the mean over all training
    reviews mentioning the type where none does) and ``profile_n``
    (:math:`\ln(1 + \text{reviews in the profile})`). A training row's own
    review is left out of its item's profile (*leave-one-out*: its own rating
    and words would tell the label); validation and test reviews are never in
    a profile. ``leaky=True`` puts the row's own review into its profile
    instead (chapter 3's leak, for the demonstration that it inflates the
    result). A row whose profile has no review gets the training mean shares
    and ratings (and ``profile_n = 0``); ``info["default_profile"]`` counts
    them per part. Fields: categorical ``age_bucket``, ``department``,
    ``class_name`` (``"unknown"`` where missing); dense ``age``
    (:math:`(\text{age} - 40)/15`) and the profile.
    """
    from .ner import ENTITY_TYPES

    need = [c for c in ("review", ITEM, "age", RATING, "recommended", "department",
                        "class_name") if c not in reviews.columns]  # fmt: skip
    if need:
        raise ValueError(f"reviews lack the column(s) {need}.")
    if not (0 < test_frac and 0 <= valid_frac and test_frac + valid_frac < 1):
        raise ValueError("need test_frac > 0, valid_frac >= 0 and test_frac + valid_frac < 1.")
    df = reviews.reset_index(drop=True)
    if df["review"].duplicated().any():
        raise ValueError("review ids must be unique.")
    kinds = list(ENTITY_TYPES)
    if aspects is None or callable(aspects):
        A = review_aspects(df, aspects)
    else:
        A = aspects
        if list(A.columns) != kinds and not set(kinds) <= set(A.columns):
            raise ValueError(f"aspects needs the columns {kinds}.")
        rows = A.index.get_indexer(df["review"]) if A.index.inferred_type == \
            pd.Index(df["review"]).inferred_type else np.full(len(df), -1)
        if (rows < 0).any():
            raise ValueError(
                f"{int((rows < 0).sum())} review(s) have no aspect row, e.g. "
                f"{_plain(df['review'][rows < 0][:3])}; the aspects' ids look like "
                f"{_plain(A.index[:3])}. Index the aspects by the reviews' 'review' ids."
            )
        A = A.iloc[rows]
    X = A[kinds].to_numpy(dtype=bool)
    u = np.random.default_rng(seed).random(len(df))
    part = np.where(u < test_frac, "test", np.where(u < test_frac + valid_frac, "valid", "train"))
    tr = part == "train"
    r = df[RATING].to_numpy(dtype=float)
    items = df[ITEM].to_numpy()
    S, R, n = _profile(X[tr], r[tr], items[tr], X, r, items, tr, leaky, kinds)
    mean_share = X[tr].mean(0)
    mention_rating = np.array([r[tr][X[tr][:, k]].mean() if X[tr][:, k].any() else r[tr].mean()
                               for k in range(len(kinds))])  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n[:, None] > 0, S / np.maximum(n, 1)[:, None], mean_share)
        rating = np.where(S > 0, R / np.maximum(S, 1e-12), mention_rating)
    out = pd.DataFrame({"review": df["review"], ITEM: items,
                        "recommended": df["recommended"].astype(float).to_numpy(),
                        "age_bucket": _age_bucket(df["age"]).to_numpy(),
                        "department": df["department"].fillna("unknown").astype(str),
                        "class_name": df["class_name"].fillna("unknown").astype(str),
                        "age": (df["age"].astype(float) - 40) / 15})  # fmt: skip
    for k, kind in enumerate(kinds):
        out[f"share_{kind}"] = share[:, k]
        out[f"rating_{kind}"] = rating[:, k] - 4
    out["profile_n"] = np.log1p(n)
    out["part"] = part
    profile = [f"share_{k}" for k in kinds] + [f"rating_{k}" for k in kinds] + ["profile_n"]
    spec = FeatureSpec(("age_bucket", "department", "class_name"), ["age"] + profile)
    parts = {p: out[out["part"] == p].drop(columns="part").reset_index(drop=True)
             for p in ("train", "valid", "test")}  # fmt: skip
    info = {"kind": "clothing recommended, split by review", "leaky": leaky, "seed": seed,
            "test_frac": test_frac, "valid_frac": valid_frac,
            "default_profile": {p: int((n[part == p] == 0).sum()) for p in parts}}  # fmt: skip
    return CTRTask(parts["train"], parts["valid"], parts["test"], spec, "recommended", info)
