"""The student edition: solutions out, hints kept, MyST turned into plain Markdown.

The exercise convention (used in every chapter, see ``book/setup.md``):

* an exercise is a ``{exercise}`` block in a markdown cell;
* a coding exercise's solution sits between a markdown cell that opens
  ``{solution-start}`` and one that holds ``{solution-end}``; code cells in
  between are the solution's code, rendered inside the dropdown;
* in a code cell, the lines between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` are the answer; the rest (e.g. a call to a check in
  :mod:`llmrec_utils.course.exercises`) stays in the student's copy;
* a discussion or experiment question has its written answer in a plain
  ``{solution}`` block.

:func:`make_student_copy` keeps the exercise and the check, and:

* **hints**: the prose after the ``{solution-start}`` fence (before the
  solution's code) is the hint; it becomes a cell ``**Hint:** ...``. The rest
  of the solution (other markdown cells, code cells with no marked answer,
  ``{solution-end}``) is dropped;
* **answers**: each marked answer becomes ``raise NotImplementedError()`` at
  the same indentation; each ``{solution}`` block is removed and replaced by a
  markdown cell ``*Your answer:*``;
* outputs and execution counts are cleared, and the result is validated.

Markdown cells are then turned into Markdown that Jupyter and Colab render
(:func:`to_markdown`):

* ``{exercise} Title`` + ``:label:`` -> ``### Exercise N.M: Title`` (N the
  chapter, from the file name ``04_...``; M counts the chapter's exercises);
  labels are dropped, and ``{ref}`` to an exercise reads "Exercise N.M";
* ``$$ ... $$ (label)`` -> the same equation with ``\\tag{n}``, n counted per
  chapter in order of appearance; ``{eq}`label``` -> "equation (n)" ("(n)"
  right after the word "equation");
* ``{math}`x``` -> ``$x$``;
* ``{glue:text}`name:.3f``` (a result glued from a cell) -> ``name`` in code
  font; a Colab page cannot render glue, so a cell after the install cell turns
  on :func:`.page.show_glued` and the cell that glues a result prints
  ``name = value`` when it runs;
* ``{term}`text <Entry>``` -> "text" (plain text);
* ``{cite}`a,b``` -> "(Author et al., 2019; Author and Other, 2020)" from
  ``book/references.bib``; ``{cite:t}`` -> "Author et al. (2019)";
* ``{doc}`text <path>``` -> a link to the notebook ``path.ipynb`` when it is a
  chapter, else the text; ``{ref}``, ``{numref}`` and any other role -> its text;
* admonitions and dropdowns (backtick or ``:::`` fences) -> a blockquote with
  a bold title; ``{figure}`` / ``{image}`` -> ``![caption](path)``; MyST
  targets ``(label)=`` are dropped.

``llmrec student OUTDIR`` writes every chapter. The chapters hold their
solutions, so the installed package does not ship them: the instructor runs it
from a clone of the repository, or passes ``--notebooks DIR`` (:func:`notebooks_dir`).
:func:`make_site_copy` makes the copy ``make book-student`` builds the site
from.
"""

from __future__ import annotations

import re
import site
import sys
import sysconfig
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"


END = "### END SOLUTION"


STUB = "raise NotImplementedError()"
SHOW_GLUED = (  # the student copy's cell that prints each result its prose names
    "# Each result the text names in code font is printed as `name = value` by\n"
    "# the cell that computes it.\n"
    "from llmrec_utils.course import page\n\n"
    "page.show_glued()")


ANSWER = "*Your answer:*"


HINT = "**Hint:**"


# What the student edition writes itself, per language (``llmrec student --lang``).
WORDS = {
    "en": {"answer": ANSWER, "hint": HINT, "exercise": "Exercise {n}: {title}",
           "exercise ref": "Exercise {n}", "equation": "equation ({n})",
           "show glued": SHOW_GLUED},
    "zh_CN": {"language": "练习检查的提示用中文", "answer": "*你的回答：*", "hint": "**提示：**", "exercise": "练习 {n}：{title}",
              "exercise ref": "练习 {n}", "equation": "式 ({n})",
              "show glued": SHOW_GLUED.replace(
                  "# Each result the text names in code font is printed as `name = value` by\n"
                  "# the cell that computes it.",
                  "# 正文以代码字体写出的每个结果，由计算它的单元格打印为 `name = value`。"),
              # admonition titles, as the Chinese site shows them
              **{f"title {name}": title for name, title in {
                  "note": "注意", "tip": "提示", "hint": "提示", "warning": "警告",
                  "important": "重要", "caution": "小心", "attention": "注意", "danger": "危险",
                  "error": "错误", "seealso": "另见"}.items()}},
}
LANGUAGES = {"en": "en", "zh": "zh_CN", "zh_CN": "zh_CN"}


_START_RE = re.compile(r"^[`:]{3,}\{solution-start\}", re.MULTILINE)


_END_RE = re.compile(r"^[`:]{3,}\{solution-end\}", re.MULTILINE)


# A directive block: ```{name} args ... ``` or :::{name} args ... ::: (nesting
# needs a longer outer fence, as in MyST).
_DIRECTIVE_RE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-z-]+)\}[ \t]*(?P<args>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$\n?",
    re.MULTILINE | re.DOTALL,
)


_OPTION_RE = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")


_EQ_LABEL_RE = re.compile(r"^\$\$[ \t]*\((?P<label>[\w:.-]+)\)[ \t]*$", re.MULTILINE)


_ROLE_RE = re.compile(r"\{(?P<name>[a-z]+(?::[a-z]+)?)\}`(?P<text>[^`]*)`")


_TARGET_RE = re.compile(r"^\([\w:.-]+\)=[ \t]*\n?", re.MULTILINE)


_CHAPTER_RE = re.compile(r"^(\d+)_[\w-]+$")


def _shared(*parts: str) -> Path:
    """``<prefix>/share/llmrec-utils/...`` of the installed package (pip may put
    data files under sys.prefix, /usr/local or the user base)."""
    prefixes = [sysconfig.get_path("data"), sys.prefix, site.getuserbase()]
    candidates = [Path(p, "share", "llmrec-utils", *parts) for p in prefixes]
    return next((c for c in candidates if c.exists()), candidates[0])


def _repo() -> Path:
    return Path(__file__).resolve().parents[2]  # llmrec_utils/course/student.py


class NoChapters(FileNotFoundError):
    """The chapters (with their solutions) are not here: they are not installed."""


def notebooks_dir() -> Path:
    """The chapters, ``notebooks/`` of the clone this package runs from.

    The installed package ships no chapter (they hold the solutions), so outside
    a clone this raises :class:`NoChapters` with what to do.
    """
    repo = _repo() / "notebooks"
    if not any(repo.glob("*.ipynb")):
        raise NoChapters(
            "the chapters are not installed with the package (they hold the solutions): "
            "run this from a clone of the book's repository, or pass --notebooks DIR "
            "(the clone's notebooks/ folder)")
    return repo


def bib_path() -> Path:
    """``book/references.bib`` in a checkout, else the installed copy."""
    repo = _repo() / "book" / "references.bib"
    return repo if repo.is_file() else _shared("book", "references.bib")


def load_bib() -> dict[str, str]:
    """Citation keys -> "Author, year" from :func:`bib_path` (empty if it is missing)."""
    path = bib_path()
    return parse_bib(path.read_text(encoding="utf-8")) if path.is_file() else {}


_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303"}


def _latex_to_text(text: str) -> str:
    r"""``J{\"a}rvelin`` -> ``Järvelin``; other braces removed."""
    text = text.replace(r"\i", "i")
    text = re.sub(r"\\([\"'`^~])\{?(\w)\}?", lambda m: m[2] + _ACCENTS[m[1]], text)
    return unicodedata.normalize("NFC", text.replace("{", "").replace("}", "")).strip()


def _field(entry: str, name: str) -> str:
    """The value of ``name = {...}`` (braces may nest) or ``name = 2019`` in an entry."""
    m = re.search(rf"\b{name}\s*=\s*", entry, re.IGNORECASE)
    if not m:
        return ""
    rest = entry[m.end() :]
    if not rest.startswith("{"):
        return re.match(r'"?([^",\n]*)', rest)[1].strip()
    depth = 0
    for i, ch in enumerate(rest):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return rest[1:i]
    return rest[1:]


def _surname(author: str) -> str:
    author = author.strip()
    if author.startswith("{") and author.endswith("}"):  # {Organisation}
        return _latex_to_text(author)
    if "," in author:
        return _latex_to_text(author.split(",")[0])
    return _latex_to_text(author.split()[-1])


def parse_bib(text: str) -> dict[str, str]:
    """``{key: "Author et al., 2019"}`` for every entry of a BibTeX file."""
    out = {}
    starts = list(re.finditer(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, re.MULTILINE))
    for m, nxt in zip(starts, starts[1:] + [None]):
        entry = text[m.end() : nxt.start() if nxt else len(text)]
        authors = re.split(r"\s+and\s+", _field(entry, "author"))
        names = [_surname(a) for a in authors if a.strip() and a.strip() != "others"]
        if len(names) >= 3 or "others" in authors:
            who = f"{names[0]} et al."
        else:
            who = " and ".join(names) or m[1]
        out[m[1]] = f"{who}, {_field(entry, 'year')}"
    return out


def cite(keys: str, bib: dict[str, str], textual: bool = False) -> str:
    """``(Hu et al., 2022; ...)``, or ``Hu et al. (2022)`` for ``{cite:t}``."""
    refs = [bib.get(k.strip(), k.strip()) for k in keys.split(",")]
    if textual:
        return "; ".join(re.sub(r", (\w+)$", r" (\1)", r) for r in refs)
    return "(" + "; ".join(refs) + ")"


@dataclass
class Chapter:
    """What the conversion of one notebook numbers: exercises and equations."""

    number: str = ""
    bib: dict[str, str] = field(default_factory=dict)
    equations: dict[str, int] = field(default_factory=dict)
    exercises: dict[str, str] = field(default_factory=dict)
    n_exercises: int = 0
    language: str = "en"

    def word(self, key: str, **fields: str) -> str:
        """What the student edition writes for ``key`` in this chapter's language."""
        words = WORDS.get(self.language, WORDS["en"])
        return words.get(key, WORDS["en"].get(key, key)).format(**fields)

    def exercise_number(self) -> str:
        self.n_exercises += 1
        return f"{self.number}.{self.n_exercises}" if self.number else str(self.n_exercises)


def _split_options(body: str) -> tuple[dict[str, str], str]:
    """The directive's ``:key: value`` lines, and the rest of its body."""
    lines, options = body.split("\n"), {}
    while lines and (m := _OPTION_RE.match(lines[0])):
        options[m["key"]] = m["value"].strip()
        lines.pop(0)
    return options, "\n".join(lines).strip("\n")


def _blockquote(title: str, body: str) -> str:
    text = f"**{title}**\n\n{body}".strip() if title else body
    return "\n".join(f"> {line}".rstrip() for line in text.split("\n")) + "\n"


def _directive(m: re.Match, chapter: Chapter) -> str:
    name, args = m["name"], m["args"].strip()
    options, body = _split_options(m["body"])
    body = to_markdown(body, chapter)
    if name == "exercise":
        number = chapter.exercise_number()  # the same order as number_chapter's
        heading = chapter.word("exercise", n=number, title=args).rstrip(": ：")
        return f"### {heading}\n\n{body}\n"
    if name in ("figure", "image"):
        alt = options.get("alt", body.split("\n")[0] if name == "figure" else "")
        caption = f"\n\n*{body}*" if name == "figure" and body else ""
        return f"![{alt}]({args}){caption}\n"
    if name == "math":
        return f"$$\n{body}\n$$\n"
    if name in ("code-cell", "code-block", "code"):
        return f"```{args}\n{body}\n```\n"
    if name in ("admonition", "dropdown"):
        title = args
    elif f"title {name}" in WORDS.get(chapter.language, {}):
        title = chapter.word(f"title {name}")
    else:
        title = name.replace("-", " ").capitalize()
    if name not in ("admonition", "dropdown") and args:
        title = f"{title}: {args}"
    return _blockquote(title, body)


def _role(m: re.Match, chapter: Chapter) -> str:
    name, text = m["name"], m["text"]
    shown, _, target = text[:-1].partition("<") if text.endswith(">") else (text, "", text)
    shown, target = shown.strip(), target.strip()
    if name == "math":
        return f"${text}$"
    if name.startswith("glue"):  # a result computed by a cell above: its name
        return f"`{text.partition(':')[0]}`"
    if name.startswith("cite"):
        return cite(text, chapter.bib, textual=name == "cite:t")
    if name == "eq":
        number = chapter.equations.get(target)
        before = m.string[: m.start()].rstrip().lower()
        if number is None:
            return shown
        return f"({number})" if before.endswith(("equation", "式")) else chapter.word(
            "equation", n=str(number))
    if name in ("ref", "numref") and target in chapter.exercises and shown == target:
        return chapter.word("exercise ref", n=chapter.exercises[target])
    if name == "doc":
        stem = Path(target).name
        return f"[{shown}]({stem}.ipynb)" if _CHAPTER_RE.match(stem) else shown
    return shown


def _equation(m: re.Match, chapter: Chapter) -> str:
    number = chapter.equations.get(m["label"])
    return f"\\tag{{{number}}}\n$$" if number else "$$"


def to_markdown(source: str, chapter: Chapter | None = None) -> str:
    """MyST markdown -> Markdown that Jupyter and Colab render (module docstring)."""
    chapter = chapter or Chapter()
    source = _DIRECTIVE_RE.sub(lambda m: _directive(m, chapter), source)
    source = _EQ_LABEL_RE.sub(lambda m: _equation(m, chapter), source)
    source = _ROLE_RE.sub(lambda m: _role(m, chapter), source)
    return _TARGET_RE.sub("", source)


def number_chapter(nb: nbformat.NotebookNode, name: str, bib: dict[str, str],
                   language: str = "en") -> Chapter:  # fmt: skip
    """Number the notebook's labelled equations and exercises in order of appearance."""
    stem = Path(name).stem
    chapter = Chapter(
        number=str(int(_CHAPTER_RE.match(stem)[1])) if _CHAPTER_RE.match(stem) else "", bib=bib,
        language=language,
    )
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for label in _EQ_LABEL_RE.findall(cell.source):
            chapter.equations.setdefault(label, len(chapter.equations) + 1)
        for m in _DIRECTIVE_RE.finditer(cell.source):
            if m["name"] == "exercise":
                number = chapter.exercise_number()
                if label := _split_options(m["body"])[0].get("label"):
                    chapter.exercises[label] = number
    chapter.n_exercises = 0
    return chapter


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


def hint(source: str) -> str:
    """The prose of a ``{solution-start}`` cell after its directive: the hint."""
    m = _DIRECTIVE_RE.search(source)
    return (source[m.end() :] if m else "").strip()


def _remove_solution_blocks(source: str) -> tuple[str, int]:
    """The cell without its ``{solution}`` blocks, and how many there were."""
    count = 0

    def drop(m: re.Match) -> str:
        nonlocal count
        if m["name"] != "solution":
            return m[0]
        count += 1
        return ""

    return _DIRECTIVE_RE.sub(drop, source).strip(), count


def _strip_solutions(nb: nbformat.NotebookNode, name: str, site: bool,
                     language: str = "en") -> list:  # fmt: skip
    """The cells with solutions out (student copy), or hidden (``site``)."""
    cells, in_solution = [], False
    words = WORDS.get(language, WORDS["en"])
    md = nbformat.v4.new_markdown_cell
    for index, cell in enumerate(nb.cells):
        src = cell.source
        if cell.cell_type == "markdown":
            if _START_RE.search(src):
                if in_solution:
                    raise ValueError(f"{name}, cell {index}: solution-start before solution-end.")
                in_solution = not _END_RE.search(src)
                if text := hint(src):
                    cells.append(md(f"```{{hint}}\n{text}\n```" if site
                                    else f"{words['hint']} {text}"))
                continue
            if _END_RE.search(src):
                if not in_solution:
                    raise ValueError(f"{name}, cell {index}: solution-end without solution-start.")
                in_solution = False
                continue
            if in_solution:
                continue  # the solution's prose
            cell.source, n_answers = _remove_solution_blocks(src)
            if cell.source:
                cells.append(cell)
            cells.extend(md(words["answer"]) for _ in range(n_answers))
            continue
        if cell.cell_type == "code":
            if in_solution and site:
                cell.metadata.setdefault("tags", []).append("remove-cell")  # runs, not shown
            elif in_solution and BEGIN not in src:
                continue  # solution code with no marked answer: nothing to keep
            else:
                cell.source = strip_solution_code(src, f"{name}, cell {index}")
                cell.outputs = []
                cell.execution_count = None
        cells.append(cell)
    if in_solution:
        raise ValueError(f"{name}: a solution-start is never closed by solution-end.")
    return cells


def make_student_copy(
    nb: nbformat.NotebookNode, name: str = "notebook", bib: dict[str, str] | None = None,
    language: str = "en", missing: list[str] | None = None,
) -> nbformat.NotebookNode:
    """Return the student copy of ``nb`` (see the module docstring).

    ``name`` is the file name (``04_matrix_factorization.ipynb`` numbers the
    exercises 4.1, 4.2, ...); ``bib`` maps citation keys to "Author, year".
    With ``language`` (``"zh_CN"``) the prose is first translated from the
    chapter's catalogue (:func:`.localize.translate_markdown`; messages with
    no translation stay in English and are appended to ``missing``), and what
    the student edition writes itself is in that language (:data:`WORDS`).
    """
    nb = nbformat.from_dict(nb)  # deep copy
    language = LANGUAGES.get(language, language)
    if language != "en":
        _translate_cells(nb, name, language, missing)
    chapter = number_chapter(nb, name, bib or {}, language)
    glued = any(c.cell_type == "markdown" and "{glue" in c.source for c in nb.cells)
    nb.cells = _strip_solutions(nb, name, site=False, language=language)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = to_markdown(cell.source, chapter).strip()
    at = 1 if nb.cells and nb.cells[0].cell_type == "code" else 0
    if glued:  # after the install cell, before the chapter's own code
        nb.cells.insert(at, nbformat.v4.new_code_cell(chapter.word("show glued")))
    if language != "en":  # the checks' hints in the notebook's language
        nb.cells.insert(at, nbformat.v4.new_code_cell(
            f'import os\n\nos.environ["LLMREC_LANG"] = "{language}"  # {chapter.word("language")}'))
    nbformat.validate(nb)
    return nb


def _translate_cells(nb: nbformat.NotebookNode, name: str, language: str,
                     missing: list[str] | None) -> None:  # fmt: skip
    """Translate each markdown cell from the chapter's catalogue, in place."""
    from . import localize
    from .translation.messages import catalogue_dir, read_catalogue

    path = catalogue_dir(language) / "notebooks" / f"{Path(name).stem}.po"
    if not path.is_file():
        raise ValueError(f"no {language} catalogue for {name} ({path}); run `make gettext` "
                         "and translate it (locales/zh_CN/STYLE.md).")
    table = {m.id: m.string for m in read_catalogue(path)
             if m.id and m.string and not m.fuzzy}  # fmt: skip
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = localize.translate_markdown(cell.source, table, missing)


def make_site_copy(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The copy the student site is built from: MyST kept, written solutions
    removed, hints as ``{hint}`` admonitions, an answer cell under each
    discussion question, and the solution code tagged ``remove-cell`` so the
    chapter still runs (its checks pass) but the code is not shown."""
    nb = nbformat.from_dict(nb)
    nb.cells = _strip_solutions(nb, name, site=True)
    nbformat.validate(nb)
    return nb


def write_student_copies(notebooks: list[Path], outdir: Path, site: bool = False,
                         language: str = "en",
                         missing: dict[str, list[str]] | None = None) -> list[Path]:  # fmt: skip
    """Write a student copy (or, with ``site``, a site copy) of each notebook
    into ``outdir``, in ``language``; return their paths. ``missing`` collects,
    per notebook, the messages that had no translation."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    bib = load_bib()
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        lacking: list[str] = []
        copy = make_site_copy(nb, path.name) if site else make_student_copy(
            nb, path.name, bib, language, lacking)
        if missing is not None and lacking:
            missing[path.name] = lacking
        target = outdir / path.name
        nbformat.write(copy, target)
        written.append(target)
    return written


def write_student_site(outdir: Path, root: Path | None = None) -> list[Path]:
    """Write the sources of the student site into ``outdir``: the book's
    ``_config.yml`` (titled "student edition", sphinx-exercise's
    ``hide_solutions`` on, no link to a Chinese site), ``_toc.yml`` and
    ``book/`` from the checkout ``root``, and a site copy
    (:func:`make_site_copy`) of every chapter.
    ``make book-student`` builds it with jupyter-book."""
    import shutil

    import yaml

    root, outdir = Path(root or _repo()), Path(outdir)
    if not (root / "_toc.yml").is_file():
        raise ValueError(f"{root} is not a checkout of the book (no _toc.yml)")
    if outdir.exists():
        shutil.rmtree(outdir)
    shutil.copytree(root / "book", outdir / "book")
    shutil.copy2(root / "_toc.yml", outdir / "_toc.yml")
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = f"{config['title']} (student edition)"
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["hide_solutions"] = True
    sphinx["llmrec_language_switch"] = False  # no Chinese student site to link to
    (outdir / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    return write_student_copies(notebooks, outdir / "notebooks", site=True)
