"""Chapters that read another chapter's results run alone under nbval.

A Colab reader opens one chapter in a fresh runtime: its cache holds nothing but
what the chapter fetches itself. The chapters in :data:`ALONE` read results that
another chapter makes (chapter 2's film vectors, chapter 6's leaderboard rows);
under nbval each of them runs in a fresh ``LLMREC_CACHE`` that holds only the
pinned assets (hard links to the ones ``llmrec fetch`` put in the developer's
cache) and the machine's bfloat16 measurement, so the package must rebuild what
they read. The book build runs the same chapters after the others, with the
shared cache: both paths are tested.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# chapters that read another chapter's results (tests/test_notebooks.py checks the list)
ALONE = {"05_hybrid", "07_evaluation"}
# what `llmrec fetch` puts in the cache, and the machine's measured bfloat16
# speed (config.bf16_speedup), a fact of the machine rather than a result
PINNED = ("assets", "wheels", "device_probe.json")


def fresh_cache(stem: str) -> Path:
    """A new cache directory holding only the pinned assets, as hard links."""
    from llmrec_utils.config import cache_dir

    source = cache_dir()
    target = Path(tempfile.mkdtemp(prefix=f"llmrec-alone-{stem}-"))
    for name in PINNED:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, copy_function=_link)
        elif (source / name).is_file():
            shutil.copy2(source / name, target / name)
    return target


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system: copy
        shutil.copy2(src, dst)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    """Before nbval starts a chapter's kernel (on its first cell), point
    LLMREC_CACHE at a fresh cache; the kernel inherits the environment."""
    path = Path(str(getattr(item, "fspath", "")))
    first = getattr(item, "cell_num", None) == 0 or item.name.endswith("::Cell 0")
    if path.suffix != ".ipynb" or path.stem not in ALONE or not first:
        yield
        return
    saved = os.environ.get("LLMREC_CACHE")
    cache = fresh_cache(path.stem)
    os.environ["LLMREC_CACHE"] = str(cache)
    item.config._llmrec_alone = getattr(item.config, "_llmrec_alone", []) + [cache]
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("LLMREC_CACHE", None)
        else:
            os.environ["LLMREC_CACHE"] = saved


def pytest_unconfigure(config):
    for cache in getattr(config, "_llmrec_alone", []):
        shutil.rmtree(cache, ignore_errors=True)
