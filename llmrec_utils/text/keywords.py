"""Keyword extraction from short texts: TF-IDF, embedding similarity and maximal
marginal relevance (MMR).

Taught in ``notebooks/02_text_embeddings.ipynb`` (section "Keywords from
reviews"), which checks :func:`embedding_keywords` against KeyBERT
(Grootendorst 2020) on the same encoder and candidates, and scores both methods
against chapter 3's gold aspect spans (:func:`aspect_hits`).

The candidates of a text are its 1- and 2-word n-grams after English stop words
are removed, as scikit-learn's ``CountVectorizer`` analyser makes them (the
candidates KeyBERT uses with ``keyphrase_ngram_range=(1, 2)``); a text's
candidates are sorted alphabetically, so ties break the same way everywhere.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from .embeddings import Encoder

NGRAMS = (1, 2)  # candidate lengths, in words


class Keyword(NamedTuple):
    """One extracted keyword and the score that ranked it."""

    phrase: str
    score: float


def analyser(ngram_range: tuple[int, int] = NGRAMS, stop_words: str | None = "english"
             ) -> Callable[[str], list[str]]:  # fmt: skip
    """scikit-learn's word analyser: lower-case, tokens of 2+ word characters,
    English stop words removed (``stop_words=None`` keeps them), then n-grams of
    ``ngram_range`` words. scikit-learn's list holds some clothing words too
    ("thin", "thick", "top", "back", "made"): no candidate can be one of them."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(ngram_range=ngram_range, stop_words=stop_words).build_analyzer()


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string; wrap it in a list.")
    texts = list(texts)
    if not texts:
        raise ValueError("texts is empty: give at least one text.")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] is {type(t).__name__}, not a string.")
        if not t.strip():
            raise ValueError(f"texts[{i}] is empty: there is nothing to extract keywords from.")
    return texts


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number >= 1, got {k!r}.")
    return int(k)


def candidates(text: str, ngram_range: tuple[int, int] = NGRAMS) -> list[str]:
    """The distinct candidate n-grams of one text, sorted (may be empty when the
    text has only stop words)."""
    (text,) = _check_texts([text])
    return sorted(set(analyser(ngram_range)(text)))


# --- TF-IDF --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Idf:
    """Inverse document frequencies of n-grams, fitted on a corpus.

    ``idf(t) = ln((1 + n) / (1 + df(t))) + 1`` (scikit-learn's smoothed idf), so
    an n-gram the corpus never saw gets the largest weight, ``ln(1 + n) + 1``.
    """

    df: dict[str, int]
    n_docs: int
    ngram_range: tuple[int, int] = NGRAMS

    @classmethod
    def fit(cls, corpus: Sequence[str], ngram_range: tuple[int, int] = NGRAMS) -> "Idf":
        """Count in how many documents of ``corpus`` each n-gram occurs."""
        corpus = _check_texts(corpus)
        analyse, df = analyser(ngram_range), Counter()
        for doc in corpus:
            df.update(set(analyse(doc)))
        return cls(dict(df), len(corpus), tuple(ngram_range))

    def __call__(self, term: str) -> float:
        return math.log((1 + self.n_docs) / (1 + self.df.get(term, 0))) + 1.0


def tfidf_keywords(texts: Sequence[str], idf: Idf, k: int = 3) -> list[list[Keyword]]:
    """Each text's top-``k`` candidates by TF-IDF: count in the text times
    :class:`Idf` from the corpus (ties broken alphabetically)."""
    texts, k = _check_texts(texts), _check_k(k)
    analyse, out = analyser(idf.ngram_range), []
    for text in texts:
        counts = Counter(analyse(text))
        scored = sorted(((c, counts[c] * idf(c)) for c in sorted(counts)),
                        key=lambda pair: -pair[1])  # stable: alphabetical among ties
        out.append([Keyword(c, float(s)) for c, s in scored[:k]])
    return out


# --- embeddings and MMR --------------------------------------------------------------------
def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("a vector is all zeros: its cosine is undefined.")
    return x / norms


def mmr(doc_vec: np.ndarray, cand_vecs: np.ndarray, k: int, diversity: float = 0.5) -> list[int]:
    """Maximal marginal relevance (Carbonell and Goldstein 1998): pick ``k``
    candidates one at a time, each maximising

        (1 - diversity) * cos(c, doc) - diversity * max_{s picked} cos(c, s);

    the first pick is the candidate most similar to the document. Returns the
    candidates' row indices in the order picked (all of them if fewer than ``k``).
    ``diversity=0`` is the plain ranking by cosine to the document.
    """
    k = _check_k(k)
    if not 0.0 <= float(diversity) <= 1.0:
        raise ValueError(f"diversity must lie in [0, 1], got {diversity!r}.")
    doc, cands = np.asarray(doc_vec, float).ravel(), np.asarray(cand_vecs, float)
    if cands.ndim != 2 or cands.shape[1] != doc.shape[0]:
        raise ValueError(f"cand_vecs must be (candidates, {doc.shape[0]}), got {cands.shape}.")
    if len(cands) == 0:
        return []
    cands = _unit(cands)
    relevance = cands @ _unit(doc)
    between = cands @ cands.T
    picked = [int(np.argmax(relevance))]
    left = [i for i in range(len(cands)) if i != picked[0]]
    while left and len(picked) < k:
        redundancy = between[np.ix_(left, picked)].max(axis=1)
        score = (1 - diversity) * relevance[left] - diversity * redundancy
        picked.append(left.pop(int(np.argmax(score))))
    return picked


def embedding_keywords(texts: Sequence[str], encoder: "Encoder", k: int = 3,
                       diversity: float | None = None) -> list[list[Keyword]]:
    """Each text's top-``k`` candidates by cosine to the text's vector, or picked
    by :func:`mmr` with ``diversity`` when it is given; scores are the cosines
    to the text, keywords in the order ranked (or picked).

    The texts and all their distinct candidates (sorted, as KeyBERT's
    vocabulary) are embedded in one cached call each
    (:func:`~llmrec_utils.text.embeddings.encode_cached`).
    """
    from .embeddings import encode_cached

    texts, k = _check_texts(texts), _check_k(k)
    if diversity is not None and not 0.0 <= float(diversity) <= 1.0:
        raise ValueError(f"diversity must lie in [0, 1], got {diversity!r}.")
    per_text = [candidates(t) for t in texts]
    vocabulary = sorted(set().union(*per_text))
    row = {c: i for i, c in enumerate(vocabulary)}
    doc_vecs = _unit(encode_cached(encoder, texts, progress=False))
    cand_vecs = _unit(encode_cached(encoder, vocabulary, progress=False)) if vocabulary else None
    out = []
    for doc, cands in zip(doc_vecs, per_text):
        if not cands:
            out.append([])
            continue
        vecs = cand_vecs[[row[c] for c in cands]]
        cosine = vecs @ doc
        if diversity is None:
            order = np.argsort(-cosine, kind="stable")[:k]
        else:
            order = mmr(doc, vecs, k, diversity)
        out.append([Keyword(cands[i], float(cosine[i])) for i in order])
    return out


def keybert_model(encoder: "Encoder"):
    """A ``keybert.KeyBERT`` whose backend is ``encoder`` (through the same
    cached encoding), so KeyBERT and :func:`embedding_keywords` see the same vectors."""
    from keybert import KeyBERT
    from keybert.backend import BaseEmbedder

    from .embeddings import encode_cached

    class _BookEncoder(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            return encode_cached(encoder, list(documents), progress=False)

    return KeyBERT(model=_BookEncoder())


# --- scoring against gold aspect spans -----------------------------------------------------
def span_words(tokens: Sequence[str], tags: Sequence[str]) -> list[set[str]]:
    """The gold aspect spans of a BIO-tagged sentence, each as the set of its
    words as the candidate analyser writes them (lower case), stop words kept.
    A span of stop words only ("thin") or of one-letter words (the size "m") is
    an empty or unreachable set that no candidate can find; it still counts."""
    from .ner import spans

    analyse = analyser((1, 1), stop_words=None)
    return [set(analyse(" ".join(tokens[start:end]))) for _, start, end in spans(tags)]


@dataclass(frozen=True)
class Hits:
    """One sentence's keywords scored against its gold spans (NaN where undefined)."""

    precision: float  # share of keywords that share a word with some gold span
    recall: float  # share of gold spans that share a word with some keyword
    n_keywords: int
    n_spans: int


def aspect_hits(keywords: Sequence[str], gold: Sequence[set[str]]) -> Hits:
    """Score one sentence: a keyword *hits* when it shares a word with a gold
    span; a span is *found* when a keyword shares a word with it. Precision is
    NaN without keywords, recall NaN without gold spans."""
    words = [set(k.split()) for k in keywords]
    hit = sum(any(w & g for g in gold) for w in words)
    found = sum(any(w & g for w in words) for g in gold)
    return Hits(hit / len(words) if words else math.nan,
                found / len(gold) if gold else math.nan, len(words), len(gold))


def unreachable(gold: Sequence[set[str]]) -> int:
    """How many gold spans no candidate can find: all their words are stop words
    (or they have no word of two letters or more)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sum(not (g - ENGLISH_STOP_WORDS) for g in gold)


def chance_precision(text: str, gold: Sequence[set[str]]) -> float:
    """Expected precision of keywords drawn at random from the text's candidates
    (the share of its candidates that hit; NaN without candidates)."""
    cands = candidates(text)
    return aspect_hits(cands, gold).precision if cands else math.nan
