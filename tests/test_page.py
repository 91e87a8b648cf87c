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
