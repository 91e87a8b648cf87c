import numpy as np

from llmrec_utils.config import cache_dir
from llmrec_utils.course import page


def test_glue_returns_plain_python_and_records_it():
    out = page.glue("test_value", np.float64(0.25))
    assert out == 0.25 and type(out) is float
    assert page.GLUED["test_value"] == 0.25


def test_show_path_hides_the_machine():
    assert page.show_path(cache_dir() / "artifacts" / "x") == "$LLMREC_CACHE/artifacts/x"
    assert page.show_path("/somewhere/else/file.py") == "file.py"
    assert page.show_path("relative/file.py") == "relative/file.py"


def test_glue_prints_where_glue_cannot_render(monkeypatch, capsys):
    """Where MyST-NB renders glue (the book) nothing is printed; without it (Colab),
    or in the student edition (show_glued), the value is printed beside its name."""
    import sys
    import types

    glued = []  # a stand-in for MyST-NB's glue: the book build's (not installed everywhere)
    monkeypatch.setitem(sys.modules, "myst_nb", types.SimpleNamespace(
        glue=lambda name, value, display: glued.append(name)))
    page.glue("test_share", np.float64(0.123456789))
    assert capsys.readouterr().out == "" and glued == ["test_share"]
    page.show_glued()
    try:
        page.glue("test_share", 0.5)
        page.glue("test_verdict", "a tie")
        assert capsys.readouterr().out == "test_share = 0.5\ntest_verdict = a tie\n"
    finally:
        page.show_glued(False)
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # not installed: import fails
    page.glue("test_n", np.int64(1682))
    assert capsys.readouterr().out == "test_n = 1682\n"
