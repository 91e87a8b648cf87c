r"""Rating and ranking metrics, as pure functions of DataFrames.

Shapes (column names from :mod:`llmrec_utils.data`):

* ``recs``: one row per recommended (``user``, ``item``), with ``rank``
  (1 = best) or ``score`` (higher = better); ``rank`` wins if both are present.
* ``truth``: the relevant (``user``, ``item``) pairs, e.g. a test split.
* ``pred`` for rating metrics: ``user, item, prediction``.

Ranking metrics are averaged over the users in ``truth`` (users with at least
one relevant item); a user in ``truth`` with no recommendations scores 0.
Relevance is binary. With ``per_user=True`` a metric returns one value per
user (a Series), for confidence intervals and paired tests.

Beyond accuracy: :func:`novelty`, :func:`intra_list_diversity`,
:func:`catalog_coverage`; :func:`sampled_metrics` is the (misleading)
sampled-negatives protocol; :func:`macro_f1` scores classifiers and
:func:`neighbour_overlap` compares two item similarities. Intervals and
paired comparisons of these metrics are in :mod:`llmrec_utils.evaluation`.

Taught in ``notebooks/01_data.ipynb`` (overview) and
``notebooks/08_evaluation.ipynb`` (worked examples).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..config import SEED
from ..data.columns import ITEM, PREDICTION, RANK, RATING, SCORE, USER
from ..data.features import unit_rows
from ..data.loaders import _require_columns

__all__ = ['rmse', 'mae', 'precision_at_k', 'recall_at_k', 'ndcg_at_k', 'map_at_k', 'hit_rate_at_k', 'catalog_coverage', 'top_k', 'ranking_metrics', 'novelty', 'intra_list_diversity', 'macro_f1', 'neighbour_overlap', 'chance_metrics', 'logloss', 'roc_auc']  # fmt: skip


# --- rating metrics ---------------------------------------------------------
def _paired_errors(pred: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    _require_columns(pred, [USER, ITEM, PREDICTION], "pred")
    _require_columns(truth, [USER, ITEM, RATING], "truth")
    if len(truth) == 0:
        raise ValueError("truth is empty: there is nothing to score.")
    if pred.duplicated([USER, ITEM]).any():
        raise ValueError("pred has duplicate (user, item) pairs; give one prediction per pair.")
    joined = truth[[USER, ITEM, RATING]].merge(
        pred[[USER, ITEM, PREDICTION]], on=[USER, ITEM], how="left"
    )
    missing = joined[PREDICTION].isna()
    if missing.any():
        raise ValueError(
            f"{int(missing.sum())} of {len(truth)} truth pairs have no prediction (or a NaN "
            "one). Predict every pair; for unknown users or items use a fallback such as "
            "the global mean."
        )
    return joined[PREDICTION].to_numpy(float) - joined[RATING].to_numpy(float)


def rmse(pred: pd.DataFrame, truth: pd.DataFrame) -> float:
    r"""Root mean squared error over the pairs in ``truth``.

    .. math:: \mathrm{RMSE} = \sqrt{\tfrac{1}{|T|}\sum_{(u,i)\in T} (\hat r_{ui} - r_{ui})^2}
    """
    err = _paired_errors(pred, truth)
    return float(np.sqrt(np.mean(err**2)))


def mae(pred: pd.DataFrame, truth: pd.DataFrame) -> float:
    r"""Mean absolute error over the pairs in ``truth``.

    .. math:: \mathrm{MAE} = \tfrac{1}{|T|}\sum_{(u,i)\in T} |\hat r_{ui} - r_{ui}|
    """
    return float(np.mean(np.abs(_paired_errors(pred, truth))))


# --- ranking metrics ---------------------------------------------------------
def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}.")
    return int(k)


def top_k(recs: pd.DataFrame, k: int) -> pd.DataFrame:
    """The first ``k`` recommendations of each user, with ``rank`` = 1..k.

    Orders by ``rank`` if present, else by ``score`` descending (ties broken
    by item id, so the result does not depend on row order).
    """
    k = _check_k(k)
    _require_columns(recs, [USER, ITEM], "recs")
    if len(recs) == 0:
        raise ValueError("recs is empty: the model recommended nothing.")
    by = RANK if RANK in recs.columns else SCORE if SCORE in recs.columns else None
    if by is None:
        raise ValueError(f"recs needs a {RANK!r} or a {SCORE!r} column to order items.")
    if recs[[USER, ITEM, by]].isna().any().any():
        raise ValueError(f"recs has missing values in {USER!r}, {ITEM!r} or {by!r}.")
    dup = recs.duplicated([USER, ITEM])
    if dup.any():
        example = recs.loc[dup, [USER, ITEM]].iloc[0].to_dict()
        raise ValueError(
            f"recs recommends the same item to a user more than once ({int(dup.sum())} "
            f"duplicates, e.g. {example}); each (user, item) may appear once."
        )
    ascending = [True, True, True] if by == RANK else [True, False, True]
    ordered = recs[[USER, ITEM, by]].sort_values([USER, by, ITEM], ascending=ascending)
    ordered = ordered.assign(**{RANK: ordered.groupby(USER).cumcount() + 1})
    return ordered.loc[ordered[RANK] <= k, [USER, ITEM, RANK]].reset_index(drop=True)


def _hits(recs: pd.DataFrame, truth: pd.DataFrame, k: int):
    """Top-k rows of the users in truth, flagged ``hit``; and |T_u| per user."""
    _require_columns(truth, [USER, ITEM], "truth")
    if len(truth) == 0:
        raise ValueError("truth is empty: there are no relevant items to find.")
    rel = truth[[USER, ITEM]].drop_duplicates()
    n_rel = rel.groupby(USER).size().rename("n_rel")
    top = top_k(recs, k)
    top = top[top[USER].isin(n_rel.index)]
    top = top.merge(rel.assign(hit=True), on=[USER, ITEM], how="left")
    top["hit"] = top["hit"].notna()  # True where matched; no fillna downcast (pandas 2.2 warns)
    return top, n_rel


def _per_user(values: pd.Series, n_rel: pd.Series, per_user: bool):
    values = values.reindex(n_rel.index, fill_value=0.0).astype(float)
    return values if per_user else float(values.mean())


def precision_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int = 10,
                   per_user: bool = False) -> float | pd.Series:  # fmt: skip
    r"""Precision@k: the share of the top ``k`` that is relevant.

    .. math:: P@k(u) = \tfrac{1}{k}\sum_{i=1}^{k} \mathrm{rel}_u(i)

    The denominator is ``k`` even if fewer than ``k`` items were recommended.
    """
    k = _check_k(k)
    top, n_rel = _hits(recs, truth, k)
    return _per_user(top.groupby(USER)["hit"].sum() / k, n_rel, per_user)


def recall_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int = 10,
                per_user: bool = False) -> float | pd.Series:  # fmt: skip
    r"""Recall@k: the share of the user's relevant items found in the top ``k``.

    .. math:: R@k(u) = \tfrac{1}{|T_u|}\sum_{i=1}^{k} \mathrm{rel}_u(i)
    """
    top, n_rel = _hits(recs, truth, k)
    hits = top.groupby(USER)["hit"].sum().reindex(n_rel.index, fill_value=0)
    return _per_user(hits / n_rel, n_rel, per_user)


def hit_rate_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int = 10,
                  per_user: bool = False) -> float | pd.Series:  # fmt: skip
    r"""Hit rate@k: 1 if at least one relevant item is in the top ``k``, else 0.

    .. math:: HR@k(u) = \mathbb{1}\left[\sum_{i=1}^{k} \mathrm{rel}_u(i) > 0\right]
    """
    top, n_rel = _hits(recs, truth, k)
    return _per_user(top.groupby(USER)["hit"].any().astype(float), n_rel, per_user)


def ndcg_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int = 10,
              per_user: bool = False) -> float | pd.Series:  # fmt: skip
    r"""Normalised discounted cumulative gain at ``k``, binary relevance.

    .. math::
        DCG@k(u) = \sum_{i=1}^{k} \frac{\mathrm{rel}_u(i)}{\log_2(i+1)}, \qquad
        NDCG@k(u) = \frac{DCG@k(u)}{\sum_{i=1}^{\min(k, |T_u|)} 1/\log_2(i+1)}

    The ideal list puts ``min(k, |T_u|)`` relevant items first, so a perfect
    list scores 1 even when the user has fewer than ``k`` relevant items.
    """
    k = _check_k(k)
    top, n_rel = _hits(recs, truth, k)
    gain = top["hit"] / np.log2(top[RANK] + 1.0)
    dcg = gain.groupby(top[USER]).sum().reindex(n_rel.index, fill_value=0.0)
    discounts = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    idcg = discounts[np.minimum(n_rel.to_numpy(), k) - 1]
    return _per_user(dcg / idcg, n_rel, per_user)


def map_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int = 10,
             per_user: bool = False) -> float | pd.Series:  # fmt: skip
    r"""Mean average precision at ``k``.

    .. math:: AP@k(u) = \frac{1}{\min(k, |T_u|)} \sum_{i=1}^{k} P@i(u)\,\mathrm{rel}_u(i)

    Dividing by ``min(k, |T_u|)`` (not ``|T_u|``) makes a perfect list score 1.
    """
    k = _check_k(k)
    top, n_rel = _hits(recs, truth, k)
    cum_hits = top.groupby(USER)["hit"].cumsum()
    prec_at_hit = (cum_hits / top[RANK]).where(top["hit"], 0.0)
    ap = prec_at_hit.groupby(top[USER]).sum().reindex(n_rel.index, fill_value=0.0)
    return _per_user(ap / np.minimum(n_rel, k), n_rel, per_user)


def catalog_coverage(recs: pd.DataFrame, catalog: ArrayLike | pd.DataFrame, k: int = 10) -> float:
    r"""Share of the catalogue that appears in at least one user's top ``k``.

    .. math:: \mathrm{Coverage@k} = \frac{|\bigcup_u \mathrm{top}_k(u)|}{|I|}

    ``catalog`` is the collection of all item ids (array-like or a DataFrame
    with an ``item`` column).
    """
    items = catalog[ITEM] if isinstance(catalog, pd.DataFrame) else catalog
    items = pd.Index(pd.unique(np.asarray(items)))
    if len(items) == 0:
        raise ValueError("catalog is empty.")
    shown = pd.Index(top_k(recs, k)[ITEM].unique())
    unknown = shown.difference(items)
    if len(unknown):
        raise ValueError(
            f"recs contain {len(unknown)} item(s) not in the catalog, e.g. {unknown[0]!r}."
        )
    return len(shown) / len(items)


# --- similarity and classification ------------------------------------------
def neighbour_overlap(sim_a: np.ndarray, sim_b: np.ndarray, k: int = 10,
                      seed: int = SEED, per_item: bool = False) -> float | np.ndarray:  # fmt: skip
    """Mean share of each row's top-``k`` neighbours under ``sim_a`` also top-``k`` under ``sim_b``.

    Both are square similarity matrices over the same items; an item is never
    its own neighbour. Ties are broken at random (with ``seed``), so a coarse
    similarity (e.g. shared genres) is not flattered by the order of the rows.
    A random neighbour list scores ``k / (n - 1)`` on average. With
    ``per_item=True`` it returns each item's share (for paired comparisons).
    """
    a, b = np.asarray(sim_a, dtype=float), np.asarray(sim_b, dtype=float)
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"need two square matrices of the same shape, got {a.shape} and {b.shape}.")
    n = a.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, {n - 1}] for {n} items, got {k}.")
    rng = np.random.default_rng(seed)

    def top(sim: np.ndarray) -> np.ndarray:
        noisy = sim + rng.random(sim.shape) * 1e-9 * (np.abs(sim).max() + 1)
        np.fill_diagonal(noisy, -np.inf)
        return np.argpartition(-noisy, k, axis=1)[:, :k]

    ta, tb = top(a), top(b)
    shared = np.array([len(np.intersect1d(x, y, assume_unique=True)) for x, y in zip(ta, tb)])
    return shared / k if per_item else float(np.mean(shared) / k)


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Macro-averaged F1 over the classes present in either array (NumPy only).

    Same value as ``sklearn.metrics.f1_score(..., average="macro")`` (a class
    never predicted and never true does not exist; a class with no true
    positives scores 0), but fast enough to call thousands of times in a
    bootstrap.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError("y_true and y_pred must be non-empty 1-d arrays of the same length.")
    classes, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    t, p = codes[: len(y_true)], codes[len(y_true) :]
    k = len(classes)
    tp = np.bincount(t[t == p], minlength=k)
    fp = np.bincount(p, minlength=k) - tp
    fn = np.bincount(t, minlength=k) - tp
    denom = 2 * tp + fp + fn
    return float(np.mean(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)))


# --- ranking metrics by name, and beyond accuracy ----------------------------
def _parse_metric(name: str) -> tuple[Callable, int]:
    """``"NDCG@10"`` -> (:func:`ndcg_at_k`, 10)."""
    funcs = {
        "NDCG": ndcg_at_k, "Recall": recall_at_k, "Precision": precision_at_k,
        "MAP": map_at_k, "HR": hit_rate_at_k,
    }  # fmt: skip
    base, _, k = name.partition("@")
    if base not in funcs or not k.isdigit() or int(k) < 1:
        raise ValueError(f"unknown metric {name!r}; use NAME@K with NAME in {sorted(funcs)}.")
    return funcs[base], int(k)


def ranking_metrics(recs: pd.DataFrame, truth: pd.DataFrame,
                    metrics: Sequence[str] = ("NDCG@10", "Recall@20")) -> pd.DataFrame:
    """Per-user ranking metrics named ``NAME@K`` (NAME in NDCG, Recall,
    Precision, MAP, HR) as a DataFrame, one row per user in ``truth``."""
    cols = {}
    for name in metrics:
        func, k = _parse_metric(name)
        cols[name] = func(recs, truth, k=k, per_user=True)
    return pd.DataFrame(cols)


def chance_metrics(n_relevant: ArrayLike, n_candidates: ArrayLike, n_truth: ArrayLike,
                   metrics: Sequence[str] = ("NDCG@10", "Recall@20")) -> pd.DataFrame:  # fmt: skip
    r"""The exact expected value of each metric under a uniformly random ranking.

    Per user: ``n_candidates`` items are ranked at random, ``n_relevant`` of
    them are relevant, and the user has ``n_truth`` relevant items in all
    (``n_relevant <= n_truth``; relevant items outside the candidates can never
    be found). This is the *chance level*: the expectation over every possible
    order, not one random order. Each position $i$ holds a relevant item with
    probability $p = R/N$, and two positions both do with
    $q = R(R-1)/(N(N-1))$, so with $m = \min(k, N)$:

    .. math::
        E[DCG@k] = p \sum_{i=1}^{m} \frac{1}{\log_2(i+1)}, \quad
        E[R@k] = \frac{m p}{|T_u|}, \quad E[P@k] = \frac{m p}{k}, \quad
        E[HR@k] = 1 - \binom{N-R}{m} \Big/ \binom{N}{m},

        E[AP@k] = \frac{1}{\min(k, |T_u|)} \sum_{i=1}^{m} \frac{p + (i-1)\,q}{i}.

    NDCG divides the expected DCG by the same ideal DCG as :func:`ndcg_at_k`.
    Returns one row per user (the arrays' order), one column per metric.
    """
    R = np.asarray(n_relevant, dtype=float)
    N = np.asarray(n_candidates, dtype=float)
    T = np.asarray(n_truth, dtype=float)
    if not (R.shape == N.shape == T.shape):
        raise ValueError("n_relevant, n_candidates and n_truth must have one value per user.")
    if (R < 0).any() or (R > N).any() or (R > T).any() or (T < 1).any():
        raise ValueError("need 0 <= n_relevant <= min(n_candidates, n_truth) and n_truth >= 1 "
                         "for every user.")
    p = np.divide(R, N, out=np.zeros_like(R), where=N > 0)
    q = np.divide(R * (R - 1), N * (N - 1), out=np.zeros_like(R), where=N > 1)
    out = {}
    for name in metrics:
        func, k = _parse_metric(name)
        m = np.minimum(k, N)
        i = np.arange(1, k + 1)
        inside = i[None, :] <= m[:, None]  # positions that hold a candidate
        if func is ndcg_at_k:
            disc = 1.0 / np.log2(i + 1.0)
            idcg = np.cumsum(disc)[np.minimum(T, k).astype(int) - 1]
            out[name] = p * (inside * disc).sum(axis=1) / idcg
        elif func is recall_at_k:
            out[name] = m * p / T
        elif func is precision_at_k:
            out[name] = m * p / k
        elif func is hit_rate_at_k:
            from scipy.special import gammaln

            def log_binom(a, b):
                return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

            miss = np.where(N - R >= m, np.exp(log_binom(N - R, np.minimum(m, N - R))
                                               - log_binom(N, m)), 0.0)  # fmt: skip
            out[name] = 1.0 - miss
        else:  # MAP
            terms = (p[:, None] + (i[None, :] - 1) * q[:, None]) / i[None, :]
            out[name] = (inside * terms).sum(axis=1) / np.minimum(T, k)
    return pd.DataFrame(out)


def novelty(recs: pd.DataFrame, train: pd.DataFrame) -> float:
    r"""Mean self-information of recommended items, :math:`-\log_2 p_i` with
    :math:`p_i` the share of training users who interacted with item ``i``.

    Higher means less popular, more surprising recommendations.
    """
    n_users = train[USER].nunique()
    pop = train.groupby(ITEM)[USER].nunique() / n_users
    p = recs[ITEM].map(pop).fillna(1.0 / (n_users + 1)).to_numpy()  # unseen items: rarer than any
    if len(p) == 0:
        raise ValueError("recs is empty.")
    return float(np.mean(-np.log2(p)))


def intra_list_diversity(recs: pd.DataFrame, ids: ArrayLike, vectors: ArrayLike) -> float:
    r"""Mean over users of the average pairwise cosine *distance* in their list.

    .. math:: ILD(u) = \frac{2}{|L|(|L|-1)} \sum_{i<j \in L_u} (1 - \cos(v_i, v_j))
    """
    index = pd.Index(np.asarray(ids))
    V = unit_rows(vectors)
    rows = index.get_indexer(recs[ITEM])
    if (rows < 0).any():
        raise ValueError("some recommended items have no vector.")
    values = []
    for _, pos in recs.assign(_row=rows).groupby(USER)["_row"]:
        L = V[pos.to_numpy()]
        n = len(L)
        if n < 2:
            continue
        sim = L @ L.T
        values.append(1 - (sim.sum() - np.trace(sim)) / (n * (n - 1)))
    if not values:
        raise ValueError("every list has fewer than 2 items; diversity is undefined.")
    return float(np.mean(values))


# --- the models ------------------------------------------------------------------------------
def _labels(y: ArrayLike, n: int, what: str) -> np.ndarray:
    y = np.asarray(y, dtype=float).ravel()
    if len(y) != n:
        raise ValueError(f"{what} has {len(y)} labels for {n} rows.")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{what} must hold 0/1 labels only.")
    return y


def _check_scores(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(y, len(np.asarray(p).ravel()), "y")
    p = np.asarray(p, dtype=float).ravel()
    if not (np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()):
        raise ValueError("predictions must be probabilities in [0, 1].")
    return y, p


def roc_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve (ties count one half); needs both classes."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    if y.min() == y.max():
        raise ValueError("AUC needs both classes among the rows.")
    return float(roc_auc_score(y, p))


def logloss(y: ArrayLike, p: ArrayLike, eps: float = 1e-7) -> float:
    r"""Mean :math:`-[y\ln p + (1-y)\ln(1-p)]`, with :math:`p` clipped to
    :math:`[\epsilon, 1-\epsilon]`."""
    y, p = np.asarray(y, float), np.clip(np.asarray(p, float), eps, 1 - eps)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
