"""Keyword extraction: candidates, TF-IDF on a tiny corpus, MMR on vectors whose answer
is known, agreement with KeyBERT on the same encoder, the gold-span scoring, bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from llmrec_utils.text import embeddings, keywords as kw

SENTENCES = [  # real review sentences (the clothing reviews, as chapter 3's gold set has them)
    "This is the most flattering dress i have bought in years.",
    "i wear either m or l and went with the large for a little extra room, but either "
    "would have fit well.",
    "The first time i wore this tank it started pilling around the arms and down the sides.",
    "The fabric is unbelievably soft, but the bodice runs small.",
    "Love the color and the material is thick enough that it is not see through.",
]


@pytest.fixture(scope="module")
def encoder():
    return embeddings.Encoder.load()


def test_candidates_are_sklearns_ngrams_without_stop_words():
    got = kw.candidates("The fabric is soft, the FABRIC is soft.")
    assert got == ["fabric", "fabric soft", "soft", "soft fabric"]
    assert "thin" not in kw.candidates("thin fabric")  # scikit-learn's list has "thin"
    assert kw.candidates("it is what it is") == []  # stop words only


def test_tfidf_on_a_tiny_corpus():
    corpus = ["soft dress", "soft shirt", "soft skirt", "dress runs small"]
    idf = kw.Idf.fit(corpus, ngram_range=(1, 1))
    assert idf.n_docs == 4 and idf.df["soft"] == 3 and idf.df["dress"] == 2
    assert idf("soft") == pytest.approx(math.log(5 / 4) + 1)
    assert idf("unseen") == pytest.approx(math.log(5) + 1)  # the largest weight
    (top,) = kw.tfidf_keywords(["soft soft dress runs"], idf, k=3)
    # soft: 2 * (ln 5/4 + 1) = 2.446; runs: ln 5/2 + 1 = 1.916; dress: ln 5/3 + 1 = 1.511
    assert [k.phrase for k in top] == ["soft", "runs", "dress"]
    assert top[0].score == pytest.approx(2 * (math.log(5 / 4) + 1))
    # the same ranking as scikit-learn's TfidfVectorizer with the same idf
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(stop_words="english").fit(corpus)
    row = vec.transform(["soft soft dress runs"]).toarray()[0]
    names = vec.get_feature_names_out()
    assert [names[i] for i in np.argsort(-row)[:3]] == ["soft", "runs", "dress"]
    (ties,) = kw.tfidf_keywords(["shirt skirt"], idf, k=1)  # equal scores: alphabetical
    assert ties[0].phrase == "shirt"


def test_mmr_known_answers():
    doc = np.array([1.0, 0.0, 0.0])
    cands = np.array([
        [0.9, 0.1, 0.0],    # 0: closest to the document
        [0.89, 0.11, 0.0],  # 1: a near copy of 0
        [0.6, 0.0, 0.8],    # 2: relevant and different
        [0.0, 1.0, 0.0],    # 3: irrelevant
    ])  # fmt: skip
    assert kw.mmr(doc, cands, 3, diversity=0.0) == [0, 1, 2]  # plain ranking
    assert kw.mmr(doc, cands, 3, diversity=0.5) == [0, 2, 1]  # the near copy waits
    assert kw.mmr(doc, cands, 2, diversity=1.0) == [0, 3]  # only difference counts
    assert kw.mmr(doc, cands * [[1], [5], [2], [3]], 3, 0.5) == [0, 2, 1]  # cosine: scale-free
    assert kw.mmr(doc, cands, 10, 0.5) == [0, 2, 1, 3]  # k > candidates: all of them
    assert kw.mmr(doc, np.empty((0, 3)), 3) == []


def test_ours_equals_keybert_with_and_without_mmr(encoder):
    """Same encoder (KeyBERT's backend calls the book's cached encoder), same
    candidates: the same keywords, in the same order for the plain ranking."""
    model = kw.keybert_model(encoder)
    for k in (1, 3, 5):
        theirs = model.extract_keywords(SENTENCES, keyphrase_ngram_range=(1, 2), top_n=k)
        ours = kw.embedding_keywords(SENTENCES, encoder, k)
        assert [[w for w, _ in t] for t in theirs] == [[x.phrase for x in o] for o in ours]
        for t, o in zip(theirs, ours):
            assert [s for _, s in t] == pytest.approx([x.score for x in o], abs=1e-4)
        for diversity in (0.2, 0.5, 0.8):
            theirs = model.extract_keywords(SENTENCES, keyphrase_ngram_range=(1, 2), top_n=k,
                                            use_mmr=True, diversity=diversity)  # fmt: skip
            ours = kw.embedding_keywords(SENTENCES, encoder, k, diversity=diversity)
            # KeyBERT returns MMR's picks sorted by cosine to the text; ours, in pick order
            assert [sorted(w for w, _ in t) for t in theirs] == [
                sorted(x.phrase for x in o) for o in ours]


def test_keybert_with_sentence_transformers_on_the_same_model_dir(encoder):
    from keybert import KeyBERT
    from sentence_transformers import SentenceTransformer

    reference = KeyBERT(SentenceTransformer(embeddings.model_dir(), device="cpu"))
    theirs = reference.extract_keywords(SENTENCES, keyphrase_ngram_range=(1, 2), top_n=3)
    ours = kw.embedding_keywords(SENTENCES, encoder, 3)
    assert [[w for w, _ in t] for t in theirs] == [[x.phrase for x in o] for o in ours]


def test_aspect_hits_matching_rule():
    tokens = ["The", "well-made", "fabric", "runs", "true", "to", "size", "."]
    tags = ["O", "B-QUALITY", "O", "B-SIZE", "I-SIZE", "I-SIZE", "I-SIZE", "O"]
    gold = kw.span_words(tokens, tags)
    assert gold == [{"well", "made"}, {"runs", "true", "to", "size"}]  # stop words kept
    hits = kw.aspect_hits(["fabric", "true size", "runs"], gold)
    assert hits.precision == pytest.approx(2 / 3) and hits.recall == 0.5  # "well made": unreachable
    assert kw.aspect_hits(["fabric"], gold).recall == 0.0
    sizes = kw.span_words(["went", "with", "the", "m", ",", "too", "thin"],
                          ["O", "O", "O", "B-SIZE", "O", "B-FABRIC", "I-FABRIC"])
    assert sizes == [set(), {"too", "thin"}]
    assert kw.unreachable(sizes + gold) == 3  # "well made": both are stop words too
    assert kw.aspect_hits(["went"], sizes).recall == 0.0  # unreachable spans still count
    assert math.isnan(kw.aspect_hits(["fabric"], []).recall)  # no gold: no recall
    assert math.isnan(kw.aspect_hits([], gold).precision)
    # candidates: fabric, fabric runs, runs, runs small, small; three share "runs"
    assert kw.chance_precision("fabric runs small", [{"runs"}]) == pytest.approx(3 / 5)


def test_bad_inputs(encoder):
    idf = kw.Idf.fit(["soft dress"])
    doc, cands = np.ones(2), np.eye(2)
    for call, match in [
        (lambda: kw.tfidf_keywords([""], idf), "empty"),
        (lambda: kw.tfidf_keywords(["  "], idf), "empty"),
        (lambda: kw.tfidf_keywords([], idf), "empty"),
        (lambda: kw.Idf.fit([]), "empty"),
        (lambda: kw.tfidf_keywords(["soft"], idf, k=0), "k must be"),
        (lambda: kw.embedding_keywords([""], encoder), "empty"),
        (lambda: kw.embedding_keywords(["soft"], encoder, k=0), "k must be"),
        (lambda: kw.embedding_keywords(["soft"], encoder, diversity=1.5), r"\[0, 1\]"),
        (lambda: kw.mmr(doc, cands, 0), "k must be"),
        (lambda: kw.mmr(doc, cands, 2.5), "k must be"),
        (lambda: kw.mmr(doc, cands, 1, diversity=-0.1), r"\[0, 1\]"),
        (lambda: kw.mmr(doc, np.ones((2, 3)), 1), "cand_vecs must be"),
        (lambda: kw.mmr(np.zeros(2), cands, 1), "all zeros"),
    ]:
        with pytest.raises(ValueError, match=match):
            call()
    with pytest.raises(TypeError, match="not one string"):
        kw.tfidf_keywords("soft dress", idf)
