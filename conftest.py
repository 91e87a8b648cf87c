"""Markers and order for every test in the repository.

Each test gets one kind marker, so a subset runs with ``pytest -m``:

* ``unit``: tests/ except the book build (``make unit``, about two minutes);
* ``notebook``: the chapters, executed cell by cell by nbval;
* ``book``: tests/test_book.py, the jupyter-book build and the browser checks.

Two markers say why a test is slow, so that ``make unit`` (``-m "unit and not
spark and not slow"``, about a minute) can leave it to ``make test``, which
runs everything:

* ``spark`` is added to whatever starts Apache Spark and Java (tests/test_spark.py,
  Spark's ALS in the model contract, chapter 9);
* ``slow`` to the unit tests that load a pinned language model or repeat a
  chapter's chain (those using a fixture in ``SLOW_FIXTURES``, the tests named
  in ``SLOW_TESTS``).

The kinds run in that order: the book build comes last so that it can render
the chapters nbval has just executed instead of executing them again
(notebooks/conftest.py).

At the end of a run the summary gives each chapter's time under nbval (setup,
cells and teardown), beside ``--durations=10`` (``make test``), so the test
budget is visible in every log.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

KINDS = ("unit", "notebook", "book")
SPARK = {"test_spark.py", "09_scaling_with_spark.ipynb"}
SLOW_FIXTURES = {"smollm", "runs"}  # the pinned generator; chapter 7's chain three times
SLOW_TESTS = {"test_the_pinned_model_scores_titles_by_teacher_forcing"}  # the pinned LLM


def kind(item) -> str:
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        return "notebook"
    return "book" if path.name == "test_book.py" else "unit"


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(getattr(pytest.mark, kind(item)))
        if Path(str(item.fspath)).name in SPARK:
            item.add_marker(pytest.mark.spark)
        if kind(item) == "unit" and (SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                                     or item.originalname in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: KINDS.index(kind(item)))  # stable: keeps cell order


_CHAPTER_SECONDS: dict[str, float] = defaultdict(float)  # chapter -> seconds under nbval


def pytest_runtest_logreport(report):
    path = Path(report.nodeid.split("::")[0])
    if path.suffix == ".ipynb":
        _CHAPTER_SECONDS[path.stem] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _CHAPTER_SECONDS:
        return
    terminalreporter.section("chapter times under nbval (this run)")
    for chapter, seconds in sorted(_CHAPTER_SECONDS.items()):
        terminalreporter.write_line(f"{chapter:<28} {seconds:7.1f} s")
    total = sum(_CHAPTER_SECONDS.values())
    terminalreporter.write_line(f"{'all chapters':<28} {total:7.1f} s")
