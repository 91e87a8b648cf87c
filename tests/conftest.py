"""Shared fixtures.

Unit tests never write into the developer's cache: each runs with
``LLMREC_CACHE`` pointing at a session-wide cache that holds only the pinned
assets (hard links to what ``llmrec fetch`` put in the real cache, which
``make test`` and ``make unit`` fill before pytest starts). ``tmp_cache`` gives
a test an empty cache of its own. The book build (tests/test_book.py) uses the
real cache, where the chapters nbval has just run saved their results.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pinned_cache_dir():
    from llmrec_utils.config import pinned_cache

    path = pinned_cache(prefix="llmrec-tests-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _private_cache(request, monkeypatch):
    """Unit tests read and write a cache of their own (see the module docstring)."""
    if request.node.get_closest_marker("unit") is not None:
        monkeypatch.setenv("LLMREC_CACHE", str(request.getfixturevalue("pinned_cache_dir")))


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    """An empty, private LLMREC_CACHE."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("LLMREC_CACHE", str(cache))
    return cache
