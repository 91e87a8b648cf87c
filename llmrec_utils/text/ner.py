"""Product-aspect tagging in clothing reviews: words, BIO tags, a weak labeller,
sub-word label alignment and the gold annotations.

Taught in ``notebooks/03_ner_finetuning.ipynb``. The annotation guideline is
:data:`GUIDELINE` (version :data:`GUIDELINE_VERSION`); the gold sentences are in
``data/aspects_gold.jsonl``. The test split was annotated a second time
(``data/aspects_gold_b.jsonl``) and the disagreements adjudicated under
:data:`GUIDELINE_1_1` (``data/aspects_gold_adjudicated.jsonl``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from ..config import SEED, data_dir
from ..data.columns import TEXT
from ..evaluation.uncertainty import Interval

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

    from ..evaluation.uncertainty import Interval

__all__ = ['review_aspects']  # fmt: skip


# --- the clothing task ------------------------------------------------------------------------
def review_aspects(reviews: pd.DataFrame, tagger: Callable[[str], Iterable[str]] | None = None
                   ) -> pd.DataFrame:  # fmt: skip
    """Per-review aspect indicators: a boolean column per entity type
    (:data:`~llmrec_utils.text.ner.ENTITY_TYPES`), indexed by ``review``.

    ``tagger(text)`` returns the aspect types a text mentions; the default is
    chapter 3's weak labeller (:func:`~llmrec_utils.text.ner.weak_label`, a
    lexicon: fast, no network), not the fine-tuned tagger.
    """

    if tagger is None:
        def tagger(text):
            return {kind for kind, *_ in spans(weak_label([w.text for w in tokenize(text)]))}
    found = [set(tagger(t)) for t in reviews[TEXT]]
    out = pd.DataFrame({k: [k in f for f in found] for k in ENTITY_TYPES},
                       index=pd.Index(reviews["review"].to_numpy(), name="review"))  # fmt: skip
    return out


GUIDELINE_VERSION = "1.0"


ENTITY_TYPES = ("FIT", "SIZE", "FABRIC", "COLOR", "STYLE", "QUALITY", "PRICE")


LABELS = ("O",) + tuple(f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I"))


LABEL2ID = {label: i for i, label in enumerate(LABELS)}


IGNORE = -100  # the label id PyTorch's cross-entropy skips


GUIDELINE = """\
Annotation guideline, version 1.0: aspects of a garment in a review sentence.

Mark the shortest phrase that names or describes one aspect of the garment:
  FIT      how it sits on the body: tight, loose, snug, boxy, flowy, flattering,
           "too long", "hits at the knee", "fits perfectly"
  SIZE     sizing relative to the label, and size labels: "runs small",
           "true to size", "sized up", "my usual size", XS, M, 8, petite
  FABRIC   material and how it feels: cotton, linen, lace, lining, soft, thin,
           sheer, itchy, stretchy, heavy
  COLOR    colours and patterns: navy, red, the color, print, floral, stripes
  STYLE    design and look: cut, neckline, details, embroidery, ruffles,
           silhouette, and style words (elegant, boho, classic, casual, edgy)
  QUALITY  construction and durability: quality, well made, stitching, seams,
           "fell apart", pilling, holes, "looks cheap", shrank
  PRICE    price and value: price, sale, expensive, "worth it", "for the money"
Rules:
  * include words that make the aspect specific ("runs small", "see-through",
    "too short"), not intensifiers or hedges (very, super, a bit, slightly);
  * do not mark generic praise or blame (love, cute, beautiful, gorgeous,
    disappointed), comfort in general (comfortable, comfy), garment types
    (dress, top), body parts (bust, hips) or the reviewer's own measurements;
  * a word belongs to one aspect; adjacent aspects are separate spans;
  * when unsure between FIT and SIZE: SIZE speaks of the label or the number,
    FIT of the shape on the body.
"""


# Guideline 1.1: 1.0 plus the rules the adjudication of annotators A and B added
# (data/guideline_1_1.md lists each decision; data/aspects_gold_adjudicated.jsonl)
GUIDELINE_1_1 = GUIDELINE.replace("version 1.0", "version 1.1") + """\
Added in 1.1 (adjudication of two annotations of the test split):
  R1  a fit verb (fits, falls, hits, comes, flows, covers) is marked with its
      manner word or position phrase: "fits great", "fit perfect", "fits like
      the model", "hits just below my waist", "comes just to the ground"; a
      body part inside such a phrase belongs to it, alone it stays O; an
      intensifier inside a span stays (spans are contiguous), at its edges
      it is left out;
  R2  negation and degree are not part of a span: "not tacked down" ->
      "tacked down", "without constricting" -> "constricting", "less than
      tailored" -> "tailored";
  R3  leave out prepositions, determiners, time words and problem words at
      the edges: "on sale" -> "sale", "present price" -> "price", "still in
      good shape" -> "good shape", "sizing issue" -> "sizing", "runs true to
      size" -> "true to size", "slimming effect" -> "slimming";
  R4  words of extent or content are not hedges: "partly wool", "fully
      lined", "between sizes";
  R5  an aspect noun and an adjective describing it are separate spans of one
      type: "the fit was off" -> fit, off; "the color is warm" -> color, warm;
  R6  a garment part (belt, zipper, hem, band) is STYLE when the sentence
      speaks of its design ("the belt is needed", "put a side zipper on
      this"); when it only locates another aspect ("keep the hem where it
      is", "a band ... not tacked down") it is O;
  R7  covering the body's shape is FIT ("covers the bad spots", "covers the
      rear end well"), like flattering; underwear the cut fails to hide ("bra
      showing", "hard to conceal") is STYLE;
  R8  a comparison that is the description is one span ("feels like pj's",
      "fabric used for curtains" FABRIC, "pajama-like" as a dress STYLE); a
      material named only as the standard of an already marked description
      ("as soft as leather") is O;
  R9  large or small said of part of the body, or excess material ("large
      through the body", "a lot of fabric in the back"), is FIT; said of the
      garment against the label bought ("fits a bit large") it is SIZE;
  R10 the reviewer's body stays O even when described ("small waist");
  R11 care instructions (machine washable, hand wash) are O; what washing did
      (shrank, washed up well) is QUALITY;
  R12 eyelet is a fabric (FABRIC, like lace); "rich looking" is QUALITY, the
      opposite of "looks cheap"; a bulky material is FABRIC, like heavy;
      "staple" is a style word; "stick out", "drop the waist" are FIT.
"""


GUIDELINES = {"1.0": GUIDELINE, "1.1": GUIDELINE_1_1}


_WORD_RE = re.compile(r"\$?\d+(?:[.,]\d+)*%?|\w+(?:[-']\w+)*|[^\w\s]")


_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Word]:
    """Split text into words and punctuation, with character offsets."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}.")
    return [Word(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(text)]


def split_sentences(text: str) -> list[str]:
    """Split a review into sentences at ., ! or ? followed by white space."""
    return [s.strip() for s in _SENTENCE_RE.split(text.strip()) if s.strip()]


# --- the weak labeller ------------------------------------------------------------
LEXICON: dict[str, tuple[str, ...]] = {
    "SIZE": (
        "runs small", "runs large", "runs big", "run small", "run large", "run big",
        "ran small", "ran large", "ran big", "true to size", "tts", "size up", "sized up",
        "size down", "sized down", "sizing", "my usual size", "my normal size",
        "my regular size", "usual size", "regular size", "normal size", "petite",
        "petites", "xxs", "xs", "xl", "xxl", "size", "sizes", "one size",
    ),
    "FIT": (
        "fit", "fits", "fitted", "fitting", "tight", "loose", "snug", "boxy", "baggy",
        "roomy", "flowy", "oversized", "form fitting", "form-fitting", "clingy", "hugs",
        "flattering", "unflattering", "too long", "too short", "too big", "too small",
        "too tight", "too loose", "too wide", "drapes", "drape", "hangs", "length",
        "shapeless", "tent", "slim",
    ),
    "FABRIC": (
        "fabric", "material", "cotton", "linen", "silk", "silky", "polyester", "rayon",
        "wool", "cashmere", "denim", "lace", "knit", "jersey", "velvet", "suede",
        "leather", "spandex", "lining", "lined", "soft", "thin", "thick", "sheer",
        "see through", "see-through", "itchy", "scratchy", "stretchy", "stretch",
        "lightweight", "heavy", "breathable", "texture", "flimsy",
    ),
    "COLOR": (
        "color", "colors", "colour", "colours", "pattern", "print", "prints", "floral",
        "stripes", "striped", "plaid", "black", "white", "red", "blue", "navy", "green",
        "pink", "grey", "gray", "ivory", "cream", "yellow", "orange", "purple", "brown",
        "beige", "coral", "olive", "burgundy", "teal", "mustard", "tan",
    ),
    "STYLE": (
        "style", "design", "cut", "details", "detail", "detailing", "embroidery",
        "neckline", "v-neck", "elegant", "classic", "casual", "boho", "feminine", "chic",
        "stylish", "sophisticated", "vintage", "edgy", "silhouette", "ruffles", "ruffle",
        "pleats", "cropped", "versatile",
    ),
    "QUALITY": (
        "quality", "well made", "poorly made", "cheaply made", "well constructed",
        "construction", "stitching", "seams", "seam", "durable", "fell apart", "pilled",
        "pilling", "pills", "ripped", "tore", "holes", "hole", "snagged", "cheap",
        "sturdy", "shrank", "shrunk", "faded", "unraveling",
    ),
    "PRICE": (
        "price", "priced", "pricey", "expensive", "sale", "on sale", "worth it", "worth",
        "money", "cost", "overpriced", "bargain", "discount", "full price", "steal",
    ),
}  # fmt: skip


# Size labels after a verb of buying or wearing: "ordered the small", "got a 4".
_SIZE_AFTER = {"ordered", "bought", "got", "purchased", "tried", "wear", "wearing", "took", "in", "exchanged"}


_SIZE_WORDS = {"xxs", "xs", "s", "m", "l", "xl", "small", "medium", "large", "petite", "0p", "00p", "sp", "xsp", "mp"}


_DETERMINERS = {"a", "an", "the", "my", "size"}


def _phrases() -> list[tuple[tuple[str, ...], str]]:
    entries = [(tuple(p.split()), t) for t, ps in LEXICON.items() for p in ps]
    return sorted(entries, key=lambda e: -len(e[0]))  # longest match first


_PHRASES = _phrases()


def weak_label(words: Sequence[str]) -> list[str]:
    """BIO tags from the lexicon (longest match first) and a size-label pattern.

    A deliberately simple labeller: it sees only the words of :data:`LEXICON`,
    so it misses paraphrases ("hugs my curves") and mislabels ambiguous words
    ("cheap" price vs quality). Chapter 3 measures both on the gold set.
    """
    lower = [w.lower() for w in words]
    tags = ["O"] * len(words)
    i = 0
    while i < len(lower):
        for phrase, label in _PHRASES:
            n = len(phrase)
            if tuple(lower[i : i + n]) == phrase:
                tags[i] = f"B-{label}"
                for j in range(i + 1, i + n):
                    tags[j] = f"I-{label}"
                i += n
                break
        else:
            i += 1
    for i, w in enumerate(lower):  # "ordered the small", "got a 4"
        if tags[i] != "O" or not (w in _SIZE_WORDS or re.fullmatch(r"\d{1,2}p?", w)):
            continue
        j = i - 1
        while j >= 0 and lower[j] in _DETERMINERS:
            j -= 1
        if j >= 0 and lower[j] in _SIZE_AFTER and i - j <= 3:
            tags[i] = "B-SIZE"
    return tags


def spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entity spans ``(type, first word, last word + 1)`` of a BIO sequence.

    An ``I-`` tag that does not continue a span of its type starts a new one
    (the same lenient reading as seqeval's default mode).
    """
    out, current = [], None
    for i, tag in enumerate(list(tags) + ["O"]):
        kind = tag[2:] if tag != "O" else None
        if current and (tag == "O" or tag.startswith("B-") or kind != current[0]):
            out.append((current[0], current[1], i))
            current = None
        if kind and current is None:
            current = (kind, i)
    return out


# --- sub-word alignment ------------------------------------------------------------
def align_labels(word_ids: Sequence[int | None], word_labels: Sequence[int]) -> list[int]:
    """Label ids per sub-word token from label ids per word.

    The first sub-word of each word gets the word's label; continuation
    sub-words and special tokens (``word_id`` None) get :data:`IGNORE`, so the
    loss and the metrics count each word exactly once. (The source article
    padded word tags against sub-word tokens, shifting every label after the
    first split word.)
    """
    out, previous = [], None
    for wid in word_ids:
        if wid is None:
            out.append(IGNORE)
        elif wid != previous:
            if wid >= len(word_labels):
                raise ValueError(f"word id {wid} has no label ({len(word_labels)} labels).")
            out.append(int(word_labels[wid]))
        else:
            out.append(IGNORE)
        previous = wid
    return out


# --- gold annotations ------------------------------------------------------------------
GOLD_PATH = data_dir() / "aspects_gold.jsonl"


# the test split annotated a second time, independently (annotator B; data/README.md)
SECOND_ANNOTATION_PATH = data_dir() / "aspects_gold_b.jsonl"


# A and B's disagreements decided by an adjudicator under guideline 1.1
ADJUDICATED_PATH = data_dir() / "aspects_gold_adjudicated.jsonl"


def load_gold(path: str | Path = GOLD_PATH) -> list[dict]:
    """Read and validate the gold sentences (one JSON object per line).

    Each record has ``id``, ``review``, ``split`` (dev/test), ``guideline``,
    ``text``, ``tokens`` and ``tags`` (BIO, one per token). A malformed line
    raises ``ValueError`` naming the file and line.
    """
    path = Path(path)
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path.name}, line {number}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno}).") from None
            missing = {"id", "split", "guideline", "text", "tokens", "tags"} - set(rec)
            if missing:
                raise ValueError(f"{where}: missing field(s) {sorted(missing)}.")
            if len(rec["tokens"]) != len(rec["tags"]):
                raise ValueError(
                    f"{where}: {len(rec['tokens'])} tokens but {len(rec['tags'])} tags."
                )
            bad = [t for t in rec["tags"] if t not in LABEL2ID]
            if bad:
                raise ValueError(f"{where}: unknown tag(s) {sorted(set(bad))}; allowed: {LABELS}.")
            if rec["split"] not in ("dev", "test"):
                raise ValueError(f"{where}: split must be 'dev' or 'test', got {rec['split']!r}.")
            records.append(rec)
    if not records:
        raise ValueError(f"{path} holds no annotations.")
    return records


# --- training data from the weak labeller ---------------------------------------------
def weak_examples(texts: Sequence[str], min_words: int = 5, max_words: int = 40) -> list[dict]:
    """Sentences of ``texts`` with words and weak BIO tags, ready for training."""
    out = []
    for text in texts:
        for sentence in split_sentences(text):
            words = [w.text for w in tokenize(sentence)]
            if min_words <= len(words) <= max_words:
                out.append({"tokens": words, "tags": weak_label(words)})
    return out


def encode_examples(tokenizer: PreTrainedTokenizerBase, examples: Sequence[dict],
                    max_length: int = 128) -> list[dict]:  # fmt: skip
    """Sub-word ids, attention masks and aligned label ids (see :func:`align_labels`).

    Sentences longer than ``max_length`` sub-words are truncated; the words cut
    off get no label and, at prediction time, the tag ``O``.
    """
    out = []
    for ex in examples:
        enc = tokenizer(ex["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
        labels = align_labels(enc.word_ids(), [LABEL2ID[t] for t in ex["tags"]])
        out.append({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "labels": labels})
    return out


def new_tagger(model: str | None = None, *, loading_info: bool = False) -> tuple:
    """MiniLM with a new, randomly initialised token-classification head.

    Returns ``(tokenizer, net)``, or ``(tokenizer, net, info)`` with
    ``loading_info=True``: ``info["missing_keys"]`` are the weights the
    checkpoint lacks (the new head), ``info["unexpected_keys"]`` those it holds
    that the tagger does not use (the pooler). transformers' own loading report,
    which names the folder the model was read from, is silenced for this call.
    """
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from .embeddings import model_dir

    path = model_dir() if model is None else model
    tokenizer = AutoTokenizer.from_pretrained(path)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the report is returned in info instead
    try:
        net, info = AutoModelForTokenClassification.from_pretrained(
            path,
            num_labels=len(LABELS),
            id2label=dict(enumerate(LABELS)),
            label2id=LABEL2ID,
            output_loading_info=True,
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    if loading_info:
        return tokenizer, net, {k: sorted(v) for k, v in info.items() if k.endswith("_keys")}
    return tokenizer, net


def add_lora(net: torch.nn.Module, r: int = 8, alpha: int = 16,
             dropout: float = 0.1) -> torch.nn.Module:  # fmt: skip
    """Wrap ``net`` with LoRA adapters on the query and value projections (``peft``).

    Only the adapters and the new classification head are trained.
    """
    import warnings

    from peft import LoraConfig, TaskType, get_peft_model

    config = LoraConfig(
        task_type=TaskType.TOKEN_CLS, r=r, lora_alpha=alpha, lora_dropout=dropout,
        target_modules=["query", "value"],
    )  # fmt: skip
    with warnings.catch_warnings():
        # peft's PeftModel.__init__ reads the model's `is_gradient_checkpointing`,
        # which transformers 5 deprecates in favour of `is_activation_checkpointing`
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated",
                                category=FutureWarning)  # fmt: skip
        return get_peft_model(net, config)


@dataclass
class TrainResult:
    """What :func:`train` reports."""

    seconds: float
    trainable_parameters: int
    total_parameters: int
    losses: list


def train(
    net: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    encoded: Sequence[dict],
    *,
    epochs: int = 2,
    batch_size: int = 16,
    lr: float = 5e-5,
    seed: int = SEED,
    device: str | None = None,
    precision: str | None = None,
    progress: bool = True,
    bf16: bool | None = None,
) -> TrainResult:
    """A short training loop: AdamW, linear warm-up and decay, cross-entropy on
    the aligned labels (-100 positions ignored), a progress bar with the loss.

    The model is moved to ``device`` (default :func:`llmrec_utils.config.device`:
    CUDA when present) and stays there; every batch follows it. ``precision``
    (default :func:`llmrec_utils.config.precision`: bfloat16 on a GPU that
    supports it, on a CPU only where measured faster) ``"bfloat16"`` runs
    forward and backward under ``torch.autocast`` in bfloat16 (weights and
    optimizer stay float32). ``bf16=True/False`` is the deprecated spelling of
    ``precision="bfloat16"/"float32"``.
    """
    import time
    import warnings

    import torch
    from tqdm import tqdm
    from transformers import (
        DataCollatorForTokenClassification,
        get_linear_schedule_with_warmup,
    )

    from .. import config

    if not encoded:
        raise ValueError("No training examples: the weak labeller produced an empty set.")
    if bf16 is not None:
        warnings.warn("ner.train(bf16=...) is deprecated; use precision='bfloat16' or 'float32'.",
                      DeprecationWarning, stacklevel=2)  # fmt: skip
        if precision is None:
            precision = "bfloat16" if bf16 else "float32"
    device = config.device(device)
    dtype = torch.bfloat16 if config.precision(device, precision) == "bfloat16" else torch.float32
    net.to(device)
    torch.manual_seed(seed)
    collate = DataCollatorForTokenClassification(tokenizer, padding=True)
    order = torch.Generator().manual_seed(seed)
    loader = torch.utils.data.DataLoader(
        list(encoded), batch_size=batch_size, shuffle=True, generator=order, collate_fn=collate
    )
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = epochs * len(loader)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
    net.train()
    losses, start = [], time.perf_counter()
    bar = tqdm(total=steps, desc="training", unit="batch", disable=not progress)
    for _ in range(epochs):
        for batch in loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            with torch.autocast(config.device_type(device), dtype=dtype,
                                enabled=dtype != torch.float32):  # fmt: skip
                loss = net(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            bar.update(1)
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
    bar.close()
    net.eval()
    return TrainResult(
        time.perf_counter() - start,
        sum(p.numel() for p in params),
        sum(p.numel() for p in net.parameters()),
        losses,
    )


def predict(net: torch.nn.Module, tokenizer: PreTrainedTokenizerBase,
            sentences: Sequence[Sequence[str]], *, batch_size: int = 64,
            max_length: int = 128, progress: bool = False) -> list[list[str]]:
    """Word-level BIO tags: the prediction at each word's first sub-word.

    Words cut off by truncation (beyond ``max_length`` sub-words) get ``O``.
    Runs on the device the model is on (float32).
    """
    import torch
    from tqdm import tqdm

    device = next(net.parameters()).device

    out: list[list[str] | None] = [None] * len(sentences)
    order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))
    bar = tqdm(total=len(sentences), desc="tagging", unit="sentence", disable=not progress)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            words = [list(sentences[i]) or [""] for i in rows]
            enc = tokenizer(words, is_split_into_words=True, truncation=True,
                            max_length=max_length, padding=True, return_tensors="pt")
            best = net(input_ids=enc["input_ids"].to(device),
                       attention_mask=enc["attention_mask"].to(device)).logits.argmax(-1).cpu()
            for b, i in enumerate(rows):
                tags = ["O"] * len(sentences[i])
                previous = None
                for position, wid in enumerate(enc.word_ids(b)):
                    if wid is not None and wid != previous and wid < len(tags):
                        tags[wid] = LABELS[int(best[b, position])]
                    previous = wid
                out[i] = tags
            bar.update(len(rows))
    bar.close()
    return out  # type: ignore[return-value]


# --- entity-level scores -------------------------------------------------------------------
def entity_counts(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> np.ndarray:
    """Per sentence and entity type: true positives, predicted and gold entities.

    An entity counts as found only if type and both boundaries match (the
    CoNLL definition that ``seqeval`` implements). Returns an array of shape
    (sentences, types, 3).
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted.")
    counts = np.zeros((len(gold), len(ENTITY_TYPES), 3), dtype=np.int64)
    index = {t: k for k, t in enumerate(ENTITY_TYPES)}
    for s, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise ValueError(f"sentence {s}: {len(g)} gold tags but {len(p)} predicted.")
        gs, ps = set(spans(g)), set(spans(p))
        for kind, *_ in gs & ps:
            counts[s, index[kind], 0] += 1
        for kind, *_ in ps:
            counts[s, index[kind], 1] += 1
        for kind, *_ in gs:
            counts[s, index[kind], 2] += 1
    return counts


def _prf(c):
    tp, n_pred, n_gold = c[..., 0], c[..., 1], c[..., 2]
    p = np.divide(tp, n_pred, out=np.zeros(tp.shape), where=n_pred > 0)
    r = np.divide(tp, n_gold, out=np.zeros(tp.shape), where=n_gold > 0)
    f = np.divide(2 * p * r, p + r, out=np.zeros(tp.shape), where=(p + r) > 0)
    return p, r, f


def entity_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], *,
                  n_boot: int = 1000, seed: int = SEED,
                  alpha: float = 0.05) -> pd.DataFrame:  # fmt: skip
    """Entity-level precision, recall and F1 per type and micro-averaged, with a
    bootstrap interval of F1 over sentences (resampled with replacement)."""
    counts = entity_counts(gold, pred)
    per_type = counts.sum(axis=0)  # (types, 3)
    micro = per_type.sum(axis=0, keepdims=True)
    table = np.concatenate([per_type, micro])
    p, r, f = _prf(table)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(counts), size=(n_boot, len(counts)))
    boot = counts[draws].sum(axis=1)  # (n_boot, types, 3)
    boot = np.concatenate([boot, boot.sum(axis=1, keepdims=True)], axis=1)
    _, _, bf = _prf(boot)
    low, high = np.quantile(bf, [alpha / 2, 1 - alpha / 2], axis=0)
    return pd.DataFrame(
        {"precision": p, "recall": r, "f1": f, "f1 low": low, "f1 high": high, "support": table[:, 2]},
        index=list(ENTITY_TYPES) + ["micro"],
    )


def micro_f1(counts: np.ndarray) -> float:
    """Micro-averaged entity F1 of :func:`entity_counts` (summed over sentences
    and types): ``2 tp / (predicted + gold)``, 0 when both are empty."""
    tp, n_pred, n_gold = np.asarray(counts).reshape(-1, 3).sum(axis=0)
    return float(2 * tp / (n_pred + n_gold)) if n_pred + n_gold else 0.0


def paired_f1_difference(gold: Sequence[Sequence[str]], pred_a: Sequence[Sequence[str]],
                         pred_b: Sequence[Sequence[str]], *,
                         gold_b: Sequence[Sequence[str]] | None = None,
                         n_boot: int = 1000, alpha: float = 0.05,
                         seed: int = SEED) -> Interval:  # fmt: skip
    """Micro-F1 of ``pred_b`` minus micro-F1 of ``pred_a`` on the same
    sentences, with a paired bootstrap interval over sentences.

    Each resample draws sentences with replacement and scores both taggers on
    the same draw, so the interval is that of the difference, not of either
    score. ``gold_b`` (default ``gold``) scores ``pred_b`` against another
    annotation of the same sentences: ``paired_f1_difference(a, p, p,
    gold_b=b)`` is how much F1 the tagger ``p`` gains or loses when annotator
    B replaces A. Returns an :class:`llmrec_utils.evaluation.uncertainty.Interval`
    from :func:`~llmrec_utils.evaluation.uncertainty.paired_bootstrap_diff`
    (the cases are sentences, each tagger's per-sentence counts its "predictions").
    """
    from ..evaluation.uncertainty import paired_bootstrap_diff

    gold_b = gold if gold_b is None else gold_b
    counts_a, counts_b = entity_counts(gold, pred_a), entity_counts(gold_b, pred_b)
    if len(counts_a) != len(counts_b):
        raise ValueError(f"{len(counts_a)} sentences for pred_a but {len(counts_b)} for pred_b.")
    per_sentence_a, per_sentence_b = counts_a.sum(axis=1), counts_b.sum(axis=1)  # (n, 3)
    return paired_bootstrap_diff(lambda _, counts: micro_f1(counts), per_sentence_a,
                                 per_sentence_a, per_sentence_b, n_boot, alpha, seed)  # fmt: skip


def agreement(tags_a: Sequence[Sequence[str]], tags_b: Sequence[Sequence[str]]) -> dict:
    """Agreement between two annotations of the same sentences.

    ``span_f1``: entity-level F1 of one against the other (exact type and
    boundaries; symmetric, so it does not matter which is the reference),
    ``per_type`` its F1 per type, ``kappa``: Cohen's kappa over the BIO tags of
    all tokens (chance-corrected, so the many ``O`` tokens do not inflate it).
    """
    from sklearn.metrics import cohen_kappa_score

    scores = entity_scores(tags_a, tags_b, n_boot=2)
    flat_a = [t for tags in tags_a for t in tags]
    flat_b = [t for tags in tags_b for t in tags]
    return {"span_f1": float(scores.loc["micro", "f1"]),
            "per_type": scores["f1"].drop("micro"),
            "kappa": float(cohen_kappa_score(flat_a, flat_b))}  # fmt: skip


# --- tagging raw text ------------------------------------------------------------------------
def tag_text(net: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text: str, *,
             max_length: int = 128) -> list[dict]:  # fmt: skip
    """Aspect mentions in a review: ``[{"text", "label", "start", "end"}]`` with
    character offsets into ``text``.

    The review is split into sentences first; a sentence longer than
    ``max_length`` sub-words is truncated and its remaining words are not
    tagged. Empty or blank text gives ``[]``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}.")
    found, offset = [], 0
    sentences = split_sentences(text)
    words_per_sentence = []
    for sentence in sentences:
        start = text.index(sentence, offset)
        offset = start + len(sentence)
        words_per_sentence.append([Word(w.text, w.start + start, w.end + start) for w in tokenize(sentence)])
    tags = predict(net, tokenizer, [[w.text for w in ws] for ws in words_per_sentence], max_length=max_length)
    for words, sentence_tags in zip(words_per_sentence, tags):
        for kind, i, j in spans(sentence_tags):
            a, b = words[i].start, words[j - 1].end
            found.append({"text": text[a:b], "label": kind, "start": a, "end": b})
    return found


def aspect_item_features(mentions: pd.DataFrame) -> pd.DataFrame:
    """Item features from per-review aspect mentions.

    ``mentions``: one row per review with ``item``, ``rating`` and one boolean
    column per entity type (does the review mention it?). Returns one row per
    item: ``n_reviews``, ``share_<TYPE>`` (share of its reviews mentioning the
    aspect) and ``rating_<TYPE>`` (mean rating of those reviews; NaN if none).
    """
    missing = [c for c in ("item", "rating", *ENTITY_TYPES) if c not in mentions.columns]
    if missing:
        raise ValueError(f"mentions is missing column(s) {missing}.")
    grouped = mentions.groupby("item")
    out = pd.DataFrame({"n_reviews": grouped.size()})
    for kind in ENTITY_TYPES:
        out[f"share_{kind}"] = grouped[kind].mean()
        out[f"rating_{kind}"] = mentions["rating"].where(mentions[kind]).groupby(mentions["item"]).mean()
    return out.reset_index()


def train_cached(net: torch.nn.Module, tokenizer: PreTrainedTokenizerBase,
                 encoded: Sequence[dict], name: str, **kwargs) -> TrainResult:
    """:func:`train`, or load the weights a previous identical run saved.

    The key hashes the training data, the hyper-parameters, the model's
    parameter names and shapes, and the torch version; the weights of the
    trainable parameters are stored under ``artifacts/ner/<name>-<key>.pt``
    (written atomically). A second execution of chapter 3 (the book build,
    then the notebook tests) thus trains once. ``TrainResult.seconds`` is the
    time of the run that trained. The key holds the resolved precision, not the
    device: weights trained on a GPU are loaded onto a CPU and vice versa
    (onto the device :func:`train` would use).
    """
    import hashlib
    import warnings

    import torch

    from .. import config
    from ..config import artifacts_dir

    kwargs = dict(kwargs)
    bf16 = kwargs.pop("bf16", None)
    if bf16 is not None:
        warnings.warn("ner.train_cached(bf16=...) is deprecated; use precision='bfloat16' or 'float32'.",
                      DeprecationWarning, stacklevel=2)  # fmt: skip
        kwargs.setdefault("precision", "bfloat16" if bf16 else "float32")
    device = kwargs["device"] = config.device(kwargs.get("device"))
    kwargs["precision"] = config.precision(device, kwargs.get("precision"))
    keyed = {k: v for k, v in kwargs.items() if k not in ("device", "progress")}
    h = hashlib.sha256()
    h.update(json.dumps([list(e["input_ids"]) + list(e["labels"]) for e in encoded]).encode())
    h.update(json.dumps(sorted(keyed.items()), default=str).encode())
    h.update(json.dumps([(n, list(p.shape), p.requires_grad) for n, p in net.named_parameters()]).encode())
    h.update(torch.__version__.encode())
    folder = artifacts_dir() / "ner"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{h.hexdigest()[:16]}.pt"
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    if path.exists():
        try:
            saved = torch.load(path, map_location=device, weights_only=False)
            net.to(device)
            net.load_state_dict(saved["weights"], strict=False)
            net.eval()
            config.logger().info(f"loaded the weights of an identical earlier run ({path.name})")
            return TrainResult(**saved["result"])
        except Exception as exc:  # corrupt or from another version: train again
            config.warn_corrupt(path, exc, "training again")
    result = train(net, tokenizer, encoded, **kwargs)
    weights = {n: t for n, t in net.state_dict().items() if n in trainable}
    config.write_atomic(path, lambda tmp: torch.save({"weights": weights, "result": result.__dict__}, tmp))
    return result
