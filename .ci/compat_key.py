"""The key of what `make compat-all` tested: a sha256 over requirements-colab.txt,
pyproject.toml and every chapter's import lines. `make compat-all` writes it to
.ci/compat-all.stamp when every chapter passes with Colab's versions; `.ci/run`
runs `make compat-all` instead of `make compat` when the key no longer matches
the committed stamp (a pin, a bound or a chapter's imports changed).

    python3 .ci/compat_key.py            # print the key
    python3 .ci/compat_key.py --stale    # exit 0 if compat-all must run, 1 if not
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMP = ROOT / ".ci" / "compat-all.stamp"
_IMPORT = re.compile(r"^\s*(?:import|from)\s+\S+", re.MULTILINE)


def key() -> str:
    digest = hashlib.sha256()
    for name in ("requirements-colab.txt", "pyproject.toml"):
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        lines = sorted({line.strip() for line in code.splitlines() if _IMPORT.match(line)})
        digest.update(path.name.encode() + b"\0" + "\n".join(lines).encode() + b"\0")
    return digest.hexdigest()


def stale() -> bool:
    """Whether the stamp is missing or records another key."""
    recorded = STAMP.read_text().split()[:1] if STAMP.is_file() else []
    return recorded != [key()]


if __name__ == "__main__":
    if "--stale" in sys.argv[1:]:
        sys.exit(0 if stale() else 1)
    print(key())
