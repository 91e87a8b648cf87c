"""Ours (feature_mf.FeatureMF) vs LightFM on MovieLens-100k with the same item features.

For each feature width (by default both: the genre flags and release-decade
one-hots, 27 columns; and those plus chapter 7's MiniLM card vectors cut to 32
principal components, 59 columns) it prints, in one run: NDCG@10 on the warm
split (all items) and on the cold split (the cold films only, chapter 5's
protocol), the paired interval over users of ours minus LightFM for both, the
fit seconds of both and their ratio:

    .venv/bin/python benchmarks/fm_vs_lightfm.py [--widths 27 59] [--epochs 30] [--threads 1]

Both use WARP, 32 factors, learning rate 0.05, at most 10 negative draws,
Adagrad, the same epochs and one thread (regularisation: each its default,
none in LightFM, 1e-4 per triple in ours). LightFM gets an identity block for
the training items (its way of having id embeddings) beside those features, so
a cold item is its features alone, as in ours. Fit time is ``fit(train)`` of
the warm split, wall clock. LightFM (``lightfm-next==1.19.0``, in the
requirements; ``peers.LightFMModel`` wraps it) is on Python 3.11 a C build from
the sdist (PyPI has no 1.19.0 wheel for it, and the cp311 wheel of 1.18.7
fails to import: undefined symbol ``__log_finite``); without it only our
model's rows (and chance) are printed.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[27, 59], choices=[27, 59],
                    help="27: genres and decades; 59: those plus the MiniLM card components")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1, help="threads for both models")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))

    import numpy as np
    import pandas as pd

    from llmrec_utils import data, evaluation
    from llmrec_utils.chapters import knowledge
    from llmrec_utils.data import features as item_features
    from llmrec_utils.models import feature_mf, peers

    try:
        import lightfm  # noqa: F401
    except ImportError as exc:
        lightfm = None
        print(f"LightFM not importable ({exc}); printing ours only.")
    warm, cold = data.standard_split("warm"), data.standard_split("cold")
    cold_items = np.array(cold.info["cold_items"])
    common = {"factors": 32, "lr": 0.05, "max_sampled": 10}
    pd.set_option("display.width", 120)
    print(f"epochs {args.epochs}; threads {args.threads}")
    for width in args.widths:
        if width == 27:
            features, what = item_features.ml100k_item_features(), "genres, decades"
        else:  # chapter 7's "+ MiniLM card" family
            features = knowledge.item_feature_sets(knowledge.reduce(knowledge.item_vectors()))[
                knowledge.FAMILIES[2]]
            what = "genres, decades, cards (32 components)"
        makers = {"ours (FeatureMF)": lambda: feature_mf.FeatureMF(
            item_features=features, epochs=args.epochs, threads=args.threads, **common)}
        if lightfm is not None:
            makers["LightFM"] = lambda: peers.LightFMModel(features, epochs=args.epochs,
                                                          threads=args.threads, **common)
        rows, per_user = {}, {}
        for name, make in makers.items():
            model = make()
            t0 = time.perf_counter()
            model.fit(warm.train)
            fit_s = time.perf_counter() - t0
            on_warm = evaluation.evaluate(model, warm, ("NDCG@10",))["NDCG@10"]
            on_cold = evaluation.evaluate(make().fit(cold.train), cold, ("NDCG@10",),
                                          items=cold_items)["NDCG@10"]  # fmt: skip
            per_user[name] = {"warm": on_warm, "cold": on_cold}
            rows[name] = {"NDCG@10 warm": on_warm.mean(), "NDCG@10 cold": on_cold.mean(),
                          "fit s (warm)": fit_s}  # fmt: skip
        chance = {"NDCG@10 warm": evaluation.chance_level(warm, ("NDCG@10",))["NDCG@10"].mean(),
                  "NDCG@10 cold": evaluation.chance_level(cold, ("NDCG@10",),
                                                          items=cold_items)["NDCG@10"].mean()}
        rows["chance level"] = {**chance, "fit s (warm)": float("nan")}
        print(f"\n{features.shape[1]} feature columns ({what})")
        print(pd.DataFrame(rows).T.round(4).to_string())
        if "LightFM" in rows:
            ours, theirs = per_user["ours (FeatureMF)"], per_user["LightFM"]
            for split in ("warm", "cold"):
                cmp = evaluation.compare(theirs[split], ours[split])
                print(f"NDCG@10 {split}, ours - LightFM: {cmp.diff:+.4f} "
                      f"[{cmp.low:+.4f}, {cmp.high:+.4f}] "
                      f"({evaluation.verdict(cmp, 'ours higher', 'ours lower', 'a tie')})")
            ratio = rows["ours (FeatureMF)"]["fit s (warm)"] / rows["LightFM"]["fit s (warm)"]
            print(f"fit time ours/LightFM at {features.shape[1]} columns: {ratio:.2f}")


if __name__ == "__main__":
    main()
