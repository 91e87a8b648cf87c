"""Notebook hygiene: no outputs, python3 kernel, the Colab cell, listed in the TOC,
exercises with checks. (The notebooks themselves run under nbval: `pytest notebooks`.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = (ROOT / "_toc.yml").read_text()


def colab_cell(url: str, ref: str, spark: bool = False) -> str:
    """The one guarded install cell every notebook starts with (chapter 9 adds
    the spark extra and Java)."""
    cell = (
        "# Colab only: install the book's package (hidden in the rendered book).\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "llmrec-utils{"[spark]" if spark else ""} @ git+{url}@{ref}"'
    )
    if spark:
        cell += ("\n    # Spark 4 needs Java 17 or 21\n"
                 "    !java -version 2>&1 | grep -qE 'version \"(17|21)' || "
                 "apt-get -qq install -y openjdk-17-jre-headless")
    return cell


def test_colab_installs_the_pinned_release():
    """The install cell's ref is this version's release tag, or a commit."""
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    ref = str(CONFIG["colab"]["install_ref"])
    assert ref == f"v{version}" or re.fullmatch(r"[0-9a-f]{40}", ref), (
        f"colab.install_ref in _config.yml is {ref!r}: use the release tag v{version} "
        "(pyproject.toml's version) or a full commit hash"
    )


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["01_data.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_clean(path):
    raw = json.loads(path.read_text())
    missing = [i for i, cell in enumerate(raw["cells"]) if "id" not in cell]
    assert not missing, f"cells {missing} have no id (nbformat 4.5 requires one): nbformat.validator.normalize"
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
    expected = colab_cell(CONFIG["repository"]["url"], CONFIG["colab"]["install_ref"],
                          spark="spark" in path.stem)
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


# Calls that read what another chapter made, and the chapter that makes it.
CROSS_CHAPTER_READS = {"embeddings.load_embeddings(": "02_text_embeddings",
                       "augmentation.board_rows(": "06_llm_augmentation",
                       "knowledge.board_rows(": "07_knowledge_in_models",
                       'choices.chosen("ease")': "04_matrix_factorization",
                       'choices.chosen("implicit-als")': "04_matrix_factorization",
                       'choices.chosen("weighted-blend")': "05_hybrid"}


def test_chapters_that_read_another_chapter_run_alone_under_nbval():
    """Every chapter that reads another chapter's results is in the list of
    chapters nbval runs in a fresh cache (notebooks/conftest.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("nb_conftest", ROOT / "notebooks" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readers, seen = set(), set()
    for path in NOTEBOOKS:
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "code")  # fmt: skip
        seen |= {call for call in CROSS_CHAPTER_READS if call in code}
        readers |= {path.stem for call, maker in CROSS_CHAPTER_READS.items()
                    if call in code and path.stem != maker}  # fmt: skip
    assert seen == set(CROSS_CHAPTER_READS), \
        f"calls no chapter makes any more (renamed?): {set(CROSS_CHAPTER_READS) - seen}"
    assert readers == module.ALONE, f"chapters reading another chapter's results: {readers}"
