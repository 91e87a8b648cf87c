"""The Chinese edition's catalogues: complete, faithful to the English markup,
one translation per checked term, and current with the English text. (A glued
verdict without a Chinese phrase warns in its chapter's output, which fails the
book's rendered-page check; the Chinese build itself is checked in
tests/test_book.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llmrec_utils.course import translation
from llmrec_utils.course.translation import messages

# the book's tooling (Sphinx's babel, MyST): absent from `make compat`'s Colab set
pytest.importorskip("babel")
pytest.importorskip("myst_parser")

ROOT = Path(__file__).resolve().parents[1]


# --- the detectors, on messages whose answer is known ------------------------------------

def test_markup_check_finds_what_a_translation_lost():
    english = ("A **cold** film {term}`cold start` scores {glue:text}`ch5_x:.3f` "
               "({cite}`schein2002coldstart`), $x^2$, `hybrid.ContentModel`, "
               "[the data](01_data.ipynb) and {ref}`sec-a`.")
    good = ("冷启动{term}`冷启动 <cold start>`的电影得分 {glue:text}`ch5_x:.3f`"
            "（{cite}`schein2002coldstart`），$x^2$，`hybrid.ContentModel`，"
            "[数据](01_data.ipynb)与{ref}`第 A 节 <sec-a>`。")
    assert translation.problems(english, good) == []
    lost = {
        "glue": good.replace("{glue:text}`ch5_x:.3f`", "0.123"),
        "cite": good.replace("（{cite}`schein2002coldstart`）", ""),
        "math": good.replace("$x^2$", "x 的平方"),
        "code": good.replace("`hybrid.ContentModel`", "内容模型"),
        "link": good.replace("(01_data.ipynb)", "(02_text.ipynb)"),
        "term target": good.replace("<cold start>", "<cold films>"),
        "ref target": good.replace("<sec-a>", "<sec-b>"),
        "format spec": good.replace(":.3f", ":.2f"),
    }
    for what, bad in lost.items():
        assert translation.problems(english, bad), what
    # a directive's name in code is code, not a role
    assert translation.problems("between `{solution-start}` and `{solution-end}`",
                                "在 `{solution-start}` 与 `{solution-end}` 之间") == []


def test_a_verdict_may_be_glued_in_chinese():
    english = "The profiles {glue:text}`ch7_new_profiles_verdict`."
    assert translation.problems(english, "画像{glue:text}`ch7_new_profiles_verdict_zh`。") == []
    assert translation.problems(english, "画像{glue:text}`ch7_new_demo_verdict_zh`。")


def test_term_check_wants_the_listed_chinese():
    checked = [("collaborative filtering", "协同过滤"), ("cold start", "冷启动")]
    english = "Collaborative filtering fails at a {term}`cold start`, not `cold start()`."
    assert translation.term_problems(english, "协同过滤在{term}`冷启动 <cold start>`时失效。",
                                     checked) == []
    wrong = translation.term_problems(english, "协作过滤在{term}`冷启动 <cold start>`时失效。",
                                      checked)
    assert wrong == ["term 'collaborative filtering' not translated as '协同过滤'"]
    # code is not prose: a term inside it asks nothing of the translation
    assert translation.term_problems("Call `cold start()`.", "调用 `cold start()`。", checked) == []


def test_language_switch_links_the_same_page():
    assert translation.switch_link("notebooks/01_data", "en") == (
        "../zh/notebooks/01_data.html", "中文")
    assert translation.switch_link("notebooks/01_data", "zh_CN") == (
        "../../notebooks/01_data.html", "English")
    assert translation.switch_link("index", "en") == ("zh/index.html", "中文")


def test_a_malformed_catalogue_says_where(tmp_path):
    bad = tmp_path / "x.po"
    bad.write_text('msgid "a"\nmsgstr "b"\nnot a keyword\n', encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid .po file"):
        translation.read_catalogue(bad)


def test_verdict_phrases_come_from_the_tables(tmp_path, monkeypatch):
    phrases = tmp_path / "zh_CN" / "phrases"
    phrases.mkdir(parents=True)
    (phrases / "a.csv").write_text(("english,chinese,glue\ntied,无差别,\n"
                                    "tied,持平,ch7_x_verdict\n"), encoding="utf-8")
    monkeypatch.setattr(messages, "LOCALES", tmp_path)
    translation.phrases.cache_clear()
    try:
        assert translation.phrase("tied", "ch1_y_verdict") == "无差别"
        assert translation.phrase("tied", "ch7_x_verdict") == "持平"
        with pytest.warns(UserWarning, match="has no Chinese"):
            assert translation.phrase("a gain", "ch1_y_verdict") == "a gain"
        (phrases / "b.csv").write_text("english,chinese\ntied,平局\n", encoding="utf-8")
        translation.phrases.cache_clear()
        with pytest.raises(ValueError, match="name its glue key"):
            translation.phrases()
    finally:
        translation.phrases.cache_clear()


# --- the catalogues ------------------------------------------------------------------------

def test_every_message_is_translated_and_keeps_its_markup():
    bad = translation.report("zh_CN")
    lines = [f"{doc}: {issue}" for doc, issues in bad.items() for issue in issues]
    assert not lines, (f"{len(lines)} message(s) to fix (locales/zh_CN/STYLE.md):\n"
                       + "\n".join(lines[:40]))


def test_every_page_has_a_catalogue():
    toc = (ROOT / "_toc.yml").read_text()
    pages = re.findall(r"(?:root|file):\s*(\S+)", toc)
    assert sorted(translation.catalogues("zh_CN")) == sorted(pages)


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """The messages of the English sources as they are now (the gettext
    builder, no notebook executed; a few seconds)."""
    out = tmp_path_factory.mktemp("gettext")
    config = translation.write_config("en", out / "_config.yml", execute="off")
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(ROOT), "--builder", "custom",
                           "--custom-builder", "gettext", "--config", str(config),
                           "--path-output", str(out), "--all", "-q"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "_build" / "gettext"


def test_catalogues_match_the_english_text(templates):
    stale = translation.stale(templates, "zh_CN")
    lines = [f"{doc}: {kind} {m[:90]!r}" for doc, parts in stale.items()
             for kind, messages in parts.items() for m in messages]
    assert not lines, ("the English changed since the catalogues were updated; run "
                       "`make gettext`, translate the new messages and delete the gone "
                       "ones:\n" + "\n".join(lines[:40]))


def test_stale_lists_new_and_gone_messages(templates, tmp_path, monkeypatch):
    before = translation.stale(templates, "zh_CN")
    copy = tmp_path / "zh_CN" / "LC_MESSAGES"
    shutil.copytree(translation.catalogue_dir("zh_CN"), copy)
    (copy / "book" / "faq.po").unlink()
    po = copy / "notebooks" / "05_hybrid.po"
    text = po.read_text(encoding="utf-8")
    first = re.search(r'\nmsgid "(.+)"', text).group(1)
    po.write_text(text.replace(f'msgid "{first}"', 'msgid "An old sentence."', 1),
                  encoding="utf-8")
    monkeypatch.setattr(messages, "LOCALES", tmp_path)
    stale = translation.stale(templates, "zh_CN")
    assert stale["book/faq"]["new"] and not stale["book/faq"]["gone"]
    assert stale["notebooks/05_hybrid"]["gone"] == ["An old sentence."]
    was = before.get("notebooks/05_hybrid", {"new": []})["new"]
    assert set(stale["notebooks/05_hybrid"]["new"]) - set(was) == {first}
