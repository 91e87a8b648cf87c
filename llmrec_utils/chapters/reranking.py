"""Chapter 7's re-ranking experiments: EASE's top-N re-ordered by an LLM.

:func:`ll_experiment` (titles scored by their log-likelihood) and
:func:`list_experiment` (a prompted listwise ranking) run the pieces of
:mod:`llmrec_utils.text.rerank` on the book's splits and compare them with
EASE, paired over users; ``llmrec rerank`` calls them. Both start from the same
:func:`setup` (EASE's top-N for a seeded sample of test users) and end in the
same lists (:func:`reranked_lists`: EASE's order, the LLM's, the blends and a
seeded random order of the same candidates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import SEED
from ..data.columns import SCORE, USER
from ..text import llm
from ..text.rerank import (
    N_CANDIDATES,
    LLScorer,
    Skipped,
    blend,
    candidates,
    histories,
    list_metrics,
    ll_scores,
    llm_ranking,
    position_bias,
    rerank,
    shuffle_positions,
)


# --- the whole log-likelihood re-ranking on a protocol split --------------------------
def default_cache(model: str = llm.DEFAULT_MODEL) -> Path:
    """Where a model's log-likelihood scores are cached (not committed: they
    are cheap to remake and specific to the model)."""
    from ..config import cache_dir
    from ..text.augment import run_name

    return cache_dir() / "rerank" / run_name(model) / "ll-scores.jsonl"


def sample_users(split, n: int, seed: int = SEED) -> np.ndarray:
    """A seeded sample of ``n`` of the split's test users (all if ``n`` is 0), sorted."""
    users = np.sort(split.test[USER].unique())
    if n and n < len(users):
        users = np.sort(np.random.default_rng(seed).choice(users, size=n, replace=False))
    return users


@dataclass
class Setup:
    """What both experiments start from (:func:`setup`)."""

    split: object  # the protocol split (splits.Split)
    lam: float  # EASE's lambda, chapter 4's choice
    users: np.ndarray  # the sampled test users, sorted
    candidates: pd.DataFrame  # EASE's top-n of each user: user, item, rank, score
    skipped: Skipped  # users with no candidates, with why
    items: pd.DataFrame  # the films, with titles
    histories: dict  # user -> the titles shown as their history


def setup(split: str = "warm", users: int = 50, n: int = N_CANDIDATES,
          seed: int = SEED) -> Setup:  # fmt: skip
    """EASE (``lam`` from ``choices.chosen("ease")``) fitted on the training
    part of ``splits.standard_split(split)``, its top-``n`` for ``users``
    sampled test users (:func:`sample_users`), and their histories."""
    from ..data import loaders, splits
    from ..models import mf
    from . import choices

    sp = splits.standard_split(split, seed)
    lam = choices.chosen("ease")["lam"]
    base = mf.EASE(lam, seed=seed).fit(sp.train)
    chosen_users = sample_users(sp, users, seed)
    cands, skipped = candidates(base, chosen_users, n)
    items = loaders.load_ml100k_items()
    return Setup(sp, lam, chosen_users, cands, skipped, items, histories(sp.train, items))


def reranked_lists(s: Setup, scores: pd.DataFrame, column: str, name: str,
                   weights: Sequence[float], seed: int = SEED) -> dict:  # fmt: skip
    """Per-user NDCG@10 and Recall@20 of EASE's order ("EASE"), of the LLM
    score ``column`` alone (``name``), of each blend ("blend w=...") and of a
    random order of the same candidates ("random order", seeded), on the test
    rows of the users not skipped."""
    rng = np.random.default_rng(seed)
    lists = {"EASE": rerank(scores, SCORE), name: rerank(scores, column)}
    for w in weights:
        lists[f"blend w={w:g}"] = rerank(scores, blend(scores, column, w))
    lists["random order"] = rerank(scores, pd.Series(rng.random(len(scores)), index=scores.index))
    kept = [u for u in s.users if u not in s.skipped.reasons]
    return list_metrics(lists, s.split.test, kept, ("NDCG@10", "Recall@20"))


def ll_experiment(model: str = llm.DEFAULT_MODEL, split: str = "warm", users: int = 50,
                  n: int = N_CANDIDATES, weights: Sequence[float] = (0.25, 0.5, 1.0),
                  column: str = "ll_mean", prior: bool = True, seed: int = SEED,
                  scorer: LLScorer | None = None) -> dict:  # fmt: skip
    """EASE's top-``n`` for ``users`` sampled test users of
    ``splits.standard_split(split)`` (:func:`setup`), re-ranked by the
    log-likelihood ``column`` of ``model`` and blended with weights ``weights``.

    Returns ``scores`` (every candidate's scores), ``per_user``
    (:func:`reranked_lists`: "EASE", "LL", "blend w=...", "random order"), ``skipped``
    (users with no candidates or history) and ``seconds`` (scoring wall time).
    Choose ``w`` on ``split="warm-validation"``; report on ``"warm"``.
    """
    import time

    s = setup(split, users, n, seed)
    scorer = scorer or LLScorer(model, cache=default_cache(model))
    t0 = time.perf_counter()
    scores, no_history = ll_scores(scorer, s.candidates, s.histories, s.items, prior)
    seconds = time.perf_counter() - t0
    s.skipped.reasons.update(no_history.reasons)
    per_user = reranked_lists(s, scores, column, "LL", weights, seed)
    return {"scores": scores, "per_user": per_user, "skipped": s.skipped, "seconds": seconds,
            "lam": s.lam, "forward_passes": scorer.forward_passes}  # fmt: skip


RANK_FILE = "rerank-list.jsonl"  # the listwise answers, in data/generations/<model's folder>/


def list_experiment(generator: llm.Generator | None = None, model: str = llm.DEFAULT_MODEL,
                    split: str = "warm", users: int = 50, n: int = N_CANDIDATES,
                    weights: Sequence[float] = (0.25, 0.5, 1.0), seed: int = SEED,
                    path: Path | None = None, replay: bool = False) -> dict:  # fmt: skip
    """The prompted listwise ranking of EASE's top-``n`` for ``users`` sampled
    test users of ``splits.standard_split(split)``, through the cache
    ``data/generations/<model's folder>/rerank-list.jsonl`` (``replay=True``
    reads it with :class:`llm.CacheOnly`, loading no model, as chapter 6 does).

    Returns ``run`` (:class:`RankingRun`), ``bias`` (:func:`position_bias`),
    ``per_user`` (:func:`reranked_lists`: "EASE", "LLM list", "blend w=...",
    "random order") and ``skipped``.
    """
    from ..text import augment

    s = setup(split, users, n, seed)
    folder = augment.run_name(model)
    if replay:
        generator = llm.CacheOnly(augment.run_model_id(folder, (RANK_FILE,)),
                                  "llmrec rerank --how list")
    elif generator is None:
        generator = llm.load_generator(model)
    cache = llm.GenerationCache(path or augment.run_dir(folder) / RANK_FILE)
    run = llm_ranking(generator, shuffle_positions(s.candidates, seed), s.histories, s.items,
                      cache)  # fmt: skip
    s.skipped.reasons.update(run.skipped.reasons)
    per_user = reranked_lists(s, run.scores, "llm_score", "LLM list", weights, seed)
    return {"run": run, "bias": position_bias(run), "per_user": per_user, "skipped": s.skipped}
