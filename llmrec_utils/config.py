"""Paths, the default seed and the run profile, read from the environment.

Everything is read when called, never at import, so a notebook or a test can
set ``LLMREC_CACHE`` or ``LLMREC_PROFILE`` before using the package.
"""

from __future__ import annotations

import os
from pathlib import Path

SEED: int = 42  # the one default seed every stochastic function falls back to
PROFILES = ("default", "full")


def cache_dir() -> Path:
    """Directory for downloaded assets and derived artefacts.

    ``$LLMREC_CACHE`` if set, else ``~/.cache/llmrec``. Created on demand.
    """
    path = Path(os.environ.get("LLMREC_CACHE") or Path.home() / ".cache" / "llmrec")
    path = path.expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def artifacts_dir() -> Path:
    """Directory where chapters save results that later chapters read."""
    path = cache_dir() / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The book's committed data (the aspect gold set, chapter 6's generations).

    The repository's ``data/`` in a checkout; in an installed package (e.g. on
    Colab after ``pip install``), the copy the wheel installs under
    ``<prefix>/share/llmrec-utils/data``.
    """
    import sys

    repo = Path(__file__).resolve().parents[1] / "data"
    return repo if repo.is_dir() else Path(sys.prefix) / "share" / "llmrec-utils" / "data"


def profile() -> str:
    """The run profile: ``default`` (2 CPU cores, offline) or ``full`` (GPU/Colab)."""
    value = os.environ.get("LLMREC_PROFILE", "default").strip().lower() or "default"
    if value not in PROFILES:
        raise ValueError(
            f"LLMREC_PROFILE={value!r} is not a known profile; use one of {PROFILES}."
        )
    return value


def logger():
    """The package's logger, ``llmrec``: one plain line per message on stdout.

    Used for the few things a reader should be told while a chapter runs (for
    example that an artefact of another chapter is being rebuilt, and why).
    ``logging.getLogger("llmrec").setLevel(logging.WARNING)`` silences it.
    """
    import logging
    import sys

    class _Stdout(logging.StreamHandler):  # the stdout of the moment (Jupyter, pytest)
        def emit(self, record):
            self.stream = sys.stdout
            super().emit(record)

    log = logging.getLogger("llmrec")
    if not log.handlers:  # configured once, on first use, never at import
        handler = _Stdout(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log
