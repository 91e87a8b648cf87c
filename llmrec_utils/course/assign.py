"""The chapters as otter-grader assignments (``llmrec assign OUTDIR``).

:func:`assignment_notebook` turns a chapter into an otter master notebook whose
questions are the chapter's exercises and whose tests are :mod:`.grading`'s;
:func:`write_assignments` runs ``otter assign`` on it. Taught in no chapter:
see "Grading" in ``book/instructors.md``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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


def _prompt(block: str) -> str:
    """An ``{exercise}`` block as plain Markdown: a bold title, the label, the text."""
    lines = block.strip("\n").splitlines()
    title = re.sub(r"^[`:]{3,}\{exercise\}\s*", "", lines[0])
    label = next((ln.split(":label:")[1].strip() for ln in lines if ln.startswith(":label:")), "")
    body = [ln for ln in lines[1:-1] if not re.match(r"^:\w+:", ln)]
    return f"**Exercise: {title}** (`{label}`)\n\n" + "\n".join(body).strip()


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
    by_label = {ex.label: ex for ex in exercises_of(chapter)}
    config = (f"# ASSIGNMENT CONFIG\nname: {chapter}\nrun_tests: false\n"
              "check_all_cell: false\nexport_cell: false\ngenerate: false\n")  # fmt: skip
    cells, open_ex = [_raw(config)], None
    for cell in nb["cells"]:
        src = _source(cell)
        if cell["cell_type"] == "code":
            if open_ex is not None:  # the solution's code
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
                cells.append(_markdown(f"*Hint:* {hint}"))
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
                cells.append(_markdown(src[pos:m.start()]))
            pos = m.end()
            block = m.group(0)
            label = re.search(r"^:label:\s*(\S+)", block, re.MULTILINE)
            if m["kind"] == "exercise":
                ex = by_label.get(label[1] if label else "")
                points = "manual: true" if ex is None or ex.manual else f"points: {POINTS}"
                name = ex.label if ex else "exercise"
                cells += [_raw(f"# BEGIN QUESTION\nname: {name}\n{points}"),
                          _markdown(_prompt(block))]  # fmt: skip
                if ex is not None and ex.manual and not _SOLUTION_RE.search(src[m.end():]):
                    cells.append(_raw("# END QUESTION"))  # no written answer in the chapter
            else:  # a discussion question's answer: the solution of a manual question
                cells += [_raw("# BEGIN SOLUTION"), _markdown(_solution_text(block)),
                          _raw("# END SOLUTION"), _raw("# END QUESTION")]  # fmt: skip
        if src[pos:].strip():
            cells.append(_markdown(src[pos:]))
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
