"""Ours (biased MF by ALS) vs Surprise's SVD on the same 5 folds of MovieLens-100k.

Prints RMSE and fit time per fold for both, and the ratios, in one run:

    .venv/bin/python benchmarks/mf_vs_surprise.py [--n-runs 3] [--threads 2] [--repeats 3]

Fit time is ``fit(train)`` only (no prediction), wall clock, the median of
``--repeats`` fits per fold (the two models alternate, so background load
hits both alike), after one warm-up fit of each model. Surprise's SVD uses its defaults (the settings of
its published table); ours uses the chapter's defaults.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-runs", type=int, default=3, help="ALS runs averaged (ours)")
    ap.add_argument("--threads", type=int, default=2, help="BLAS threads")
    ap.add_argument("--repeats", type=int, default=3, help="fits per fold and model (median)")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))

    import numpy as np
    import pandas as pd
    import surprise

    from llmrec_utils import data
    from llmrec_utils.evaluation import metrics
    from llmrec_utils.models import mf
    from llmrec_utils.models.peers import SurpriseModel

    ratings = data.load_ml100k_ratings()
    folds = data.kfold_splits(ratings, 5)
    models = {
        "ours (ALS)": lambda: mf.BiasedMF(n_runs=args.n_runs),
        "Surprise SVD": lambda: SurpriseModel(lambda: surprise.SVD(random_state=0), "SVD"),
    }
    for make in models.values():  # warm-up: imports, caches
        make().fit(folds[0].train)
    rows = []
    for f, split in enumerate(folds):
        times = {name: [] for name in models}
        fitted = {}
        for _ in range(args.repeats):
            for name, make in models.items():
                model = make()
                t0 = time.perf_counter()
                model.fit(split.train)
                times[name].append(time.perf_counter() - t0)
                fitted[name] = model
        for name, model in fitted.items():
            pred = split.test.assign(prediction=model.predict(split.test.user, split.test.item))
            rows.append({"fold": f, "model": name, "rmse": metrics.rmse(pred, split.test),
                         "fit_s": float(np.median(times[name]))})  # fmt: skip
    table = pd.DataFrame(rows).pivot(index="fold", columns="model", values=["rmse", "fit_s"])
    table.loc["mean"] = table.mean()
    pd.set_option("display.width", 120)
    print(table.round(4).to_string())
    ours, theirs = "ours (ALS)", "Surprise SVD"
    mean = table.loc["mean"]
    print(f"\nRMSE ours/Surprise: {mean[('rmse', ours)]:.4f} / {mean[('rmse', theirs)]:.4f}"
          f"  (target <= 0.905)")
    print(f"fit time ratio ours/Surprise: {mean[('fit_s', ours)] / mean[('fit_s', theirs)]:.2f}"
          "  (target <= 1.00)")


if __name__ == "__main__":
    main()
