"""Chapter 7's re-ranking experiments: EASE's top-N re-ordered by an LLM.

:func:`ll_experiment` (titles scored by their log-likelihood) and
:func:`list_experiment` (a prompted listwise ranking) run the pieces of
:mod:`llmrec_utils.text.rerank` on the book's splits and compare them with
EASE, paired over users; ``llmrec rerank`` calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import SEED
from ..data.columns import SCORE, USER
from ..text import llm
from ..text.rerank import (
    N_CANDIDATES,
    LLScorer,
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


def ll_experiment(model: str = llm.DEFAULT_MODEL, split: str = "warm", users: int = 50,
                  n: int = N_CANDIDATES, weights: Sequence[float] = (0.25, 0.5, 1.0),
                  column: str = "ll_mean", prior: bool = True, seed: int = SEED,
                  scorer: LLScorer | None = None) -> dict:  # fmt: skip
    """EASE's top-``n`` (``lam`` from ``choices.chosen("ease")``) for ``users``
    sampled test users of ``splits.standard_split(split)``, re-ranked by the
    log-likelihood ``column`` of ``model`` and blended with weights ``weights``.

    Returns ``scores`` (every candidate's scores), ``per_user`` (name -> per-user
    NDCG@10 and Recall@20 of "EASE", "LL" and "blend w=..."), ``skipped``
    (users with no candidates or history) and ``seconds`` (scoring wall time).
    Choose ``w`` on ``split="warm-validation"``; report on ``"warm"``.
    """
    import time

    from ..data import loaders, splits
    from ..models import mf
    from . import choices

    sp = splits.standard_split(split, seed)
    lam = choices.chosen("ease")["lam"]
    base = mf.EASE(lam, seed=seed).fit(sp.train)
    chosen_users = sample_users(sp, users, seed)
    cands, skipped = candidates(base, chosen_users, n)
    items = loaders.load_ml100k_items()
    scorer = scorer or LLScorer(model, cache=default_cache(model))
    t0 = time.perf_counter()
    scores, no_history = ll_scores(scorer, cands, histories(sp.train, items), items, prior)
    seconds = time.perf_counter() - t0
    skipped.reasons.update(no_history.reasons)
    lists = {"EASE": rerank(scores, SCORE), "LL": rerank(scores, column)}
    for w in weights:
        lists[f"blend w={w:g}"] = rerank(scores, blend(scores, column, w))
    kept = [u for u in chosen_users if u not in skipped.reasons]
    per_user = list_metrics(lists, sp.test, kept, ("NDCG@10", "Recall@20"))
    return {"scores": scores, "per_user": per_user, "skipped": skipped, "seconds": seconds,
            "lam": lam, "forward_passes": scorer.forward_passes}  # fmt: skip


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
    ``per_user`` ("EASE", "LLM list", "blend w=...") and ``skipped``.
    """
    from ..data import loaders, splits
    from ..models import mf
    from ..text import augment
    from . import choices

    sp = splits.standard_split(split, seed)
    base = mf.EASE(choices.chosen("ease")["lam"], seed=seed).fit(sp.train)
    chosen_users = sample_users(sp, users, seed)
    cands, skipped = candidates(base, chosen_users, n)
    items = loaders.load_ml100k_items()
    folder = augment.run_name(model)
    if replay:
        generator = llm.CacheOnly(augment.run_model_id(folder, (RANK_FILE,)),
                                  "llmrec rerank --how list")
    elif generator is None:
        generator = llm.load_generator(model)
    cache = llm.GenerationCache(path or augment.run_dir(folder) / RANK_FILE)
    run = llm_ranking(generator, shuffle_positions(cands, seed), histories(sp.train, items),
                      items, cache)  # fmt: skip
    skipped.reasons.update(run.skipped.reasons)
    scores = run.scores
    lists = {"EASE": rerank(scores, SCORE), "LLM list": rerank(scores, "llm_score")}
    for w in weights:
        lists[f"blend w={w:g}"] = rerank(scores, blend(scores, "llm_score", w))
    kept = [u for u in chosen_users if u not in skipped.reasons]
    per_user = list_metrics(lists, sp.test, kept, ("NDCG@10", "Recall@20"))
    return {"run": run, "bias": position_bias(run), "per_user": per_user, "skipped": skipped}
