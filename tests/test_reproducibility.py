"""The book's numbers depend on code and data only.

Not on the thread count, not on a remembered timing probe, not on a cache made
elsewhere. Three links of chapter 7's chain are checked bit for bit on the
CPU, each under 1 and 2 threads and under a probe memo saying bfloat16 is
faster or slower:

1. the shared film-card vectors (``embeddings.Encoder`` on every card);
2. their principal components (``knowledge.reduce``, one BLAS thread inside);
3. a ``FeatureMF`` fit on those features and its NDCG@10 on warm validation
   (a short fit: the same code as the chapter's, 3 epochs instead of 30).

Margins relied on: none on the CPU; every assert is bitwise equality.

On a GPU (``LLMREC_DEVICE=cuda``) the same code computes in bfloat16 by
default (``config.precision``), and these results are *expected to move*:
the vectors agree with the CPU's float32 ones to a cosine above 0.999 (the
margin asserted in ``test_gpu_vectors_agree_with_the_cpu``, observed about
0.9999), while WARP's sampled negatives turn such a change into a few
thousandths of NDCG@10. That is why a CPU reader's cache never hands out
vectors of another precision (``embeddings.load_embeddings``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from llmrec_utils import config, data, evaluation
from llmrec_utils.chapters import knowledge
from llmrec_utils.text import embeddings

SETTINGS = [(1, 3.0), (2, 0.5), (2, 3.0)]  # (torch threads, the probe memo's bf16 speed-up)


@pytest.fixture(scope="module")
def cards():
    items = data.load_ml100k_items().sort_values(data.ITEM).reset_index(drop=True)
    return items[data.ITEM].to_numpy(), embeddings.item_cards(items)


def _under(threads: int, speedup: float, tmp_cache, fn):
    """``fn()`` with ``threads`` torch threads and a probe memo saying ``speedup``."""
    memo = {config.machine_key(): {"bf16_speedup": speedup, "measured": "test"}}
    (tmp_cache / config.PROBE_FILE).write_text(json.dumps(memo))
    with config.torch_threads(threads):
        return fn()


@pytest.fixture(scope="module")
def runs(cards):
    """Film-card vectors, their PCA and a short FeatureMF's validation NDCG@10,
    once per setting, each in a fresh cache holding only the pinned assets."""
    import os
    import shutil

    valid = data.standard_split("warm-validation")
    native = config.native_bf16
    config.native_bf16 = lambda: True  # as on a CPU where the probe would run
    out = {}
    for threads, speedup in SETTINGS:
        cache = config.pinned_cache()
        old = {k: os.environ.get(k) for k in ("LLMREC_CACHE", "LLMREC_PRECISION", "LLMREC_DEVICE")}
        os.environ.update(LLMREC_CACHE=str(cache), LLMREC_DEVICE="cpu")
        os.environ.pop("LLMREC_PRECISION", None)
        try:
            def chain():
                encoder = embeddings.Encoder.load()
                V = pd.DataFrame(encoder.encode(cards[1], progress=False), index=cards[0])
                reduced = knowledge.reduce({"card": V})["card"]
                features = knowledge.item_feature_sets({"card": reduced,
                                                        "card + LLM profile": reduced})
                model = knowledge.feature_mf(features[knowledge.FAMILIES[2]], epochs=3)
                ndcg = evaluation.evaluate(model.fit(valid.train), valid, ("NDCG@10",))
                return encoder.precision, V.to_numpy(), reduced.to_numpy(), ndcg["NDCG@10"]

            out[threads, speedup] = _under(threads, speedup, cache, chain)
        finally:
            config.native_bf16 = native
            shutil.rmtree(cache, ignore_errors=True)
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return out


def test_the_cpu_computes_in_float32_whatever_the_probe_says(runs):
    assert {r[0] for r in runs.values()} == {"float32"}


@pytest.mark.parametrize("part, what", [(1, "film-card vectors"), (2, "their principal components"),
                                        (3, "FeatureMF's NDCG@10 per user")])  # fmt: skip
def test_bitwise_equal_across_threads_and_probe_answers(runs, part, what):
    first, *others = runs.values()
    for setting, run in zip(SETTINGS[1:], others):
        a, b = np.asarray(first[part]), np.asarray(run[part])
        assert a.shape == b.shape and np.array_equal(a, b), (
            f"{what} differ between {SETTINGS[0]} and {setting} (threads, probe memo)")


def test_pca_is_the_same_under_any_outer_thread_limit():
    from threadpoolctl import threadpool_limits

    V = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 64)))
    with threadpool_limits(limits=1):
        a = knowledge.reduce({"x": V})["x"].to_numpy()
    with threadpool_limits(limits=2):
        b = knowledge.reduce({"x": V})["x"].to_numpy()
    assert np.array_equal(a, b)


def test_stored_vectors_of_another_precision_are_rebuilt(monkeypatch):
    """A CPU reader never gets bfloat16 vectors from a cache (nor the reverse)."""
    import shutil

    cache = config.pinned_cache(source=config.cache_dir())
    monkeypatch.setenv("LLMREC_CACHE", str(cache))
    monkeypatch.setattr(config, "native_bf16", lambda: True)
    monkeypatch.setenv("LLMREC_DEVICE", "cpu")
    monkeypatch.delenv("LLMREC_PRECISION", raising=False)
    ids, texts = embeddings.SHARED["ml100k-item-cards"][1]()
    b16 = embeddings.Encoder.load(precision="bfloat16")
    fake = np.zeros((len(ids), 384), np.float32)  # what a bfloat16 run would have stored
    embeddings.save_embeddings("ml100k-item-cards", ids, fake, b16, texts)
    assert embeddings._read_stored(embeddings._stored_path("ml100k-item-cards")).precision == "bfloat16"
    with pytest.raises(FileNotFoundError, match="another precision"):
        embeddings.load_embeddings("ml100k-item-cards", rebuild=False)
    stored = embeddings.load_embeddings("ml100k-item-cards")
    assert stored.precision == "float32" and np.abs(stored.vectors).sum() > 0
    assert stored.fingerprint == embeddings.fingerprint(precision="float32")
    shutil.rmtree(cache, ignore_errors=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_vectors_agree_with_the_cpu(runs, cards):
    gpu = embeddings.Encoder.load(device="cuda").encode(cards[1][:256], progress=False)
    cpu = runs[SETTINGS[0]][1][:256]
    assert float(np.min(np.sum(gpu * cpu, axis=1))) > 0.999
