"""Notebook hygiene: no outputs, python3 kernel, the Colab cell, listed in the TOC,
exercises with checks. (The notebooks themselves run under nbval: `pytest notebooks`.)"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = (ROOT / "_toc.yml").read_text()


def colab_cell(url: str, spark: bool = False) -> str:
    """The one guarded install cell every notebook starts with (chapter 8 adds
    the spark extra and Java)."""
    cell = (
        "# Colab only: install the book's package (hidden in the rendered book).\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "llmrec-utils{"[spark]" if spark else ""} @ git+{url}"'
    )
    if spark:
        cell += ("\n    # Spark 4 needs Java 17 or 21\n"
                 "    !java -version 2>&1 | grep -qE 'version \"(17|21)' || "
                 "apt-get -qq install -y openjdk-17-jre-headless")
    return cell


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["01_data.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {index} has outputs: strip them before committing"
            assert cell.execution_count is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_starts_with_the_colab_cell_from_config(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    expected = colab_cell(CONFIG["repository"]["url"], spark="spark" in path.stem)
    assert first.cell_type == "code" and first.source == expected, (
        f"{path.name} must start with this cell (URL from _config.yml):\n{expected}"
    )
    assert "remove-cell" in first.metadata.get("tags", [])
    assert "pip" not in "".join(c.source for c in nb.cells[1:] if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_listed_in_toc_with_goals_summary_and_exercises(path):
    assert f"notebooks/{path.stem}" in TOC
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Learning goals" in text and "## Summary" in text and "## Exercises" in text
    n_exercises = len(re.findall(r"\{exercise\}", text))
    n_checks = sum("exercises.check_" in c.source for c in nb.cells if c.cell_type == "code")
    n_answers = sum("### BEGIN SOLUTION" in c.source for c in nb.cells if c.cell_type == "code")
    assert n_exercises >= 3 and n_checks == n_answers >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_fits_the_rendered_page(path):
    """Code lines longer than 80 characters scroll sideways in the rendered book."""
    nb = nbformat.read(path, as_version=4)
    long = [
        (index, line)
        for index, cell in enumerate(nb.cells[1:], start=1)
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > 80
    ]
    assert not long, f"lines over 80 characters: {long}"
