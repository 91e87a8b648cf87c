"""Markers and order for every test in the repository.

Each test gets one kind marker, so a subset runs with ``pytest -m``:

* ``unit``: tests/ except the book build (``make unit``, about two minutes);
* ``notebook``: the chapters, executed cell by cell by nbval;
* ``book``: tests/test_book.py, the jupyter-book build and the browser checks.

``spark`` is added to whatever needs Apache Spark and Java (tests/test_spark.py
and chapter 9), e.g. ``pytest -m "unit and not spark"``.

The kinds run in that order: the book build comes last so that it can render
the chapters nbval has just executed instead of executing them again
(notebooks/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

KINDS = ("unit", "notebook", "book")
SPARK = {"test_spark.py", "09_scaling_with_spark.ipynb"}


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
    items.sort(key=lambda item: KINDS.index(kind(item)))  # stable: keeps cell order
