"""nbval runs the chapters; their outputs feed the book build.

Two things happen here while nbval executes the notebooks:

* **Chapters alone.** A Colab reader opens one chapter in a fresh runtime: its
  cache holds nothing but what the chapter fetches itself. The chapters in
  :data:`ALONE` read results that another chapter makes (chapter 2's film
  vectors, chapter 6's leaderboard rows); under nbval each of them runs in a
  fresh ``LLMREC_CACHE`` holding only the pinned assets
  (:func:`llmrec_utils.config.pinned_cache`), so the package must rebuild what
  they read. The book build runs the same chapters again with the shared cache,
  so both paths are tested.
* **One execution per chapter.** When the session also builds the book, every
  other chapter that nbval executes without a failure is stored, with its
  outputs, in a jupyter-cache folder made for this session
  (:func:`executed_cache`). ``tests/test_book.py`` builds the
  book from that folder (``execute_notebooks: cache``), so the build renders
  the outputs nbval produced instead of executing the chapter a second time.
  The folder is new in every session, so the book never shows outputs from
  older code; ``make book`` itself still executes everything. To keep the
  executions of a session that does not build the book, set
  ``LLMREC_EXECUTED_CACHE`` to a folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

# chapters that read another chapter's results (tests/test_notebooks.py checks the list)
ALONE = {"05_hybrid", "08_evaluation"}


def _stem(item) -> str | None:
    path = Path(str(getattr(item, "fspath", "")))
    return path.stem if path.suffix == ".ipynb" else None


def _first(item) -> bool:
    return getattr(item, "cell_num", None) == 0 or item.name.endswith("::Cell 0")


def _book_in_session(session) -> bool:
    """Whether this session also builds the book (tests/test_book.py)."""
    if not hasattr(session, "_llmrec_book"):
        session._llmrec_book = any(
            Path(str(i.fspath)).name == "test_book.py" for i in session.items)
    return session._llmrec_book


def executed_cache(config) -> Path:
    """This session's jupyter-cache folder of chapters nbval executed: a new
    temporary folder, or ``$LLMREC_EXECUTED_CACHE`` (kept after the session)."""
    if getattr(config, "_llmrec_executed", None) is None:
        keep = os.environ.get("LLMREC_EXECUTED_CACHE")
        config._llmrec_executed = (
            Path(keep) if keep else Path(tempfile.mkdtemp(prefix="llmrec-executed-"))
        )
        config._llmrec_executed_temporary = not keep
    return config._llmrec_executed


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    """Before nbval starts a chapter's kernel (on its first cell), point
    LLMREC_CACHE at a fresh cache for the chapters in ALONE; the kernel
    inherits the environment."""
    stem = _stem(item)
    if stem is None or not _first(item):
        yield
        return
    item.config._llmrec_runs = getattr(item.config, "_llmrec_runs", {})
    item.config._llmrec_runs[stem] = {"start": time.perf_counter(), "ok": True}
    if stem not in ALONE:
        yield
        return
    from llmrec_utils.config import pinned_cache

    saved = os.environ.get("LLMREC_CACHE")
    cache = pinned_cache(prefix=f"llmrec-alone-{stem}-")
    os.environ["LLMREC_CACHE"] = str(cache)
    item.config._llmrec_alone = getattr(item.config, "_llmrec_alone", []) + [cache]
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("LLMREC_CACHE", None)
        else:
            os.environ["LLMREC_CACHE"] = saved


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each cell's outputs on the notebook nbval read; note failures."""
    outcome = yield
    stem = _stem(item)
    run = getattr(item.config, "_llmrec_runs", {}).get(stem)
    if run is None:
        return
    report = outcome.get_result()
    if report.failed or report.skipped:  # a skipped cell has no outputs either
        run["ok"] = False
    if call.when == "call" and report.passed:
        run["count"] = run.get("count", 0) + 1
        item.cell.outputs = list(item.test_outputs or [])
        item.cell.execution_count = run["count"]
        for out in item.cell.outputs:
            if out.get("output_type") == "execute_result":
                out["execution_count"] = run["count"]


def pytest_runtest_teardown(item, nextitem):
    """After a chapter's last cell: store the executed notebook for the book."""
    stem = _stem(item)
    run = getattr(item.config, "_llmrec_runs", {}).get(stem)
    if run is None or (nextitem is not None and nextitem.parent is item.parent):
        return
    item.config._llmrec_runs.pop(stem)
    n_code = sum(c.cell_type == "code" for c in item.parent.nb.cells)
    if stem in ALONE or not run["ok"] or run.get("count") != n_code:
        return
    if not (_book_in_session(item.session) or os.environ.get("LLMREC_EXECUTED_CACHE")):
        return  # nothing will render it
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    get_cache(executed_cache(item.config)).cache_notebook_bundle(
        CacheBundleIn(item.parent.nb, str(item.parent.fspath),
                      data={"execution_seconds": time.perf_counter() - run["start"]}),
        check_validity=False, overwrite=True,
    )  # fmt: skip


def pytest_unconfigure(config):
    for cache in getattr(config, "_llmrec_alone", []):
        shutil.rmtree(cache, ignore_errors=True)
    if getattr(config, "_llmrec_executed_temporary", False):
        shutil.rmtree(config._llmrec_executed, ignore_errors=True)
