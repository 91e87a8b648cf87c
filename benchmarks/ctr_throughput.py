"""Training throughput of the book's FM and DeepFM (llmrec_utils.ctr) against
DeepCTR-Torch's DeepFM, on the MovieLens-100k clicks task, in one run.

    PYTHONPATH=/path/to/deepctr:. .venv/bin/python benchmarks/ctr_throughput.py \
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
``fit`` (ours includes encoding the DataFrame; DeepCTR's is given the encoded
arrays), the best of ``--repeat`` fits of each model taken in turn (the first
fit of a process pays torch's start-up; the best is the least disturbed by
other work on the machine); the ratio is ours over DeepCTR's. Test AUC and log loss (bootstrap
95% intervals) of each fitted model are printed beside it.

DeepCTR-Torch is not a dependency of the book: install ``deepctr-torch==0.3.0``
(pure Python; needs torch, scikit-learn and tqdm) somewhere on ``PYTHONPATH``,
e.g. ``pip install --target /tmp/dctr deepctr-torch==0.3.0 --no-deps``.
Without it only the book's rows are printed. Timings are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
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

    torch.set_num_threads(args.threads)
    task = ctr.ml100k_clicks()
    X, y = task.X("train"), task.y("train")
    hidden = (64, 32)
    common = {"factors": args.factors, "batch_size": args.batch_size, "epochs": args.epochs,
              "lr": args.lr, "threads": args.threads, "seed": SEED}  # fmt: skip
    fits = {"FM (book)": lambda: ctr.FMCTR(task.spec, **common),
            "DeepFM (book)": lambda: ctr.DeepFM(task.spec, hidden=hidden, **common)}

    try:
        from deepctr_torch.inputs import DenseFeat, SparseFeat
        from deepctr_torch.models import DeepFM as DeepCTRDeepFM
    except ImportError:
        print("deepctr-torch is not installed: only the book's models are timed.")
    else:
        columns, train_x, test_x = [], {}, {}
        for c in task.spec.categorical:  # codes as the book's models make them: 0 = unseen
            vocab = X[c].astype(str).unique()
            lookup = {v: k + 1 for k, v in enumerate(vocab)}
            columns.append(SparseFeat(c, vocabulary_size=len(vocab) + 1,
                                      embedding_dim=args.factors))  # fmt: skip
            train_x[c] = X[c].astype(str).map(lookup).to_numpy()
            test_x[c] = task.test[c].astype(str).map(lookup).fillna(0).astype(int).to_numpy()
        for c in task.spec.dense:
            columns.append(DenseFeat(c, 1))
            train_x[c], test_x[c] = X[c].to_numpy(float), task.test[c].to_numpy(float)

        class DeepCTR:
            """DeepCTR-Torch's DeepFM behind the same fit / predict_proba calls."""

            def fit(self, _X, y):
                torch.manual_seed(SEED)
                with contextlib.redirect_stdout(io.StringIO()):  # its "Train on ..." lines
                    self.net = DeepCTRDeepFM(columns, columns, dnn_hidden_units=hidden,
                                             seed=SEED, device="cpu")  # fmt: skip
                    self.net.compile(torch.optim.Adam(self.net.parameters(), lr=args.lr),
                                     "binary_crossentropy")  # fmt: skip
                    self.net.fit(train_x, np.array(y), batch_size=args.batch_size,
                                 epochs=args.epochs, verbose=0)  # fmt: skip
                return self

            def predict_proba(self, _X):
                return self.net.predict(test_x, batch_size=4096).ravel()

        fits["DeepFM (DeepCTR-Torch)"] = DeepCTR

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
        r = ctr.auc_logloss(task.y("test"), np.clip(p, 0, 1))
        print(f"{name:24s} {speed[name]:>10,.0f} examples/s   test AUC {r['AUC']}   "
              f"log loss {r['log loss']}")  # fmt: skip
    ref = speed.get("DeepFM (DeepCTR-Torch)")
    if ref:
        for name in ("FM (book)", "DeepFM (book)"):
            print(f"{name} / DeepCTR-Torch DeepFM: {speed[name] / ref:.2f}x the throughput")


if __name__ == "__main__":
    main()
