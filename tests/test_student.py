"""Student copies: solutions stripped, checks kept, valid notebooks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from llmrec_utils import cli
from llmrec_utils.course import student

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def small_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise} Add\n:label: ex-add\nAdd one.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-add\n:class: dropdown\n```\nUse +."),
        nbformat.v4.new_code_cell(
            "def add_one(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell("print('a plot that only the solution shows')"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("assert add_one(1) == 2", outputs=[], execution_count=3),
    ]
    return nb


def test_make_student_copy_on_a_known_notebook():
    out = student.make_student_copy(small_notebook(), "03_small.ipynb")
    sources = [c.source for c in out.cells]
    assert sources == [
        "### Exercise 3.1: Add\n\nAdd one.",
        "**Hint:** Use +.",
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
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "```{exercise} Why?\n:label: ex-why\nThink.\n```\n\n"
            "```{solution} ex-why\n:class: dropdown\n\nBecause.\n```\n"
        ),
        nbformat.v4.new_markdown_cell("```{solution} ex-why\nOnly a solution.\n```"),
    ]
    out = student.make_student_copy(nb)
    assert [c.source for c in out.cells] == [
        "### Exercise 1: Why?\n\nThink.",
        student.ANSWER,
        student.ANSWER,
    ]


def test_unclosed_solution_block_is_reported():
    nb = small_notebook()
    del nb.cells[4]
    with pytest.raises(ValueError, match="never closed by solution-end"):
        student.make_student_copy(nb, "x.ipynb")


MYST = {
    "role": re.compile(r"\{[a-z:-]+\}`"),
    "backtick directive": re.compile(r"^\s*`{3,}\{", re.MULTILINE),
    "colon fence": re.compile(r"^\s*:::", re.MULTILINE),
    "option": re.compile(r"^:(label|class|name):", re.MULTILINE),
    "equation label": re.compile(r"^\$\$\s*\(", re.MULTILINE),
    "target": re.compile(r"^\([\w-]+\)=", re.MULTILINE),
}


def markdown(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    assert cli.main(["student", str(out), "--notebooks", str(ROOT / "notebooks")]) == 0
    return {p.name: nbformat.read(out / p.name, as_version=4) for p in NOTEBOOKS}


def test_llmrec_student_writes_clean_copies_of_every_chapter(copies):
    assert len(copies) == len(NOTEBOOKS) == 9
    for original in NOTEBOOKS:
        nb, raw = copies[original.name], original.read_text()
        nbformat.validate(nb)
        text = json.dumps([c.source for c in nb.cells])
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert "{solution" not in text  # gated and plain solution blocks are gone
        assert text.count(student.STUB) == raw.count("### BEGIN SOLUTION")
        assert all(
            not c.get("outputs") and c.get("execution_count") is None
            for c in nb.cells
            if c.cell_type == "code"
        )
        headings = re.findall(
            r"^### Exercise (\d+)\.(\d+): \S", "\n".join(markdown(nb)), re.MULTILINE
        )
        chapter = str(int(original.name[:2]))
        assert headings == [(chapter, str(m)) for m in range(1, raw.count("{exercise}") + 1)]


def test_student_copies_contain_no_myst(copies):
    for name, nb in copies.items():
        for source in markdown(nb):
            for what, pattern in MYST.items():
                assert not pattern.search(source), f"{name}: {what} left in\n{source[:300]}"


def test_hints_are_kept_and_discussions_get_an_answer_cell(copies):
    for original in NOTEBOOKS:
        nb, raw = copies[original.name], nbformat.read(original, as_version=4)
        hints = [
            student.hint(c.source)
            for c in raw.cells
            if c.cell_type == "markdown" and "{solution-start}" in c.source
        ]
        kept = [
            s.removeprefix(student.HINT + " ") for s in markdown(nb) if s.startswith(student.HINT)
        ]
        assert all(hints), f"{original.name}: an exercise without a hint"
        assert kept == hints
        written = [
            m["body"].split("\n\n")[-1].strip()
            for c in raw.cells
            for m in student._DIRECTIVE_RE.finditer(c.source)
            if m["name"] == "solution"
        ]
        assert written and not any(w[:60] in "\n".join(markdown(nb)) for w in written)
        n_discussions = sum(c.source.count("```{solution}") for c in raw.cells)
        assert [s for s in markdown(nb)].count(student.ANSWER) == n_discussions
    assert sum(markdown(nb).count(student.ANSWER) for nb in copies.values()) == 15
    # the answer cell follows its question
    sources = markdown(copies["01_data.ipynb"])
    assert sources[sources.index(student.ANSWER) - 1].startswith("### Exercise 1.4: A fourth split")


def test_citations_equations_and_terms_in_a_real_chapter(copies):
    text = "\n".join(markdown(copies["04_matrix_factorization.ipynb"]))
    assert "(Koren et al., 2009)" in text
    assert "\\tag{4}" in text and "update equation (4)" in text
    assert "ALS" in text and "<Alternating least squares (ALS)>" not in text


BIB = student.parse_bib(r"""
@inproceedings{hu2022lora,
  author    = {Hu, Edward J. and Shen, Yelong and Wallis, Phillip},
  title     = {{LoRA}: Low-Rank Adaptation},
  year      = {2022}
}
@article{jarvelin2002cumulated,
  author  = {J{\"a}rvelin, Kalervo and Kek{\"a}l{\"a}inen, Jaana},
  year    = 2002,
}
@misc{nicapotato2018clothing,
  author = {{nicapotato}},
  year = {2018}
}
@misc{allal2025smollm2,
  author = {Ben Allal, Loubna and Lozhkov, Anton and others},
  year = {2025}
}
""")


def convert(source: str, **chapter) -> str:
    return student.to_markdown(source, student.Chapter(bib=BIB, **chapter))


def test_bibliography_gives_author_year():
    assert BIB == {
        "hu2022lora": "Hu et al., 2022",
        "jarvelin2002cumulated": "Järvelin and Kekäläinen, 2002",
        "nicapotato2018clothing": "nicapotato, 2018",
        "allal2025smollm2": "Ben Allal et al., 2025",
    }


@pytest.mark.parametrize(
    "source, expected",
    [
        ("LoRA {cite}`hu2022lora`.", "LoRA (Hu et al., 2022)."),
        (
            "{cite:p}`hu2022lora, jarvelin2002cumulated`",
            "(Hu et al., 2022; Järvelin and Kekäläinen, 2002)",
        ),
        ("{cite:t}`hu2022lora` showed", "Hu et al. (2022) showed"),
        (
            "the {term}`long tail <Popularity bias>` and {term}`Shuffle`",
            "the long tail and Shuffle",
        ),
        ("{math}`a = 0`", "$a = 0$"),
        ("is {glue:text}`ch5_ratio:.1f` times", "is `ch5_ratio` times"),
        ("{glue}`ch1_n_rare`", "`ch1_n_rare`"),
        (
            "see {doc}`chapter 5 <../notebooks/05_hybrid>` and {doc}`the FAQ <../book/faq>`",
            "see [chapter 5](05_hybrid.ipynb) and the FAQ",
        ),
        ("(sec-x)=\n## Title", "## Title"),
        ("```{note}\nRead this.\n```", "> **Note**\n>\n> Read this.\n"),
        (
            ":::{admonition} Careful\n:class: warning\nTwo lines\nhere.\n:::",
            "> **Careful**\n>\n> Two lines\n> here.\n",
        ),
        (
            "```{figure} img.png\n:name: fig-a\nA caption.\n```",
            "![A caption.](img.png)\n\n*A caption.*\n",
        ),
    ],
)
def test_roles_and_directives_become_markdown(source, expected):
    assert convert(source) == expected


def test_exercises_are_numbered_per_chapter_with_a_heading():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"```{{exercise}} Task {n}\n:label: ex-{n}\n\nDo {n}.\n```")
        for n in "ab"
    ]
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("```{exercise} Unlabelled\nDo it.\n```"))
    nb.cells.append(nbformat.v4.new_markdown_cell("As in {ref}`ex-b`."))
    out = student.make_student_copy(nb, "08_evaluation.ipynb")
    assert [c.source for c in out.cells] == [
        "### Exercise 8.1: Unlabelled\n\nDo it.",
        "### Exercise 8.2: Task a\n\nDo a.",
        "### Exercise 8.3: Task b\n\nDo b.",
        "As in Exercise 8.3.",
    ]


def test_equations_are_numbered_in_order_and_references_follow():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "By {eq}`eq-b`, and equation {eq}`eq-a`:\n\n$$\nx = 1\n$$ (eq-a)"
        ),
        nbformat.v4.new_markdown_cell("$$\ny = 2\n$$ (eq-b)\n\n$$\nz\n$$"),
    ]
    out = student.make_student_copy(nb, "04_mf.ipynb")
    assert [c.source for c in out.cells] == [
        "By equation (2), and equation (1):\n\n$$\nx = 1\n\\tag{1}\n$$",
        "$$\ny = 2\n\\tag{2}\n$$\n\n$$\nz\n$$",
    ]


def test_llmrec_student_reports_missing_notebooks(tmp_path, capsys):
    assert cli.main(["student", str(tmp_path / "out"), "--notebooks", str(tmp_path)]) == 1
    assert "no notebooks found" in capsys.readouterr().err


def test_outside_a_clone_the_chapters_come_from_notebooks(tmp_path, monkeypatch, capsys):
    """The installed package ships no chapter (they hold the solutions): outside a
    clone `llmrec student` says so, and reads the chapters given by --notebooks,
    with the bibliography installed under <prefix>/share/llmrec-utils."""
    prefix = tmp_path / "prefix"
    (prefix / "share" / "llmrec-utils" / "book").mkdir(parents=True)
    (prefix / "share" / "llmrec-utils" / "book" / "references.bib").write_text(
        "@misc{k, author={Doe, J.}, year={2020}}")
    monkeypatch.setattr(student, "_repo", lambda: tmp_path / "no-checkout")
    monkeypatch.setattr(student.sysconfig, "get_path", lambda name: str(prefix))
    with pytest.raises(student.NoChapters, match="--notebooks DIR"):
        student.notebooks_dir()
    assert cli.main(["student", str(tmp_path / "out")]) == 1
    assert "not installed with the package" in capsys.readouterr().err
    (tmp_path / "chapters").mkdir()
    nbformat.write(small_notebook(), tmp_path / "chapters" / "03_small.ipynb")
    assert student.parse_bib(student.bib_path().read_text()) == {"k": "Doe, 2020"}
    assert cli.main(["student", str(tmp_path / "out"), "--notebooks",
                     str(tmp_path / "chapters")]) == 0
    assert "03_small.ipynb" in capsys.readouterr().out
    out = nbformat.read(tmp_path / "out" / "03_small.ipynb", as_version=4)
    assert out.cells[0].source.startswith("### Exercise 3.1: Add")


def test_site_copy_hides_solution_code_and_keeps_myst():
    out = student.make_site_copy(small_notebook())
    sources = [c.source for c in out.cells]
    assert sources[0].startswith("```{exercise} Add")
    assert sources[1] == "```{hint}\nUse +.\n```"
    hidden = [c for c in out.cells if "remove-cell" in c.metadata.get("tags", [])]
    assert hidden[0].source.startswith("def add_one(x):\n    ### BEGIN SOLUTION")
    assert len(hidden) == 2 and "{solution" not in json.dumps(sources)


def _glue_calls(nb) -> int:
    return sum(c.source.count("glue(") for c in nb.cells if c.cell_type == "code")


def test_every_glued_result_is_printed_in_the_student_copy(copies):
    """The copy's prose names each result; the cell after the install cell makes
    page.glue print it, and no cell that glues one is removed with a solution."""
    for original in NOTEBOOKS:
        raw, nb = nbformat.read(original, as_version=4), copies[original.name]
        assert nb.cells[1].source == student.SHOW_GLUED, original.name
        assert _glue_calls(nb) == _glue_calls(raw)


@pytest.mark.slow
def test_a_student_running_chapter_1_sees_each_named_value(copies, tmp_path):
    """Chapter 1's student copy, run in a kernel as a student would (stopping at
    nothing): every name its prose shows in code font is printed with its value."""
    NotebookClient = pytest.importorskip("nbclient").NotebookClient  # not in make compat's set

    raw = nbformat.read(ROOT / "notebooks" / "01_data.ipynb", as_version=4)
    names = {m.split(":")[0] for c in raw.cells if c.cell_type == "markdown"
             for m in re.findall(r"\{glue:text\}`([^`]+)`", c.source)}
    nb = copies["01_data.ipynb"]
    text = "\n".join(markdown(nb))
    assert names and all(f"`{n}`" in text for n in names)
    NotebookClient(nb, timeout=600, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                        for o in c.outputs if o.get("name") == "stdout")
    assert not [n for n in names if not re.search(rf"^{n} = \S", printed, re.MULTILINE)]
