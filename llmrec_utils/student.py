"""Student copies of the notebooks: solutions out, stubs in, outputs cleared.

The convention (used in every chapter):

* an exercise is a ``{exercise}`` block in a markdown cell;
* its solution sits between a markdown cell that opens ``{solution-start}``
  and one that holds ``{solution-end}``; code cells in between are the
  solution's code, rendered inside the dropdown;
* in a code cell, the lines between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` are the answer; the rest (e.g. a call to a check in
  :mod:`llmrec_utils.exercises`) stays in the student's copy.

:func:`make_student_copy` drops the solution's markdown cells (and code cells
inside a solution that have no marked answer), removes ``{solution}`` blocks
(discussion answers) from markdown cells, replaces each marked answer with ``raise NotImplementedError()`` at the same indentation, and
clears outputs. ``llmrec student OUTDIR`` runs it on every chapter.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = "raise NotImplementedError()"
_START_RE = re.compile(r"^[`:]{3,}\{solution-start\}", re.M)
# A non-gated solution: a fenced ```{solution} ...``` block inside a markdown cell.
_SOLUTION_BLOCK_RE = re.compile(r"^([`:]{3,})\{solution\}.*?^\1[ \t]*$\n?", re.M | re.S)
_END_RE = re.compile(r"^[`:]{3,}\{solution-end\}", re.M)


def strip_solution_code(source: str, where: str = "cell") -> str:
    """Replace every BEGIN/END SOLUTION region with a stub at its indentation."""
    out, inside, indent = [], False, ""
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"{where}, line {number}: {BEGIN} inside another solution.")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f"{indent}{STUB}")
        elif marker == END:
            if not inside:
                raise ValueError(f"{where}, line {number}: {END} without {BEGIN}.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN} is never closed by {END}.")
    return "\n".join(out)


def make_student_copy(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """Return a copy of ``nb`` with solutions removed (see the module docstring)."""
    nb = nbformat.from_dict(nb)  # deep copy
    cells, in_solution = [], False
    for index, cell in enumerate(nb.cells):
        src = cell.source
        if cell.cell_type == "markdown":
            if _START_RE.search(src):
                if in_solution:
                    raise ValueError(f"{name}, cell {index}: solution-start before solution-end.")
                in_solution = not _END_RE.search(src)
                continue
            if _END_RE.search(src):
                if not in_solution:
                    raise ValueError(f"{name}, cell {index}: solution-end without solution-start.")
                in_solution = False
                continue
            if in_solution:
                continue  # the solution's prose
            cell.source = _SOLUTION_BLOCK_RE.sub("", src).strip()
            if not cell.source:
                continue
        elif cell.cell_type == "code":
            if in_solution and BEGIN not in src:
                continue  # solution code with no marked answer: nothing to keep
            cell.source = strip_solution_code(src, f"{name}, cell {index}")
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    if in_solution:
        raise ValueError(f"{name}: a solution-start is never closed by solution-end.")
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def write_student_copies(notebooks: list[Path], outdir: Path) -> list[Path]:
    """Write a student copy of each notebook into ``outdir``; return their paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        target = outdir / path.name
        nbformat.write(make_student_copy(nb, path.name), target)
        written.append(target)
    return written
