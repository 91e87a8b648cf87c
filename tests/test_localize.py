"""Translating a notebook's Markdown from a catalogue (the Chinese student edition)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from llmrec_utils.course import localize, student, translation
from llmrec_utils.course.translation import messages

# the book's tooling (Sphinx's babel, MyST): absent from `make compat`'s Colab set
pytest.importorskip("babel")
pytest.importorskip("myst_parser")

ROOT = Path(__file__).resolve().parents[1]

CELL = """(sec-x)=
## Two protocols

A paragraph
over two lines with $x$ and {glue:text}`ch5_n`.

- item one
  continues
- item two

  1. nested

| a | b |
|---|---|
| cell c | e |

$$
y = 1
$$ (eq-y)

```{exercise} Top-$k$ by hand
:label: ex-top

Write `top_k`.
```

```{solution} ex-top
:class: dropdown

The answer.
```
> quoted"""

TABLE = {
    "Two protocols": "两种协议",
    "A paragraph over two lines with $x$ and {glue:text}`ch5_n`.": "一段含 $x$ 与 {glue:text}`ch5_n` 的文字。",
    "item one continues": "第一项",
    "item two": "第二项",
    "nested": "嵌套",
    "a": "甲",
    "cell c": "丙格",
    "Top-$k$ by hand": "手写 Top-$k$",
    "Write `top_k`.": "写出 `top_k`。",
    "quoted": "引文",
}


def test_each_message_is_replaced_and_the_rest_kept():
    missing: list[str] = []
    out = localize.translate_markdown(CELL, TABLE, missing)
    assert missing == ["b", "e", "The answer."]
    for english, chinese in TABLE.items():
        assert chinese in out, english
    for kept in ["(sec-x)=", "## 两种协议", "- 第一项", "  1. 嵌套", "| 甲 | b |", "| 丙格 | e |",
                 "$$\ny = 1\n$$ (eq-y)", "```{exercise} 手写 Top-$k$\n:label: ex-top\n\n写出 `top_k`。\n```",
                 "```{solution} ex-top\n:class: dropdown\n\nThe answer.\n```", "> 引文"]:
        assert kept in out, kept
    assert "continues" not in out and "over two lines" not in out


def test_messages_are_formed_as_sphinx_forms_them():
    """Every message the parser visits in a chapter is one of the chapter's
    catalogue (so a translation is found for each one translated)."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        po = translation.catalogue_dir("zh_CN") / "notebooks" / f"{path.stem}.po"
        ids = {m.id for m in translation.read_catalogue(po) if m.id}
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        found = [m for c in cells if c["cell_type"] == "markdown"
                 for m in localize.messages("".join(c["source"]))]
        assert found, path.name
        assert [m for m in found if m not in ids] == [], path.name


def test_the_chinese_student_copy(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny\n\nSee equation {eq}`eq-a`.\n\n$$\nx\n$$ (eq-a)"),
        nbformat.v4.new_markdown_cell("```{exercise} Add one\n:label: ex-add\n\nWrite it.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-add\n:class: dropdown\n```\n"
                                      "Use plus."),
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n"
                                  "    ### END SOLUTION"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_markdown_cell("```{exercise} Why?\n:label: ex-why\n\nExplain.\n```\n\n"
                                      "```{solution} ex-why\n:class: dropdown\n\nBecause.\n```"),
    ]
    po = tmp_path / "zh_CN" / "LC_MESSAGES" / "notebooks" / "01_tiny.po"
    po.parent.mkdir(parents=True)
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="zh_CN")
    for english, chinese in {"Tiny": "小章", "See equation {eq}`eq-a`.": "见式 {eq}`eq-a`。",
                             "Add one": "加一", "Write it.": "写出它。", "Use plus.": "用加号。",
                             "Why?": "为什么？"}.items():
        catalog.add(english, chinese)
    with open(po, "wb") as f:
        write_po(f, catalog, width=0)
    monkeypatch.setattr(messages, "LOCALES", tmp_path)
    missing: list[str] = []
    copy = student.make_student_copy(nb, "01_tiny.ipynb", {}, "zh", missing)
    text = "\n\n".join(c.source for c in copy.cells if c.cell_type == "markdown")
    for chinese in ["# 小章", "见式 (1)。", "### 练习 1.1：加一", "写出它。", "**提示：** 用加号。",
                    "### 练习 1.2：为什么？", "*你的回答：*"]:
        assert chinese in text, chinese
    assert missing == ["Explain.", "Because."]
    assert 'os.environ["LLMREC_LANG"] = "zh_CN"' in copy.cells[0].source  # hints in Chinese
    # the English copy is untouched by the language machinery
    english = student.make_student_copy(nb, "01_tiny.ipynb", {})
    text = "\n\n".join(c.source for c in english.cells if c.cell_type == "markdown")
    assert "### Exercise 1.1: Add one" in text and student.ANSWER in text


def test_a_language_without_its_catalogue_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(messages, "LOCALES", tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny")]
    with pytest.raises(ValueError, match="no zh_CN catalogue"):
        student.make_student_copy(nb, "01_tiny.ipynb", {}, "zh")


def _english_runs(markdown: str) -> list[str]:
    """Runs of five or more English words in prose: not in code, maths, links,
    citations or quotation marks (a quoted review stays as its reviewer wrote it)."""
    text = re.sub(r"```.*?```|\$\$.*?\$\$", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"\$[^$]*\$|`[^`]*`|\]\([^)]*\)|https?://\S+|“[^”]*”|\"[^\"]*\"", " ", text)
    text = re.sub(r"\([A-Z][^()]*\d{4}[a-z]?\)", " ", text)  # (Author et al., 2019)
    return re.findall(r"[A-Za-z][\w'’-]*(?:[ ,;:]+[A-Za-z][\w'’-]*){4,}", text)


def test_the_chinese_student_notebooks_have_no_english_prose(tmp_path):
    from llmrec_utils import cli

    assert _english_runs("A sentence of five English words.") and not _english_runs(
        "中文，“runs small, sent it back” 与 `a b c d e f`。")
    assert cli.main(["student", str(tmp_path), "--lang", "zh", "--strict"]) == 0
    runs = {}
    for path in sorted(tmp_path.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found = [r for c in nb.cells if c.cell_type == "markdown" for r in _english_runs(c.source)]
        if found:
            runs[path.name] = found[:5]
    assert not runs, runs
