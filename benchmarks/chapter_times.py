"""Time each chapter as a Colab reader meets it: alone, in a fresh runtime.

Each chapter runs under nbval (`pytest --nbval-lax`) in a new ``LLMREC_CACHE``
that holds only the pinned assets, so the time includes everything the chapter
rebuilds (splits, chapter 2's vectors, chapter 6's leaderboard rows, trained
weights). The device is the package's rule (CUDA when present, else CPU, or
``LLMREC_DEVICE``). Rows are written to ``book/chapter_times.csv`` (one row per
chapter and device, replaced when measured again), which the status page shows.

    python benchmarks/chapter_times.py                 # every chapter
    python benchmarks/chapter_times.py 05_hybrid 08_evaluation
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "book" / "chapter_times.csv"
FIELDS = ["chapter", "device", "seconds alone", "passed", "cores", "measured"]


def device_name() -> str:
    import torch

    from llmrec_utils import config

    device = config.device() if hasattr(config, "device") else "cpu"
    if device.startswith("cuda"):
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU: {os.cpu_count()} cores ({platform.machine()})"


def run(chapter: str) -> tuple[float, bool]:
    from llmrec_utils.config import pinned_cache

    cache = pinned_cache(prefix=f"llmrec-alone-{chapter}-")
    env = {**os.environ, "LLMREC_CACHE": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(ROOT / "notebooks" / f"{chapter}.ipynb")],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if proc.returncode:
        print(proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
    subprocess.run(["rm", "-rf", str(cache)], check=False)
    return seconds, proc.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="notebook stems (default: all)")
    args = parser.parse_args()
    chapters = args.chapters or sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    device = device_name()
    rows = {}
    if CSV.exists():
        with open(CSV, newline="") as f:
            rows = {(r["chapter"], r["device"]): r for r in csv.DictReader(f)}
    for chapter in chapters:
        seconds, passed = run(chapter)
        print(f"{chapter:28s} {seconds:7.0f} s alone on {device}{'' if passed else '  FAILED'}")
        rows[chapter, device] = {"chapter": chapter, "device": device,
                                 "seconds alone": f"{seconds:.0f}", "passed": passed,
                                 "cores": os.cpu_count(),
                                 "measured": dt.date.today().isoformat()}  # fmt: skip
        with open(CSV, "w", newline="") as f:  # after every chapter: an interrupted run keeps them
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(sorted(rows.values(), key=lambda r: (r["device"], r["chapter"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
