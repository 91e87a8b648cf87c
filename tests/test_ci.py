"""`.ci/compat_key.py`: the key that decides when CI runs every chapter with
Colab's versions (`make compat-all`) instead of the four fast ones."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def compat(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("compat_key", ROOT / ".ci" / "compat_key.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / ".ci").mkdir()
    (tmp_path / "requirements-colab.txt").write_text("numpy==2.0.2\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "STAMP", tmp_path / ".ci" / "compat-all.stamp")
    return module, tmp_path


def chapter(path: Path, code: str, prose: str = "Some prose.") -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [prose]},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": [code]}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))


def test_the_key_follows_pins_bounds_and_imports_only(compat):
    module, root = compat
    nb = root / "notebooks" / "07_x.ipynb"
    chapter(nb, "import numpy as np\nx = 1")
    base = module.key()
    chapter(nb, "import numpy as np\nx = 2", prose="Other prose.")  # not an import
    assert module.key() == base
    chapter(nb, "import numpy as np\nimport lightfm\nx = 2")
    assert module.key() != base
    chapter(nb, "import numpy as np\nx = 1")
    (root / "requirements-colab.txt").write_text("numpy==2.1.0\n")
    assert module.key() != base


def test_stale_until_a_run_records_the_key(compat):
    module, root = compat
    chapter(root / "notebooks" / "01_x.ipynb", "import pandas as pd")
    assert module.stale()  # no stamp yet
    module.STAMP.write_text(f"{module.key()} 2026-12-05 Python 3.11.7\n")
    assert not module.stale()
    chapter(root / "notebooks" / "01_x.ipynb", "import pandas as pd\nimport pyspark")
    assert module.stale()
