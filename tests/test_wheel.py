"""What a student installs: the wheel the Colab install cell builds ships the
package, the gold annotations and the cached generations, but no chapter and no
solution code (instructors run `llmrec student/assign/grade` from a clone)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_BEGIN, _END = "### BEGIN SOLUTION", "### END SOLUTION"


def solution_blocks() -> list[str]:
    """Every marked answer of the chapters (the code between the markers)."""
    blocks = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            blocks += [m.strip("\n") for m in re.findall(
                rf"{_BEGIN}\n(.*?){_END}", cell.source, re.DOTALL)]  # fmt: skip
    return blocks


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def solutions_in(wheel: Path, blocks: list[str]) -> list[str]:
    """The wheel's files that are a chapter or hold one of its answers (spaces aside)."""
    answers = [_squash(b) for b in blocks if len(_squash(b)) > 40]
    found = []
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", "replace")
            squashed = _squash(text)
            if name.endswith(".ipynb") or any(a in squashed for a in answers):
                found.append(name)
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built offline from a copy of the clone's tracked files."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    for name in files:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "-w", str(out), str(src)],
                   check=True, capture_output=True)  # fmt: skip
    return next(out.glob("llmrec_utils-*.whl"))


def test_the_wheel_ships_no_chapter_and_no_solution(wheel):
    blocks = solution_blocks()
    assert len(blocks) >= 25
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("llmrec_utils/course/exercises/ch01_data.py") for n in names)
    assert any(n.endswith("share/llmrec-utils/data/aspects_gold.jsonl") for n in names)
    assert solutions_in(wheel, blocks) == []


def test_the_detector_finds_a_shipped_chapter_and_a_copied_answer(tmp_path):
    blocks = solution_blocks()
    fake = tmp_path / "fake.whl"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("llmrec_utils/clean.py", "def f():\n    return 1\n")
        archive.writestr("share/llmrec-utils/notebooks/01_data.ipynb", "{}")
        longest = max(blocks, key=len)  # an answer pasted into a module, reindented
        archive.writestr("llmrec_utils/leak.py", "\n".join("  " + ln for ln in
                                                          longest.splitlines()))
    assert solutions_in(fake, blocks) == ["share/llmrec-utils/notebooks/01_data.ipynb",
                                          "llmrec_utils/leak.py"]
