"""Product-aspect tagging in clothing reviews: words, BIO tags, a weak labeller,
sub-word label alignment and the gold annotations.

Taught in ``notebooks/03_ner_finetuning.ipynb``. The annotation guideline is
:data:`GUIDELINE` (version :data:`GUIDELINE_VERSION`); the gold sentences are in
``data/aspects_gold.jsonl``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

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
GOLD_PATH = Path(__file__).resolve().parents[1] / "data" / "aspects_gold.jsonl"


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
