"""What a student sees when a check fails in Jupyter: the hint, and no line of the
check's code (which computes the reference answer)."""

from __future__ import annotations

import inspect

import pytest

from llmrec_utils.course import exercises

pytestmark = pytest.mark.unit


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance(colors="nocolor")
    yield sh
    InteractiveShell.clear_instance()


def _source_lines() -> set[str]:
    """Every non-trivial line of the exercises package."""
    import llmrec_utils.course.exercises as pkg
    from llmrec_utils.course.exercises import common

    modules = [common, pkg] + [getattr(pkg, name) for name in dir(pkg)
                               if name.startswith("ch0")]  # fmt: skip
    lines = set()
    for module in modules:
        lines |= {ln.strip() for ln in inspect.getsource(module).splitlines()
                  if len(ln.strip()) > 25}  # fmt: skip
    return lines


def _leaked(shown: str) -> list[str]:
    """The shown lines that quote the exercises' code (after a line number, if any)."""
    source = _source_lines()
    return [ln for ln in shown.splitlines()
            if any(code in ln for code in source)]  # fmt: skip


WRONG = {  # a wrong answer, a wrong call
    "a wrong function": "def bad(*args):\n    return 0.5\nexercises.check_ndcg(bad)",
    "a crash": "def bad(*args):\n    return 1 / 0\nexercises.check_ndcg(bad)",
    "a missing argument": "exercises.check_ease()",
}


@pytest.mark.parametrize("code", WRONG.values(), ids=WRONG.keys())
def test_a_failed_check_shows_its_hint_and_none_of_its_code(shell, capsys, code):
    shell.run_cell("from llmrec_utils.course import exercises")
    result = shell.run_cell(code)
    assert isinstance(result.error_in_exec, exercises.ExerciseError)
    shown = capsys.readouterr().out
    assert shown.strip().startswith("ExerciseError: ")
    assert str(result.error_in_exec) in shown
    leaked = _leaked(shown)
    assert leaked == []
    assert "exercises/" not in shown and "Traceback" not in shown


def test_the_leak_check_would_see_a_traceback(shell, capsys):
    shell.run_cell("from llmrec_utils.course.exercises import common\n"
                   "def f():\n    return common.number('x', 'x')")
    shell.run_cell("try:\n    f()\nexcept Exception as e:\n    raise ValueError('plain') from e")
    shown = capsys.readouterr().out
    assert "Traceback" in shown or "ValueError" in shown
    assert _leaked(shown)


def test_a_missing_argument_is_a_hint_naming_the_signature():
    with pytest.raises(exercises.ExerciseError, match=r"check_ease\(.*\) was called wrongly"):
        exercises.check_ease()
