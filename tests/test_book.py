"""The book builds with warnings as errors, and renders in a real browser.

The build renders the outputs of the chapters nbval executed earlier in the
same session (notebooks/conftest.py stores them in a jupyter-cache folder; the
build reads it with `execute_notebooks: cache`) and executes the rest: the
chapters nbval ran alone in a fresh cache, the executable pages, and every
chapter when this module runs on its own. It runs after the notebooks (the
root conftest.py orders the tests) and leaves the site in `_build/html`.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from llmrec_utils.course import translation

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
TITLE = "LLMs for Data Augmentation in Recommender Systems"


def build(book: Path, timeout: int, executed: Path | None = None) -> subprocess.CompletedProcess:
    """`jupyter-book build` as `make book` runs it: every page, warnings as errors.

    With ``executed`` (a jupyter-cache folder), the build takes a notebook's
    outputs from there when its code matches, and executes it otherwise.
    """
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "PATH": f"{jb.parent}{os.pathsep}{os.environ['PATH']}"}
    cmd = [str(jb), "build", str(book), "--all", "-W", "-n", "--keep-going"]
    if executed is not None:
        path = translation.write_config("en", book / "_build" / "_config.executed.yml",
                                        cache=executed, book=book)  # fmt: skip
        cmd += ["--config", str(path)]
    return subprocess.run(cmd, cwd=book, env=env, capture_output=True, text=True, timeout=timeout)


def notebook_pages(book: Path) -> list[Path]:
    """The toc's notebook pages."""
    toc = (book / "_toc.yml").read_text()
    return [book / f"{p}.ipynb" for p in re.findall(r"file:\s*(\S+)", toc)
            if (book / f"{p}.ipynb").exists()]  # fmt: skip


_ZH_BUILD: dict[str, subprocess.Popen] = {}


@pytest.fixture(scope="module")
def built_book(request, tmp_path_factory):
    executed = getattr(request.config, "_llmrec_executed", None)
    alone = executed is None  # this module on its own: the build executes every page
    if alone:
        executed = tmp_path_factory.mktemp("jupyter-cache")
    proc = build(ROOT, timeout=3600, executed=executed)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"jupyter-book build failed:\n{log[-6000:]}"
    assert "build succeeded" in log
    # every chapter was executed in this session: by nbval (and then taken
    # from this session's cache) or by the build itself
    pages = notebook_pages(ROOT)
    assert log.count("Using cached notebook") + log.count("Executing notebook") >= len(pages)
    if alone:
        assert "Using cached notebook" not in log
    # the Chinese site, from the outputs the English build just read or stored
    # (every page is cached now): built while the tests below run, checked last
    _ZH_BUILD["zh_CN"] = subprocess.Popen(
        translation.build_command("zh_CN", cache=executed), cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    return log


def test_book_builds_without_warnings(built_book):
    for page in ["book/preface.html", "book/setup.html", "book/status.html", "notebooks/01_data.html"]:
        assert (HTML / page).exists(), page
    status = (HTML / "book" / "status.html").read_text()
    assert "01_data" in status  # the execution-time table lists the chapter


# What the rendered page must not show: the build machine's paths, and warnings
# nobody chose to show (a cell tagged `show-warning` may show one on purpose).
MACHINE_PATH = re.compile(
    r"(?:site-packages|dist-packages|/(?:tmp|root|home|work|opt|private|Users|var/folders)/[\w.+-]"
    r"|\.venv\b|[A-Z]:\\\\)")
WARNING = re.compile(r"\b\w*Warning\b|\bwarn(?:ing|ed)?:", re.IGNORECASE)
# The package's notes about one fit or one batch (``config.logger``): a chapter
# that fits many models sets the level to WARNING around them; a cell tagged
# `show-log` may show them on purpose.
LOG_NOISE = re.compile(r"\bkept epoch \d|\brow\(s\) of \w+ have a '|\bhave no \w+ vector; they get zeros"
                       r"|training (?:item|user)\(s\) have no features|LLM rankings rejected;"
                       r"|users (?:have no history|cannot be ranked by the LLM) and are skipped")


def rendered_problems(page: str) -> list[str]:
    """Machine paths in any cell output, and warnings in stderr blocks, of one HTML page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    problems = []
    for out in soup.select("div.cell_output"):
        problems += [f"a path of the build machine: {line.strip()[:200]!r}"
                     for line in out.get_text().splitlines() if MACHINE_PATH.search(line)]
        cell = out.find_parent("div", class_="cell")
        chosen = cell is not None and "tag_show-warning" in cell.get("class", [])
        if cell is None or "tag_show-log" not in cell.get("class", []):
            problems += [f"a log note of the package: {line.strip()[:200]!r}"
                         for line in out.get_text().splitlines() if LOG_NOISE.search(line)]
        for err in out.select("div.output.stderr"):
            m = WARNING.search(err.get_text())
            if m and not chosen:
                problems.append(f"a warning in a stderr block: {err.get_text()[:300]!r}")
    return problems


def test_rendered_problems_finds_paths_and_warnings():
    def cell(output, tags=""):
        return (f'<div class="cell docutils container {tags}"><div class="cell_output docutils container">'
                f'{output}</div></div>')  # fmt: skip

    stderr = '<div class="output stderr highlight-myst-ansi notranslate"><pre>{}</pre></div>'
    stream = '<div class="output stream highlight-myst-ansi notranslate"><pre>{}</pre></div>'
    bad = [cell(stream.format("saved -> /tmp/llmrec-x/artifacts/a")),
           cell(stderr.format("/srv/.venv/lib/python3.11/site-packages/x.py:3: FutureWarning: soon")),
           cell(stderr.format("TqdmWarning: IProgress not found")),
           cell(stream.format("DeepFM: 2 epoch(s), kept epoch 1.\nDeepFM: 5 row(s) of X have a 'item' "
                              "unseen in training, e.g. 3; they get the unknown (zero) embedding."))]
    assert [len(rendered_problems(b)) for b in bad] == [1, 2, 1, 2]
    good = [cell(stream.format("saved -> $LLMREC_CACHE/artifacts/a")),
            cell(stderr.format("encoding: 100%|##########| 8000/8000")),
            cell(stderr.format("UserWarning: shown on purpose"), tags="tag_show-warning"),
            cell(stream.format("DeepFM: 2 epoch(s), kept epoch 1."), tags="tag_show-log")]
    assert [rendered_problems(g) for g in good] == [[], [], [], []]


def test_rendered_pages_show_no_machine_and_no_stray_warnings(built_book):
    problems = [f"{page.relative_to(HTML)}: {p}"
                for page in sorted(HTML.glob("**/*.html")) if "_sources" not in page.parts
                for p in rendered_problems(page.read_text())]
    assert not problems, "\n".join(problems)


def test_closing_pages_and_glossary_links(built_book):
    for page in ["trends", "faq", "glossary", "instructors"]:
        assert (HTML / "book" / f"{page}.html").exists(), page
    glossary = (HTML / "book" / "glossary.html").read_text()
    assert "数据增强" in glossary and 'id="term-Data-augmentation"' in glossary
    # chapters link a term's first use to its entry
    chapter8 = (HTML / "notebooks" / "09_scaling_with_spark.html").read_text()
    assert "glossary.html#term-Pandas-UDF" in chapter8
    assert "glossary.html#term-Data-augmentation" in (HTML / "book" / "preface.html").read_text()


def test_colab_and_binder_launch_buttons(built_book):
    page = (HTML / "notebooks" / "01_data.html").read_text()
    assert "colab.research.google.com/github/llmrec-book/llmrec-book/blob/main/notebooks/01_data.ipynb" in page
    assert "mybinder.org" in page
    assert "google.colab" not in page  # the install cell is removed from the page


def test_exercise_solutions_render_as_dropdowns(built_book):
    page = (HTML / "notebooks" / "01_data.html").read_text()
    assert page.count('class="exercise admonition"') >= 4
    assert page.count("solution dropdown admonition") >= 4
    assert "BEGIN SOLUTION" in page  # solution code shown inside the dropdown


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(built_book):
    handler = functools.partial(_Quiet, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def render(url: str, tmp_path: Path) -> str:
    """The DOM after scripts (MathJax) ran, from Debian's headless Chromium."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: `make test` installs it (apt-get install chromium)")
        pytest.skip("chromium not installed: `apt-get install chromium` to run the browser test")
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=20000", "--dump-dom", url,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_index_renders_in_chromium(site, tmp_path):
    dom = render(f"{site}/index.html", tmp_path)  # redirects to the preface
    assert f"<title>{TITLE}" in dom
    assert re.search(r'<img[^>]+src="[^"]+\.png"', dom), "the pipeline figure is missing"


def test_chapter_one_renders_figures_and_maths(site, tmp_path):
    dom = render(f"{site}/notebooks/01_data.html", tmp_path)
    assert "Data: ratings, reviews and honest splits" in dom
    assert dom.count("<img") >= 5  # the chapter's plots
    # MathJax (served from _static, not a CDN) typeset every equation of the page.
    static = (HTML / "notebooks" / "01_data.html").read_text()
    n_math = static.count('class="math notranslate nohighlight"')
    assert n_math >= 1 and dom.count("<mjx-container") >= n_math


def test_a_notebook_that_raises_fails_the_build(tmp_path):
    """The book's execution settings turn a cell error into a failed build."""
    import nbformat
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.pop("bibtex_bibfiles", None)
    config["repository"]["path_to_book"] = ""
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: broken\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken"), nbformat.v4.new_code_cell("1 / 0")]
    nbformat.write(nb, tmp_path / "broken.ipynb")
    proc = build(tmp_path, timeout=600)
    assert proc.returncode != 0
    assert "ZeroDivisionError" in proc.stdout + proc.stderr


def test_chapter_four_renders_numbered_equations_and_references(site, tmp_path):
    static = (HTML / "notebooks" / "04_matrix_factorization.html").read_text()
    for label in ("eq-mf-model", "eq-mf-loss", "eq-mf-grad", "eq-mf-sgd", "eq-mf-als"):
        assert f'id="equation-{label}"' in static, label  # numbered, referencable
        assert f'href="#equation-{label}"' in static, label  # and referenced
    dom = render(f"{site}/notebooks/04_matrix_factorization.html", tmp_path)
    assert "Matrix factorisation, derived and built" in dom
    assert dom.count("<mjx-container") >= static.count('class="math notranslate nohighlight"')


def test_the_build_renders_what_nbval_executed(tmp_path):
    """A chapter nbval executed (notebooks/conftest.py) is rendered from its
    outputs, not executed again; once its code changes, the build executes it."""
    import nbformat

    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "notebooks" / "conftest.py", book / "conftest.py")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.pop("bibtex_bibfiles", None)
    config["sphinx"]["config"].pop("bibtex_reference_style", None)
    config["exclude_patterns"] = ["_build", "conftest.py"]
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapter\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    run = "with open('runs.txt', 'a') as f:\n    f.write('x')\nprint('answer', 6 * 7)"
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter"), nbformat.v4.new_code_cell(run)]
    nbformat.write(nb, book / "chapter.ipynb")
    executed = tmp_path / "executed"
    env = {**os.environ, "LLMREC_EXECUTED_CACHE": str(executed)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env", "chapter.ipynb"],
        cwd=book, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (book / "runs.txt").read_text() == "x"

    proc = build(book, timeout=600, executed=executed)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert "Using cached notebook" in log and "Executing notebook" not in log
    assert (book / "runs.txt").read_text() == "x"  # not executed again
    assert "answer 42" in (book / "_build" / "html" / "chapter.html").read_text()

    nb.cells[1].source = run.replace("6 * 7", "7 * 6")  # the code changed
    nbformat.write(nb, book / "chapter.ipynb")
    proc = build(book, timeout=600, executed=executed)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "Executing notebook" in proc.stdout + proc.stderr
    assert (book / "runs.txt").read_text() == "xx"


def test_the_student_site_builds_without_solutions(tmp_path):
    """`make book-student` on a one-chapter book: hints and checks shown, the
    solution code run but absent from the page, no written answers."""
    import nbformat

    from llmrec_utils.course import student

    root = tmp_path / "checkout"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    shutil.copy2(ROOT / "_config.yml", root / "_config.yml")
    shutil.copy2(ROOT / "book" / "references.bib", root / "book" / "references.bib")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nchapters:\n  - file: notebooks/01_tiny\n"
    )
    (root / "book" / "index.md").write_text("# Tiny\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells = [
        md("# Tiny chapter\n\n## Exercises"),
        md("```{exercise} Add one\n:label: ex-tiny-add\n\nWrite `add_one(x)`.\n```"),
        md("```{solution-start} ex-tiny-add\n:class: dropdown\n```\nUse the plus sign."),
        code("def add_one(x):\n    ### BEGIN SOLUTION\n    return x + 17 - 16\n    ### END SOLUTION"),
        md("```{solution-end}\n```"),
        code("assert add_one(1) == 2\nprint('Correct: checked')"),
        md("```{exercise} Why? (discussion)\n:label: ex-tiny-why\n\nExplain.\n```\n\n"
           "```{solution} ex-tiny-why\n:class: dropdown\n\nA secret model answer.\n```"),
    ]
    nbformat.write(nb, root / "notebooks" / "01_tiny.ipynb")
    site = tmp_path / "site"
    student.write_student_site(site, root)
    proc = build(site, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"student site build failed:\n{log[-6000:]}"
    page = (site / "_build" / "html" / "notebooks" / "01_tiny.html").read_text()
    assert "Use the plus sign." in page and "Correct: checked" in page
    assert "Your answer:" in page and "Add one" in page
    assert "x + 17 - 16" not in page and "A secret model answer" not in page
    assert "student edition" in (site / "_build" / "html" / "index.html").read_text() + page
    assert "zh/notebooks/01_tiny.html" not in page  # no Chinese student site to link to


# --- the Chinese edition (built in the background by ``built_book``) ----------------------

ZH = HTML / "zh"


@pytest.fixture(scope="module")
def built_zh(built_book):
    proc = _ZH_BUILD["zh_CN"]
    out, _ = proc.communicate(timeout=3600)
    assert proc.returncode == 0, f"the Chinese build failed:\n{out[-6000:]}"
    assert "build succeeded" in out and "Executing notebook" not in out  # no chapter ran twice
    translation.install("zh_CN")
    return out


def _pasted(page: Path) -> list[str]:
    """The glued values a page shows, in order (verdict words left out)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(), "html.parser")
    values = [s.get_text() for s in soup.select("span.pasted-text")]
    return [v for v in values if re.fullmatch(r"[-+\u2212]?[\d.,]+%?", v)]


def test_chinese_pages_show_the_english_numbers(built_zh):
    pages = notebook_pages(ROOT)
    for page in pages:
        rel = page.relative_to(ROOT).with_suffix(".html")
        english, chinese = _pasted(HTML / rel), _pasted(ZH / rel)
        assert english, rel
        # the same values; a translation may reorder a sentence's glued numbers
        assert sorted(chinese) == sorted(english), rel


def test_chinese_pages_are_chinese_and_linked(built_zh):
    for rel in ["book/preface.html", "notebooks/05_hybrid.html", "book/glossary.html"]:
        english, chinese = (HTML / rel).read_text(), (ZH / rel).read_text()
        assert 'lang="zh' in chinese.split("<body")[0], rel
        assert re.search(r"[\u4e00-\u9fff]{20}", chinese), rel
        depth = rel.count("/")
        assert f'href="{"../" * depth}zh/{rel}"' in english, rel  # each links the other
        assert f'href="{"../" * (depth + 1)}{rel}"' in chinese, rel


def test_rendered_chinese_pages_show_no_machine_and_no_stray_warnings(built_zh):
    problems = [f"{page.relative_to(ZH)}: {p}"
                for page in sorted(ZH.glob("**/*.html")) if "_sources" not in page.parts
                for p in rendered_problems(page.read_text())]
    assert not problems, "\n".join(problems)


def test_a_chinese_chapter_renders_in_chromium(built_zh, site, tmp_path):
    dom = render(f"{site}/zh/notebooks/05_hybrid.html", tmp_path)
    static = (ZH / "notebooks" / "05_hybrid.html").read_text()
    title = re.search(r"<h1>([^<]+)<", static).group(1)
    assert re.search(r"[\u4e00-\u9fff]", title) and title in dom
    assert dom.count("<mjx-container") >= static.count('class="math notranslate nohighlight"')

