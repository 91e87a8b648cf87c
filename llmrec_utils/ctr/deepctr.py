"""DeepCTR-Torch's DeepFM behind the book's CTR contract (:mod:`llmrec_utils.ctr`):
the peer of :class:`~llmrec_utils.ctr.nets.DeepFM`, fed the same rows and fields.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from ..config import SEED, torch_threads
from ..evaluation.metrics import _labels, logloss
from .nets import UNKNOWN, FeatureSpec, check_valid, click_labels

__all__ = ['DeepCTRDeepFM']  # fmt: skip


# --- the adapter ------------------------------------------------------------------------------
class DeepCTRDeepFM:
    """DeepCTR-Torch's ``DeepFM`` (the peer, ``deepctr-torch``) behind the CTR
    contract and :class:`FeatureSpec` of the book's models: categorical values
    coded as the book codes them (0 for a value unseen in training), dense
    columns as they are, ``factors`` as the embedding size, the same hidden
    layers, Adam with ``lr``, ``batch_size``.

    ``valid=(X_valid, y_valid)`` is honoured as the book's models honour it:
    the log loss on validation after every epoch, a stop after ``patience``
    epochs without improvement, the weights of the best epoch kept
    (``best_epoch_``, ``history_``). Without it, it trains ``epochs`` epochs
    (chapter 7 gives it the number the book's DeepFM kept on validation).
    Honouring ``valid`` rather than rejecting it keeps one call for every CTR
    model, and the peer is compared with the book's DeepFM on equal terms.
    """

    def __init__(self, spec: FeatureSpec, factors: int = 8, hidden: Sequence[int] = (64, 32),
                 lr: float = 0.005, batch_size: int = 512, epochs: int = 5, patience: int = 2,
                 threads: int | None = 1, seed: int = SEED):  # fmt: skip
        if not isinstance(spec, FeatureSpec):
            raise TypeError(f"spec must be a FeatureSpec, got {type(spec).__name__}.")
        if factors < 1 or epochs < 1 or batch_size < 1 or patience < 1:
            raise ValueError("factors, epochs, batch_size and patience must be at least 1.")
        self.spec, self.factors, self.hidden, self.lr = spec, factors, tuple(hidden), lr
        self.batch_size, self.epochs, self.patience = batch_size, epochs, patience
        self.threads, self.seed = threads, seed

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
        """Train on ``(X, y)``; ``valid=(X_valid, y_valid)`` turns on early stopping
        on its log loss (see the class docstring)."""
        import contextlib
        import copy
        import io

        DenseFeat, SparseFeat, Net = self._import()
        self.spec.check(X)
        y = click_labels(y, len(X))
        if valid is not None:
            Xv, yv = check_valid(valid)
            self.spec.check(Xv, "X_valid")
            yv = _labels(yv, len(Xv), "y_valid")
        self.codes_ = {c: {v: k + 1 for k, v in enumerate(pd.unique(X[c].astype(str)))}
                       for c in self.spec.categorical}  # fmt: skip
        columns = [SparseFeat(c, vocabulary_size=len(self.codes_[c]) + 1,
                              embedding_dim=self.factors) for c in self.spec.categorical]
        columns += [DenseFeat(c, 1) for c in self.spec.dense]
        inputs, labels = self._inputs(X), np.array(y)
        with torch_threads(self.threads), contextlib.redirect_stdout(io.StringIO()):
            torch.manual_seed(self.seed)  # (the redirect: its "Train on ..." lines)
            self.net_ = Net(columns, columns, dnn_hidden_units=self.hidden, seed=self.seed,
                            device="cpu")  # fmt: skip
            self.net_.compile(torch.optim.Adam(self.net_.parameters(), lr=self.lr),
                              "binary_crossentropy")  # fmt: skip
            self.history_, self.best_epoch_ = [], self.epochs
            if valid is None:
                self.net_.fit(inputs, labels, batch_size=self.batch_size, epochs=self.epochs,
                              verbose=0)  # fmt: skip
                return self
            valid_inputs, best, best_state, waited = self._inputs(Xv), np.inf, None, 0
            for epoch in range(1, self.epochs + 1):
                self.net_.fit(inputs, labels, batch_size=self.batch_size, epochs=1, verbose=0)
                with torch.random.fork_rng():  # its loader draws a seed; training must not see it
                    p = self.net_.predict(valid_inputs, batch_size=4096).ravel()
                loss = logloss(yv, np.clip(p, 0.0, 1.0))
                self.history_.append({"epoch": epoch, "valid_logloss": loss})
                if loss < best - 1e-7:
                    best, best_state, waited = loss, copy.deepcopy(self.net_.state_dict()), 0
                    self.best_epoch_ = epoch
                else:
                    waited += 1
                    if waited >= self.patience:
                        break
            self.net_.load_state_dict(best_state)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of a positive label per row of ``X``."""
        if not hasattr(self, "net_"):
            raise RuntimeError("DeepCTRDeepFM is not fitted; call fit first.")
        inputs = self._inputs(X)
        with torch_threads(self.threads):
            return np.clip(self.net_.predict(inputs, batch_size=4096).ravel(), 0.0, 1.0)
