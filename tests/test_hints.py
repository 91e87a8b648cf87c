"""The checks' hints in Chinese (``LLMREC_LANG=zh``): every message of the
checks has its translation, with the same fields, and a wrong answer gets the
Chinese hint that names its mistake."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import numpy as np
import pytest

from llmrec_utils.course import exercises
from llmrec_utils.course.exercises import common
from llmrec_utils.course.exercises.hints_zh import HINTS

EXERCISES = Path(common.__file__).parent


def _template(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value.replace("{", "{{").replace("}", "}}")
                       if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def messages() -> set[str]:
    """Every message the checks can write: each string or f-string of the
    modules (fields as ``{}``) that reads as prose, docstrings left out."""
    found = set()
    for path in sorted(EXERCISES.glob("ch*.py")) + [EXERCISES / "common.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        skip |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            text = None if id(node) in skip else _template(node)
            if text and " " in text.strip() and len(text) >= 12 and not text.startswith(
                    ("def ", "import ")):
                found.add(text)
    return found | {"Correct: {}"}


def _fields(text: str) -> int:
    return sum(1 for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_every_message_has_its_chinese():
    want = messages()
    assert sorted(want - set(HINTS)) == [], "messages of the checks with no Chinese"
    assert sorted(set(HINTS) - want) == [], "Chinese of messages the checks no longer write"
    empty = [k for k, v in HINTS.items() if not v.strip()]
    assert not empty, f"{len(empty)} message(s) untranslated, e.g. {empty[:3]}"
    for english, chinese in HINTS.items():
        assert _fields(chinese) == _fields(english), english
        assert re.search(r"[\u4e00-\u9fff]", chinese) or not re.search(r"[a-z]{4}", english), english


def test_a_wrong_answer_gets_the_chinese_hint(monkeypatch):
    def dcg_only(hits, n_relevant, k):
        hits = np.asarray(hits, float)[:k]
        return float(np.sum(hits / np.log2(np.arange(2, len(hits) + 2))))

    with pytest.raises(common.ExerciseError) as english:
        exercises.check_ndcg(dcg_only)
    assert "DCG alone" in str(english.value)
    monkeypatch.setenv("LLMREC_LANG", "zh")
    with pytest.raises(common.ExerciseError) as chinese:
        exercises.check_ndcg(dcg_only)
    text = str(chinese.value)
    assert re.search(r"[\u4e00-\u9fff]", text) and "DCG alone" not in text
    assert text == HINTS["That is the DCG alone; divide it by the DCG of the ideal list."]


def test_fields_are_translated_on_their_own(monkeypatch):
    monkeypatch.setenv("LLMREC_LANG", "zh")
    stub = common.localized(f"Your function raised ValueError (x). {common.STUB}")
    assert HINTS[common.STUB] in stub or common.STUB not in stub
