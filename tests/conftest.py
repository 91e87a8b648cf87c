"""Shared fixtures. Tests that need the real datasets read them from the cache
that `make test` fills with `llmrec fetch` before pytest starts."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    """An empty, private LLMREC_CACHE."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("LLMREC_CACHE", str(cache))
    return cache
