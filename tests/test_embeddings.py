"""The encoder: pooling, order, agreement with sentence-transformers, the caches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llmrec_utils import config
from llmrec_utils.text import embeddings

TEXTS = [
    "Runs small, order a size up.",
    "Beautiful colour and the fabric feels expensive, but the zipper broke after a week.",
    "ok",
    "",
    "Love it!!! " * 60,  # longer than max_length tokens after tokenisation? no: truncated at 256
]


@pytest.fixture(scope="module")
def encoder():
    return embeddings.Encoder.load()


def test_mean_pool_ignores_padding():
    tokens = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert torch.allclose(embeddings.mean_pool(tokens, mask), torch.tensor([[2.0, 3.0]]))
    empty = embeddings.mean_pool(tokens, torch.zeros(1, 3))  # no real token: zeros, not NaN
    assert torch.isfinite(empty).all()


def test_encode_matches_sentence_transformers_and_keeps_order(encoder):
    from sentence_transformers import SentenceTransformer

    ours = encoder.encode(TEXTS, batch_size=2, progress=False)
    ref = SentenceTransformer(embeddings.model_dir(), device="cpu").encode(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(ours * ref, axis=1)) > 0.999
    backwards = encoder.encode(TEXTS[::-1], batch_size=3, progress=False)[::-1]
    assert np.min(np.sum(ours * backwards, axis=1)) > 0.9999  # same rows, same order


def test_encode_bad_input(encoder):
    with pytest.raises(TypeError, match="not one string"):
        encoder.encode("a single string")
    with pytest.raises(TypeError, match="position 1"):
        encoder.encode(["fine", None])
    assert encoder.encode([], progress=False).shape == (0, 384)


def test_load_checks_precision_and_weights(monkeypatch):
    with pytest.raises(ValueError, match="precision"):
        embeddings.Encoder.load(precision="int4")
    monkeypatch.setattr(embeddings, "MINILM_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="force-reinstall"):
        embeddings.Encoder.load()


def test_fingerprint_depends_on_precision():
    a = embeddings.Encoder.load(precision="float32")
    b = embeddings.Encoder.load(precision="bfloat16")
    assert a.fingerprint != b.fingerprint and a.precision == "float32"


def test_encode_cached_reads_second_time_and_rebuilds_corrupt(encoder, tmp_cache, monkeypatch):
    texts = ["soft and warm", "too short in the torso"]
    first = embeddings.encode_cached(encoder, texts, progress=False)
    path = embeddings.cache_path(encoder, texts)
    assert path.exists() and path.with_suffix(".json").exists()

    calls = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert np.array_equal(embeddings.encode_cached(encoder, texts), first)
    assert calls == []  # served from the cache
    path.write_bytes(path.read_bytes()[:40])  # truncate
    with pytest.warns(config.CorruptCacheWarning, match="corrupt"):
        again = embeddings.encode_cached(encoder, texts, progress=False)
    assert calls == [1] and np.allclose(again, first)
    assert embeddings.cache_path(encoder, texts[::-1]) != path  # order is part of the key


def test_texts_hash_separates_boundaries():
    assert embeddings.texts_hash(["ab", "c"]) != embeddings.texts_hash(["a", "bc"])


def test_save_and_load_embeddings(encoder, tmp_cache):
    ids, vecs = np.array([3, 1, 2]), np.eye(3, dtype=np.float32)
    embeddings.save_embeddings("demo", ids, vecs, encoder)
    back = embeddings.load_embeddings("demo")
    assert np.array_equal(back.ids, ids) and np.array_equal(back.vectors, vecs)
    assert back.fingerprint == encoder.fingerprint
    with pytest.raises(ValueError, match="one id per row"):
        embeddings.save_embeddings("demo", ids[:2], vecs, encoder)
    with pytest.raises(ValueError, match="unique"):
        embeddings.save_embeddings("demo", np.array([1, 1, 2]), vecs, encoder)
    with pytest.raises(FileNotFoundError, match="save_embeddings"):
        embeddings.load_embeddings("missing")


def test_shared_embeddings_are_rebuilt_when_missing_stale_or_corrupt(tmp_cache, monkeypatch, capsys):
    texts = ["Toy Story (1995). Genres: Animation.", "Fargo (1996). Genres: Crime."]
    monkeypatch.setitem(embeddings.SHARED, "demo-cards", ("chapter 2", lambda: (np.array([1, 2]), texts)))
    first = embeddings.load_embeddings("demo-cards")  # not in the cache: rebuilt
    assert "Rebuilding the embeddings 'demo-cards' that chapter 2 makes: it is not in the cache" in capsys.readouterr().out
    assert first.vectors.shape == (2, 384) and first.texts_sha256 == embeddings.texts_hash(texts)
    assert np.array_equal(embeddings.load_embeddings("demo-cards").vectors, first.vectors)
    assert capsys.readouterr().out == ""  # current: read, not rebuilt
    texts[1] = "Fargo (1996). Genres: Crime, Thriller."  # the card changed
    with pytest.raises(FileNotFoundError, match="made from other texts"):
        embeddings.load_embeddings("demo-cards", rebuild=False)
    again = embeddings.load_embeddings("demo-cards")
    assert "made from other texts" in capsys.readouterr().out
    assert not np.allclose(again.vectors[1], first.vectors[1])
    path = tmp_cache / "artifacts" / "embeddings" / "demo-cards.npz"
    path.write_bytes(b"not an npz")
    with pytest.warns(config.CorruptCacheWarning, match="demo-cards.npz"):
        assert embeddings.load_embeddings("demo-cards").vectors.shape == (2, 384)
    assert "unreadable" in capsys.readouterr().out


def test_item_cards_and_review_sample(monkeypatch):
    import pandas as pd

    items = pd.DataFrame({"title": ["Toy Story (1995)"], "genres": ["Animation|Comedy"]})
    assert embeddings.item_cards(items) == ["Toy Story (1995). Genres: Animation, Comedy."]
    reviews = pd.DataFrame({"text": [f"r{i}" for i in range(9000)]})
    assert len(embeddings.review_sample(reviews)) == 8000
    monkeypatch.setenv("LLMREC_PROFILE", "full")
    assert len(embeddings.review_sample(reviews)) == 9000
