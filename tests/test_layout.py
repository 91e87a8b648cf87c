"""The package's floors, read from its imports (every import, at the top of a
module or inside a function, and those only made for type checking).

A module may import from its own floor or a lower one, never from a higher one:

    0  config                     paths, seed, profile, device
    1  data/                      columns, loaders, splits, features, assets
    2  models/                    the ranking contract and every recommender
    3  evaluation/                metrics, intervals, protocols, leaderboard
    4  ctr/                       click models and their tasks
    5  text/                      embeddings, LLMs, tagging, augmentation, re-ranking
    6  chapters/                  one chapter's experiments
    7  course/                    exercises, grading, student edition, pages
    8  cli                        the ``llmrec`` command

Floors 0-4 are the recommender library, 5 the text and LLM tools, 6 the
chapters' experiments and 7 the course tooling (CONTRIBUTING.md).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[1] / "llmrec_utils"
FLOORS = {"config": 0, "data": 1, "models": 2, "evaluation": 3, "ctr": 4, "text": 5,
          "chapters": 6, "course": 7, "cli": 8}  # fmt: skip


def _module(path: Path, root: Path = PACKAGE) -> list[str]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, "llmrec_utils.x.y") of every package import in a file."""
    here = _module(path, root)
    package = here if path.name == "__init__.py" else here[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "llmrec_utils":
                target = node.module.split(".")
            else:
                continue
            names = [a.name for a in node.names]
            for name in names if not node.module or target == package else [None]:
                full = target + [name] if name else target
                out.append((node.lineno, ".".join(full)))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("llmrec_utils")]
    return out


def _floor(dotted: str) -> int | None:
    parts = dotted.split(".")
    return FLOORS.get(parts[1]) if len(parts) > 1 else None


def violations(root: Path = PACKAGE) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        mine = _floor(".".join(_module(path, root)))
        for line, target in _imports(path, root):
            theirs = _floor(target)
            if mine is None or theirs is None:
                bad.append(f"{path.relative_to(root.parent)}:{line}: {target} is on no floor")
            elif theirs > mine:
                bad.append(f"{path.relative_to(root.parent)}:{line}: floor {mine} imports "
                           f"{target} (floor {theirs})")
    return bad


def test_every_module_is_on_a_floor():
    top = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
           if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    assert top - {"__init__"} == set(FLOORS), "add the new module or folder to FLOORS and CONTRIBUTING.md"


def test_no_module_imports_from_a_higher_floor():
    assert violations() == []


def test_the_check_sees_upward_imports_anywhere(tmp_path):
    pkg = tmp_path / "llmrec_utils"
    (pkg / "data").mkdir(parents=True)
    (pkg / "text").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "config.py").write_text("")
    (pkg / "data" / "__init__.py").write_text("from .loaders import load  # same floor\n")
    (pkg / "data" / "loaders.py").write_text(
        "from ..config import SEED\n"                   # down: fine
        "def load():\n"
        "    from ..text import embeddings\n"          # up, inside a function
        "    from llmrec_utils.course.page import glue\n")  # up, absolute
    (pkg / "text" / "embeddings.py").write_text("from ..data import loaders\n")  # down: fine
    found = violations(pkg)
    assert len(found) == 2
    assert "loaders.py:3: floor 1 imports llmrec_utils.text" in found[0] and "(floor 5)" in found[0]
    assert "llmrec_utils.course.page (floor 7)" in found[1]


def _code(path: Path) -> str:
    """The Python in a file: a notebook's code cells, a page's code blocks."""
    text = path.read_text()
    if path.suffix == ".ipynb":
        import json

        return "\n".join("".join(c["source"]) for c in json.loads(text)["cells"]
                         if c["cell_type"] == "code")
    if path.suffix == ".md":
        return "\n".join(re.findall(r"^```(?:\{code-cell\}|python)[^\n]*\n(.*?)^```", text,
                                    re.M | re.S))
    return text


def stale_imports(root: Path = PACKAGE.parent) -> list[str]:
    """`from llmrec_utils... import x` outside the package whose target is gone."""
    import importlib

    bad = []
    paths = [p for pattern in ("book/*.md", "notebooks/*.ipynb", "tests/*.py", "benchmarks/*.py",
                               "scripts/*.py", "*.md")
             for p in sorted(root.glob(pattern))]
    for path in paths:
        for m in re.finditer(r"^\s*from (llmrec_utils[\w.]*) import (?:\(([^)]*)\)|(.*))$",
                             _code(path), re.M):
            module = importlib.import_module(m.group(1))
            names = re.sub(r"#.*", "", m.group(2) or m.group(3))
            for name in (n.split(" as ")[0].strip() for n in names.split(",")):
                if name and not hasattr(module, name):
                    try:
                        importlib.import_module(f"{m.group(1)}.{name}")
                    except ModuleNotFoundError:
                        bad.append(f"{path.relative_to(root)}: from {m.group(1)} import {name}")
    return bad


def test_pages_notebooks_and_scripts_import_what_exists():
    assert stale_imports() == [], "the package moved: update these imports (CONTRIBUTING.md's map)"


def test_the_import_check_sees_a_stale_page(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "page.md").write_text(
        "```{code-cell} ipython3\nfrom llmrec_utils import augment\n```\n"
        "```python\nfrom llmrec_utils.models import base, mf\n```\n")
    assert stale_imports(tmp_path) == ["book/page.md: from llmrec_utils import augment"]
