"""The chapters as otter-grader assignments (``llmrec assign OUTDIR``).

:func:`assignment_notebook` turns a chapter into an otter master notebook whose
questions are the chapter's exercises and whose tests are :mod:`.grading`'s;
:func:`write_assignments` runs ``otter assign`` on it. The prose is the student
edition's (:mod:`.student`): plain Markdown, exercises numbered "Exercise N.M",
hints kept, glued results printed by the cells that compute them. The first cell
installs the package with otter (the ``grading`` extra) on Colab; otter's
``grader`` is made in the cell after it. Taught in no chapter: see "Grading" in
``book/instructors.md``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from . import student
from .grading import (
    _END_RE,
    _SOLUTION_RE,
    _START_RE,
    CHAPTERS,
    NOTEBOOKS,
    POINTS,
    _otter,
    _quiet,
    _source,
    exercises_of,
    test_spec,
)

_FENCE_RE = re.compile(  # a whole {exercise} or {solution} block
    r"^(?P<fence>[`:]{3,})\{(?P<kind>exercise|solution)\}[^\n]*\n.*?^(?P=fence)[ \t]*$\n?",
    re.MULTILINE | re.DOTALL)  # fmt: skip


def _raw(text: str) -> dict:
    return {"cell_type": "raw", "metadata": {}, "source": text}


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def _code(text: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": text.strip("\n"), "outputs": [],
            "execution_count": None}  # fmt: skip


_EXTRA_RE = re.compile(r'"llmrec-utils(?:\[(?P<extras>[\w,]+)\])? @')


def install_cell(colab: str) -> str:
    """The chapter's Colab install cell, with the ``grading`` extra (otter-grader)."""
    def add(m: re.Match) -> str:
        extras = [e for e in (m["extras"] or "").split(",") if e] + ["grading"]
        return f'"llmrec-utils[{",".join(extras)}] @'

    cell, n = _EXTRA_RE.subn(add, colab)
    if n != 1:
        raise ValueError("the chapter's first cell does not install llmrec-utils: "
                         "every chapter starts with the Colab cell (tests/test_notebooks.py)")
    return cell


def _init_cell(chapter: str) -> str:
    return ("# otter-grader: `grader.check(...)` under each exercise runs its public test\n"
            f'import otter\n\ngrader = otter.Notebook("{chapter}.ipynb")')


def _solution_text(block: str) -> str:
    lines = block.strip("\n").splitlines()[1:-1]
    return "\n".join(ln for ln in lines if not re.match(r"^:\w+:", ln)).strip()


def _test_cell(code: str, hidden: bool, points: int) -> dict:
    """An otter test cell: the doctest's call, as an assertion that shows the hint."""
    call = code.splitlines()[1].removeprefix(">>> ")
    config = (f'""" # BEGIN TEST CONFIG\nhidden: {str(hidden).lower()}\npoints: {points}\n'
              '""" # END TEST CONFIG\n')
    return _code(f"{config}from llmrec_utils.course import grading\n"
                 f"result = {call}\nassert result is True, result")


def assignment_notebook(chapter: str) -> dict:
    """The chapter as an otter-grader master notebook (``otter assign`` input).

    Each coding exercise is a question worth :data:`POINTS` whose tests are the
    public check and the hidden variants; each discussion question is a
    manually graded question with the chapter's answer as its solution. The
    cell that calls the check stays after the question, as in the chapter.
    """
    nb = json.loads((NOTEBOOKS / f"{chapter}.ipynb").read_text())
    book = student.number_chapter(nbformat.reads(json.dumps(nb), as_version=4),
                                  f"{chapter}.ipynb", student.load_bib())

    def prose(text: str) -> dict:
        return _markdown(student.to_markdown(text, book))

    by_label = {ex.label: ex for ex in exercises_of(chapter)}
    config = (f"# ASSIGNMENT CONFIG\nname: {chapter}\nrun_tests: false\ninit_cell: false\n"
              "check_all_cell: false\nexport_cell: false\ngenerate: false\n")  # fmt: skip
    cells, open_ex = [_raw(config)], None
    for index, cell in enumerate(nb["cells"]):
        src = _source(cell)
        if cell["cell_type"] == "code":
            if index == 0:  # the install cell, then otter and the printed results
                cells += [_code(install_cell(src)), _code(_init_cell(chapter)),
                          _code(student.SHOW_GLUED)]  # fmt: skip
            elif open_ex is not None:  # the solution's code
                cells.append(_code(src.replace("### BEGIN SOLUTION", "# BEGIN SOLUTION")
                                   .replace("### END SOLUTION", "# END SOLUTION")))  # fmt: skip
            else:
                cells.append(_code(src))
            continue
        if cell["cell_type"] != "markdown":
            cells.append(cell)
            continue
        if _START_RE.search(src):
            open_ex = by_label.get(_START_RE.search(src)["label"])
            hint = re.sub(r"^[`:]{3,}\{solution-start\}.*?^[`:]{3,}[ \t]*$", "", src,
                          flags=re.MULTILINE | re.DOTALL).strip()  # fmt: skip
            if hint:
                cells.append(_markdown(f"{student.HINT} {student.to_markdown(hint, book)}"))
            cells.append(_raw("# BEGIN SOLUTION"))
            continue
        if _END_RE.search(src):
            cells += [_raw("# END SOLUTION"), _raw("# BEGIN TESTS")]
            for case in test_spec(open_ex)["suites"][0]["cases"]:
                cells.append(_test_cell(case["code"], case["hidden"], case["points"]))
            cells += [_raw("# END TESTS"), _raw("# END QUESTION")]
            open_ex = None
            continue
        pos = 0
        for m in _FENCE_RE.finditer(src):
            if src[pos:m.start()].strip():
                cells.append(prose(src[pos:m.start()]))
            pos = m.end()
            block = m.group(0)
            label = re.search(r"^:label:\s*(\S+)", block, re.MULTILINE)
            if m["kind"] == "exercise":
                ex = by_label.get(label[1] if label else "")
                points = "manual: true" if ex is None or ex.manual else f"points: {POINTS}"
                name = ex.label if ex else "exercise"
                cells += [_raw(f"# BEGIN QUESTION\nname: {name}\n{points}"),
                          prose(block)]  # "### Exercise N.M: Title" and its text
                if ex is not None and ex.manual and not _SOLUTION_RE.search(src[m.end():]):
                    cells.append(_raw("# END QUESTION"))  # no written answer in the chapter
            else:  # a discussion question's answer: the solution of a manual question
                cells += [_raw("# BEGIN SOLUTION"), prose(_solution_text(block)),
                          _raw("# END SOLUTION"), _raw("# END QUESTION")]  # fmt: skip
        if src[pos:].strip():
            cells.append(prose(src[pos:]))
    for i, cell in enumerate(cells):
        cell["id"] = cell.get("id") or f"otter-{i}"
    return dict(nb, cells=cells)


def write_assignments(folder: str | Path, chapters: list[str] | None = None) -> list[Path]:
    """Run ``otter assign`` on each chapter's master notebook.

    Writes ``folder/master/<chapter>.ipynb`` and otter's two versions,
    ``folder/<chapter>/student/`` (public tests) and
    ``folder/<chapter>/autograder/`` (with the hidden tests and solutions).
    """
    otter_assign = _otter("assign").main

    folder = Path(folder).resolve()
    (folder / "master").mkdir(parents=True, exist_ok=True)
    written = []
    for chapter in chapters or CHAPTERS:
        master = folder / "master" / f"{chapter}.ipynb"
        master.write_text(json.dumps(assignment_notebook(chapter), indent=1) + "\n")
        _quiet(otter_assign, str(master), str(folder / chapter), no_pdfs=True, no_run_tests=True)
        written += [folder / chapter / "student" / master.name,
                    folder / chapter / "autograder" / master.name]  # fmt: skip
    return written
