"""DeepCTR-Torch's DeepFM behind the book's CTR contract: the peer of
:class:`~llmrec_utils.ctr.nets.DeepFM`, fed the same rows and fields.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from ..config import SEED
from ..evaluation.metrics import _labels
from .nets import UNKNOWN, FeatureSpec

__all__ = ['DeepCTRDeepFM']  # fmt: skip


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
