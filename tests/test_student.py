"""Student copies: solutions stripped, checks kept, valid notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from llmrec_utils import cli, student

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def small_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise} Add\n:label: ex-add\nAdd one.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-add\n:class: dropdown\n```\nUse +."),
        nbformat.v4.new_code_cell("def add_one(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"),
        nbformat.v4.new_code_cell("print('a plot that only the solution shows')"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("assert add_one(1) == 2", outputs=[], execution_count=3),
    ]
    return nb


def test_make_student_copy_on_a_known_notebook():
    out = student.make_student_copy(small_notebook())
    sources = [c.source for c in out.cells]
    assert sources == [
        "```{exercise} Add\n:label: ex-add\nAdd one.\n```",
        "def add_one(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
        "assert add_one(1) == 2",
    ]
    assert all(c.get("execution_count") is None for c in out.cells if c.cell_type == "code")


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without ### BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
def test_unbalanced_markers_are_reported_with_their_place(source, message):
    with pytest.raises(ValueError, match=message):
        student.strip_solution_code(source, "nb, cell 4")


def test_plain_solution_blocks_are_removed_from_markdown():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(
        "```{exercise} Why?\n:label: ex-why\nThink.\n```\n\n"
        "```{solution} ex-why\n:class: dropdown\n\nBecause.\n```\n"),
        nbformat.v4.new_markdown_cell("```{solution} ex-why\nOnly a solution.\n```")]
    out = student.make_student_copy(nb)
    assert [c.source for c in out.cells] == ["```{exercise} Why?\n:label: ex-why\nThink.\n```"]


def test_unclosed_solution_block_is_reported():
    nb = small_notebook()
    del nb.cells[4]
    with pytest.raises(ValueError, match="never closed by solution-end"):
        student.make_student_copy(nb, "x.ipynb")


def test_llmrec_student_writes_clean_copies_of_every_chapter(tmp_path, capsys):
    assert cli.main(["student", str(tmp_path), "--notebooks", str(ROOT / "notebooks")]) == 0
    assert "wrote" in capsys.readouterr().out
    for original in NOTEBOOKS:
        copy = tmp_path / original.name
        nb = nbformat.read(copy, as_version=4)
        nbformat.validate(nb)
        text = json.dumps([c.source for c in nb.cells])
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert "{solution" not in text  # gated and plain solution blocks are gone
        n_answers = original.read_text().count("### BEGIN SOLUTION")
        assert text.count(student.STUB) == n_answers
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        n_exercises = sum(c.source.count("{exercise}") for c in nb.cells)
        assert n_exercises == original.read_text().count("{exercise}")


def test_llmrec_student_reports_missing_notebooks(tmp_path, capsys):
    assert cli.main(["student", str(tmp_path / "out"), "--notebooks", str(tmp_path)]) == 1
    assert "no notebooks found" in capsys.readouterr().err
