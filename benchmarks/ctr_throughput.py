"""Training throughput of the book's FM and DeepFM (llmrec_utils.ctr) against
DeepCTR-Torch's DeepFM, on the MovieLens-100k clicks task, in one run.

    .venv/bin/python benchmarks/ctr_throughput.py \
        [--epochs 3] [--threads 1] [--batch-size 512] [--factors 8] [--repeat 3]

All three train on the same rows (``ctr.ml100k_clicks()``: a rating >= 4 is a
click; each user's last rating is the test row and the one before it
validation, unused here), with the same fields (categorical user, item, age
bucket, gender, occupation, decade; dense genre flags and year), embedding
size, batch size, epochs (a fixed count: no early stopping, so every model
does the same work), Adam with the same step size, the same MLP widths for
the two DeepFMs, and the same torch thread count. One difference in the
models: DeepCTR's DeepFM feeds dense fields to its linear part and its MLP
only, the book's FM gives each dense column a vector in the pairwise term as
well. Throughput is training examples per second of wall clock over
``fit``, each including the encoding of the DataFrame (DeepCTR's through
``ctr.DeepCTRDeepFM``, which codes the fields as the book's models do), the best of ``--repeat`` fits of each model taken in turn (the first
fit of a process pays torch's start-up; the best is the least disturbed by
other work on the machine); the ratio is ours over DeepCTR's. Test AUC and log loss (bootstrap
95% intervals) of each fitted model are printed beside it.

DeepCTR-Torch (``deepctr-torch==0.3.0``, pure Python) is in the requirements
(chapter 7 uses it as the peer); without it only the book's rows are printed. Timings are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for every model")
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--factors", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--repeat", type=int, default=3, help="fits per model; the fastest counts")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import numpy as np
    import torch

    from llmrec_utils import ctr
    from llmrec_utils.config import SEED
    from llmrec_utils.evaluation import uncertainty

    torch.set_num_threads(args.threads)
    task = ctr.ml100k_clicks()
    X, y = task.X("train"), task.y("train")
    hidden = (64, 32)
    common = {"factors": args.factors, "batch_size": args.batch_size, "epochs": args.epochs,
              "lr": args.lr, "threads": args.threads, "seed": SEED}  # fmt: skip
    fits = {"FM (book)": lambda: ctr.FMCTR(task.spec, **common),
            "DeepFM (book)": lambda: ctr.DeepFM(task.spec, hidden=hidden, **common)}

    try:
        import deepctr_torch  # noqa: F401
    except ImportError:
        print("deepctr-torch is not installed: only the book's models are timed.")
    else:  # the same fields, coded as the book codes them (ctr.DeepCTRDeepFM)
        fits["DeepFM (DeepCTR-Torch)"] = lambda: ctr.DeepCTRDeepFM(task.spec, hidden=hidden,
                                                                  **common)

    rows, speed = {}, {name: 0.0 for name in fits}
    for _ in range(args.repeat):
        for name, make in fits.items():
            model = make()
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
            speed[name] = max(speed[name], args.epochs * len(y) / seconds)
            rows[name] = model.predict_proba(task.X("test"))

    print(f"MovieLens-100k clicks: {len(y):,} training rows, {len(task.test):,} test rows; "
          f"{len(task.spec.categorical)} categorical + {len(task.spec.dense)} dense fields; "
          f"k={args.factors}, batch {args.batch_size}, {args.epochs} epochs, "
          f"{args.threads} thread(s), best of {args.repeat}, torch {torch.__version__}")  # fmt: skip
    for name, p in rows.items():
        r = uncertainty.auc_logloss(task.y("test"), np.clip(p, 0, 1))
        print(f"{name:24s} {speed[name]:>10,.0f} examples/s   test AUC {r['AUC']}   "
              f"log loss {r['log loss']}")  # fmt: skip
    ref = speed.get("DeepFM (DeepCTR-Torch)")
    if ref:
        for name in ("FM (book)", "DeepFM (book)"):
            print(f"{name} / DeepCTR-Torch DeepFM: {speed[name] / ref:.2f}x the throughput")


if __name__ == "__main__":
    main()
