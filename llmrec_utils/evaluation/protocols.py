"""Evaluation protocols: a model scored on a split, per user, with intervals.

:func:`evaluate` fits nothing: it scores a fitted model's recommendations on a
split's test users (per-user NDCG, recall...). :func:`chance_level` is what a
model without information would score on the same candidates,
:func:`sampled_metrics` the sampled-negatives protocol chapter 8 warns about,
:func:`select_by_validation` picks among candidates on a validation split,
:func:`per_fold` runs one experiment on each fold of a cross-validation.
The metrics are in :mod:`.metrics`, the intervals in :mod:`.uncertainty`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..config import SEED
from ..data.columns import ITEM, PREDICTION, USER

if TYPE_CHECKING:
    from ..data.splits import Split
    from ..models.base import Recommender
from typing import TYPE_CHECKING, Mapping

from . import metrics
from .metrics import _parse_metric, chance_metrics, ranking_metrics
from .uncertainty import Interval, bootstrap_ci

if TYPE_CHECKING:
    from ..data.splits import Split
    from ..models.base import Recommender

__all__ = ['sampled_metrics']  # fmt: skip


def sampled_metrics(model: Recommender, split: Split, n_negatives: int = 100, k: int = 10,
                    seed: int = SEED) -> pd.DataFrame:  # fmt: skip
    """The *sampled* protocol: rank each test item among ``n_negatives`` random
    items the user never rated, and report HR@k and NDCG@k per test pair.

    Common in papers, and misleading (Krichene and Rendle, 2020): it can
    reorder models relative to full ranking. ``model`` is fitted on
    ``split.train``; test pairs with an id it does not know are left out, the
    negatives are drawn from the items it knows (``model.items_``), and the
    scores are its ranking scores (``model.score``, unclipped, so a rating model
    does not tie every item it predicts above the top of the scale). Returns a
    per-pair DataFrame.
    """
    rng = np.random.default_rng(seed)
    items = model.items_.to_numpy()
    test = split.test[split.test[ITEM].isin(model.items_) & split.test[USER].isin(model.users_)]
    rated = pd.concat([split.train, split.test]).groupby(USER)[ITEM].agg(set)
    hr, ndcg = [], []
    for user, group in test.groupby(USER):
        seen = rated[user]
        pool = np.array([i for i in items if i not in seen])
        negs = rng.choice(pool, size=(len(group), min(n_negatives, len(pool))), replace=True)
        cand = np.column_stack([group[ITEM].to_numpy(), negs])
        row = model.score([user])[0]
        scores = row[model.items_.get_indexer(cand.ravel())].reshape(cand.shape)
        rank = 1 + (scores[:, 1:] >= scores[:, :1]).sum(axis=1)  # ties count against it
        hr += list((rank <= k).astype(float))
        ndcg += list(np.where(rank <= k, 1 / np.log2(rank + 1), 0.0))
    return pd.DataFrame({f"HR@{k}": hr, f"NDCG@{k}": ndcg})


# --- ranking protocols (taught in notebooks/08_evaluation.ipynb) -----------------
def evaluate(model: Recommender, split: Split, metrics: Sequence[str] = ("NDCG@10", "Recall@20"),
             items: ArrayLike | None = None) -> pd.DataFrame:  # fmt: skip
    """Fit-free evaluation: rank for every test user, score per user.

    ``items`` restricts the candidates (e.g. the cold items). Returns the
    per-user DataFrame of :func:`ranking_metrics`.
    """
    if len(split.test) == 0:
        raise ValueError("the test split is empty: there is nothing to evaluate.")
    k = max(_parse_metric(m)[1] for m in metrics)
    recs = model.recommend(np.sort(split.test[USER].unique()), k=k, items=items)
    return ranking_metrics(recs, split.test, metrics)


def chance_level(split: Split, metrics: Sequence[str] = ("NDCG@10", "Recall@20"),
                 items: ArrayLike | None = None) -> pd.DataFrame:  # fmt: skip
    """The exact expected score of a uniformly random ranking, per test user.

    The protocol of :func:`evaluate`: each test user ranks the candidates
    (``items``, default every item in the training part) minus the items they
    rated in training. Same per-user shape as :func:`evaluate`, so it takes
    intervals and paired comparisons like a model's scores. The formulas are
    in :func:`metrics.chance_metrics`.
    """
    if len(split.test) == 0:
        raise ValueError("the test split is empty: there is nothing to evaluate.")
    cands = pd.Index(pd.unique(split.train[ITEM] if items is None else np.asarray(items)))
    seen = split.train[split.train[ITEM].isin(cands)].groupby(USER)[ITEM].nunique()
    truth = split.test[[USER, ITEM]].drop_duplicates()
    users = pd.Index(np.sort(truth[USER].unique()), name=USER)
    n_truth = truth.groupby(USER).size().reindex(users)
    seen_pairs = pd.MultiIndex.from_frame(split.train[[USER, ITEM]])
    in_cands = truth[truth[ITEM].isin(cands)]
    in_cands = in_cands[~pd.MultiIndex.from_frame(in_cands).isin(seen_pairs)]
    n_rel = in_cands.groupby(USER).size().reindex(users, fill_value=0)
    n_cand = len(cands) - seen.reindex(users, fill_value=0)
    out = chance_metrics(n_rel.to_numpy(), n_cand.to_numpy(), n_truth.to_numpy(), metrics)
    out.index = users
    return out


def intervals(per_user: pd.DataFrame, n_boot: int = 1000, alpha: float = 0.05,
              seed: int = SEED) -> dict[str, Interval]:  # fmt: skip
    """Mean of each per-user metric with a bootstrap :class:`Interval` over users."""
    return {name: bootstrap_ci(np.mean, per_user[name].to_numpy(), n_boot=n_boot,
                               alpha=alpha, seed=seed)
            for name in per_user.columns}  # fmt: skip


def interval_table(per_user: Mapping, keys=None,
                   names: Sequence[str] = ("protocol", "model")) -> pd.DataFrame:  # fmt: skip
    """One row per key of ``per_user`` (``{(protocol, model): per-user
    scores}``), in the order of ``keys`` (default: every key): each metric's
    mean with its bootstrap interval (:func:`intervals`), as text; the keys'
    parts, named ``names``, are the index."""
    rows = []
    for key in per_user if keys is None else keys:
        cis = intervals(per_user[key])
        rows.append({**dict(zip(names, key)), **{m: str(ci) for m, ci in cis.items()}})
    return pd.DataFrame(rows).set_index(list(names))


def summarise(per_user: pd.DataFrame, n_boot: int = 1000, alpha: float = 0.05,
              seed: int = SEED) -> pd.DataFrame:  # fmt: skip
    """:func:`intervals` as a table: one row per metric, columns
    ``estimate, low, high`` (the fields of :class:`Interval`)."""
    cis = intervals(per_user, n_boot=n_boot, alpha=alpha, seed=seed)
    return pd.DataFrame({name: vars(ci) for name, ci in cis.items()}).T


def select_by_validation(candidates: Mapping, split: Split, metric: str = "NDCG@10",
                         items: ArrayLike | None = None) -> tuple[object, dict]:  # fmt: skip
    """Fit each candidate on ``split.train``, score ``metric`` on ``split.test``.

    Returns ``(best_key, scores)`` where ``scores`` maps each key to its mean
    validation score. ``split`` must be a validation split cut from training
    data, never the test set.
    """
    if not candidates:
        raise ValueError("no candidates to select from.")
    scores = {}
    for key, model in candidates.items():
        model.fit(split.train)
        scores[key] = float(evaluate(model, split, (metric,), items)[metric].mean())
    return max(scores, key=scores.get), scores


# --- rating and ranking protocols, named once ------------------------------------
def rating_evaluation(model, split) -> dict[str, float]:
    """RMSE and MAE of a fitted ``model`` on every (user, item) pair of ``split.test``.

    Taught in ``notebooks/04_matrix_factorization.ipynb``.
    """
    test = split.test
    pred = test.assign(**{PREDICTION: model.predict(test[USER].to_numpy(),
                                                    test[ITEM].to_numpy())})
    return {"RMSE": metrics.rmse(pred, test), "MAE": metrics.mae(pred, test)}


def ndcg_of(model, split, k: int = 10) -> float:
    """NDCG@k of a fitted ``model``'s top-k lists for ``split``'s test users
    (all unseen items are candidates). Chapter 4 selects on it."""
    recs = model.recommend(split.test[USER].unique(), k=k)
    return metrics.ndcg_at_k(recs, split.test, k=k)


def per_fold(run, folds, jobs: int = 2, desc: str = "folds") -> list:
    """``run(index, fold)`` for each fold, ``jobs`` folds at a time, each in a
    process of its own (one per core); the results in fold order.

    The folds are independent and each process computes what one pass of the
    loop ``[run(i, fold) for i, fold in enumerate(folds)]`` would, so the
    results are the loop's (joblib's loky backend caps each process's BLAS
    threads so that the cores are not oversubscribed); only the wall time
    changes. ``run`` must be picklable (a function defined in a notebook is);
    joblib reuses its worker processes, which keep the environment variables
    (``LLMREC_CACHE``) of the call that started them.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    folds = list(folds)
    if not folds:
        raise ValueError("per_fold: no folds to run (an empty split list?)")
    results = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(run)(i, fold) for i, fold in enumerate(folds))
    return list(tqdm(results, total=len(folds), desc=desc))
