"""Ours (feature_mf.FeatureMF, torch) vs LightFM on MovieLens-100k with the same item features.

Prints NDCG@10 on the warm split (all items) and on the cold split (the cold
films only, chapter 5's protocol), fit seconds for both, and the ratios, in
one run:

    .venv/bin/python benchmarks/fm_vs_lightfm.py [--cards] [--epochs 30] [--threads 1]

Both use WARP, 32 factors, learning rate 0.05, at most 10 negative draws,
Adagrad, the same epochs and one thread (regularisation: each its default,
none in LightFM, 1e-4 on the batch's vectors in ours); the item features are the genre
flags and release-decade one-hots (``features.ml100k_item_features``), plus the
MiniLM card vectors with ``--cards`` (chapter 7's features: their first 32
principal components, ``knowledge.reduce``). LightFM gets an identity block for the
training items (its way of having id embeddings) beside those features, so a
cold item is its features alone, as in ours. Fit time is ``fit(train)`` of
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
    ap.add_argument("--cards", action="store_true",
                    help="add the MiniLM item-card vectors (chapter 7's: 32 principal components)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1, help="threads for both models")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))

    import numpy as np
    import pandas as pd

    from llmrec_utils import data, evaluation
    from llmrec_utils.data import features
    from llmrec_utils.models import feature_mf, peers

    if args.cards:  # chapter 7's "+ MiniLM card" family
        from llmrec_utils.chapters import knowledge

        features = knowledge.item_feature_sets(knowledge.reduce(knowledge.item_vectors()))[
            knowledge.FAMILIES[2]]
    else:
        features = features.ml100k_item_features()
    common = {"factors": 32, "lr": 0.05, "max_sampled": 10}

    makers = {"ours (FeatureMF)": lambda: feature_mf.FeatureMF(item_features=features, epochs=args.epochs,
                                                       threads=args.threads, **common)}
    try:
        import lightfm  # noqa: F401

        makers["LightFM"] = lambda: peers.LightFMModel(features, epochs=args.epochs,
                                                    threads=args.threads, **common)
    except ImportError as exc:
        print(f"LightFM not importable ({exc}); printing ours only.")

    warm, cold = data.standard_split("warm"), data.standard_split("cold")
    cold_items = np.array(cold.info["cold_items"])
    rows = {}
    for name, make in makers.items():
        model = make()
        t0 = time.perf_counter()
        model.fit(warm.train)
        fit_s = time.perf_counter() - t0
        ndcg_warm = evaluation.evaluate(model, warm, ("NDCG@10",))["NDCG@10"].mean()
        model = make().fit(cold.train)
        ndcg_cold = evaluation.evaluate(model, cold, ("NDCG@10",), items=cold_items)
        rows[name] = {"NDCG@10 warm": ndcg_warm, "NDCG@10 cold": ndcg_cold["NDCG@10"].mean(),
                      "fit s (warm)": fit_s}  # fmt: skip
    chance = {"NDCG@10 warm": evaluation.chance_level(warm, ("NDCG@10",))["NDCG@10"].mean(),
              "NDCG@10 cold": evaluation.chance_level(cold, ("NDCG@10",),
                                                      items=cold_items)["NDCG@10"].mean()}
    rows["chance level"] = {**chance, "fit s (warm)": float("nan")}
    table = pd.DataFrame(rows).T
    pd.set_option("display.width", 120)
    what = "genres, decades" + (", cards (32 components)" if args.cards else "")
    print(f"features: {features.shape[1]} columns ({what}); epochs {args.epochs}; "
          f"threads {args.threads}")
    print(table.round(4).to_string())
    if "LightFM" in rows:
        ours, theirs = rows["ours (FeatureMF)"], rows["LightFM"]
        for key in table.columns:
            print(f"{key} ours/LightFM: {ours[key] / theirs[key]:.2f}")


if __name__ == "__main__":
    main()
