"""Are the book's glued values the same under 1 and 2 threads and whatever the
bfloat16 probe remembered? (issue 22)

Runs chapters (default 2, 5 and 7, in order) once per setting, each setting in
a fresh cache holding only the pinned assets, and collects every value the
chapters glue into their prose (``llmrec_utils.course.page.GLUED``). Then prints, per
chapter, how many glued values there are and which differ between settings.
Exits 1 if any differ.

Settings: ``OMP_NUM_THREADS=1``; ``OMP_NUM_THREADS=2``; ``OMP_NUM_THREADS=2``
with a probe memo (``device_probe.json``) saying bfloat16 is three times
faster on this CPU. ``LLMREC_PRECISION`` is unset and the device is the CPU.

    .venv/bin/python benchmarks/glue_reproducibility.py [--chapters 02 05 07]

It takes the chapters' time three times over (about half an hour on 2 cores
for chapters 2, 5 and 7).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
DUMP = """
import json, os
from llmrec_utils.course.page import GLUED
with open(os.environ["GLUE_DUMP"], "w") as f:
    json.dump({k: v if isinstance(v, (int, float, str, bool)) or v is None else repr(v)
               for k, v in GLUED.items()}, f, indent=1, sort_keys=True)
"""
SETTINGS = {
    "1 thread": {"OMP_NUM_THREADS": "1"},
    "2 threads": {"OMP_NUM_THREADS": "2"},
    "2 threads, probe memo says bfloat16": {"OMP_NUM_THREADS": "2", "_memo": "3.0"},
}


def run_chapter(path: Path, env: dict, dump: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(DUMP))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env, GLUE_DUMP=str(dump))  # the kernel inherits this process's environment
    try:
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return json.loads(dump.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", nargs="+", default=["02", "05", "07"])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks",
                        help="where the chapters are (e.g. a snapshot of them)")
    args = parser.parse_args()
    from llmrec_utils import config

    paths = [next(args.notebooks.glob(f"{c}_*.ipynb")) for c in args.chapters]
    glued: dict = {}
    for name, setting in SETTINGS.items():
        cache = config.pinned_cache(prefix="llmrec-repro-")
        env = {k: v for k, v in setting.items() if not k.startswith("_")}
        env.update(LLMREC_CACHE=str(cache), LLMREC_DEVICE="cpu", LLMREC_PRECISION="auto",
                   MKL_NUM_THREADS=env["OMP_NUM_THREADS"])
        if "_memo" in setting:  # what a probe on a bfloat16-friendly CPU would have left
            memo = {config.machine_key(): {"bf16_speedup": float(setting["_memo"]),
                                           "measured": "glue_reproducibility"}}
            (cache / config.PROBE_FILE).write_text(json.dumps(memo))
        try:
            for path in paths:
                start = time.perf_counter()
                glued[name, path.stem] = run_chapter(path, env, cache / "glue.json")
                print(f"{name:<38} {path.stem:<28} {len(glued[name, path.stem]):>4} values "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    print(f"\n{'chapter':<28}{'glued values':>13}  identical in all {len(SETTINGS)} settings")
    differ = 0
    first, *others = SETTINGS
    for path in paths:
        ref = glued[first, path.stem]
        bad = sorted(k for k in ref if any(glued[o, path.stem].get(k) != ref[k] for o in others))
        bad += sorted(k for o in others for k in glued[o, path.stem] if k not in ref)
        differ += len(bad)
        print(f"{path.stem:<28}{len(ref):>13}  {'yes' if not bad else 'NO: ' + ', '.join(bad)}")
        for k in bad:
            print("   ", k, {s: glued[s, path.stem].get(k) for s in SETTINGS})
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
