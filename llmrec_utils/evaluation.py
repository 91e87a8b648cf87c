"""Uncertainty of results and the evaluation protocols: bootstrap confidence
intervals, paired comparisons, evaluating a model on a split, the leaderboard.

Every chapter that reports a score on a test set reports its uncertainty with
these, as one :class:`Interval` type (printed with ``str(ci)`` or
``format(ci, "+.3f")``). The metrics themselves are in
:mod:`llmrec_utils.metrics`. Taught in ``notebooks/08_evaluation.ipynb``;
first used in chapter 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from . import metrics
from .config import SEED, artifacts_dir, logger, write_atomic
from .data import ITEM, PREDICTION, USER

# moved to llmrec_utils.metrics; importable from here for older code
from .metrics import (  # noqa: F401
    _parse_metric,
    chance_metrics,
    intra_list_diversity,
    macro_f1,
    neighbour_overlap,
    novelty,
    ranking_metrics,
    sampled_metrics,
)  # fmt: skip

if TYPE_CHECKING:
    from .data import Split
    from .models import Recommender


@dataclass(frozen=True)
class Interval:
    """A point estimate with a (1 - alpha) bootstrap percentile interval."""

    estimate: float
    low: float
    high: float

    def format(self, spec: str = ".3f", estimate: bool = True) -> str:
        """``"0.412 [0.398, 0.427]"`` with each number formatted by ``spec``
        (e.g. ``"+.3f"`` for differences); ``estimate=False`` gives the bounds only."""
        bounds = f"[{self.low:{spec}}, {self.high:{spec}}]"
        return f"{self.estimate:{spec}} {bounds}" if estimate else bounds

    def __format__(self, spec: str) -> str:
        return self.format(spec or ".3f")

    def __str__(self) -> str:
        return self.format()


def _resample_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    if n < 2:
        raise ValueError(f"need at least 2 test cases to bootstrap, got {n}.")
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def bootstrap_ci(
    metric: Callable[..., float],
    *arrays,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = SEED,
) -> Interval:
    """Percentile bootstrap over cases (rows) for ``metric(*arrays)``.

    ``arrays`` are aligned per case (e.g. ``y_true, y_pred``); each resample
    draws cases with replacement and recomputes the metric.
    """
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("all arrays must have one entry per case.")
    idx = _resample_indices(n, n_boot, seed)
    stats = np.array([metric(*(a[i] for a in arrays)) for i in idx])
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return Interval(float(metric(*arrays)), float(low), float(high))


def paired_bootstrap_diff(
    metric: Callable[..., float],
    y_true: ArrayLike,
    pred_a: ArrayLike,
    pred_b: ArrayLike,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = SEED,
) -> Interval:
    """Bootstrap interval of ``metric(y, b) - metric(y, a)`` on the same resampled cases.

    Pairing (both systems scored on the same resample) removes the variance
    that comes from which cases happen to be in the test set, so the interval
    of the difference is much narrower than the two separate intervals suggest.
    """
    y, a, b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    if not len(y) == len(a) == len(b):
        raise ValueError("y_true, pred_a and pred_b must have one entry per case.")
    idx = _resample_indices(len(y), n_boot, seed)
    diffs = np.array([metric(y[i], b[i]) - metric(y[i], a[i]) for i in idx])
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    return Interval(float(metric(y, b) - metric(y, a)), float(low), float(high))


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


def summarise(per_user: pd.DataFrame, n_boot: int = 1000, alpha: float = 0.05,
              seed: int = SEED) -> pd.DataFrame:  # fmt: skip
    """:func:`intervals` as a table: one row per metric, columns
    ``estimate, low, high`` (the fields of :class:`Interval`)."""
    cis = intervals(per_user, n_boot=n_boot, alpha=alpha, seed=seed)
    return pd.DataFrame({name: vars(ci) for name, ci in cis.items()}).T


@dataclass(frozen=True)
class Comparison:
    """Paired comparison of two systems over the same users: ``b - a``."""

    diff: float  # mean over users of (b - a)
    low: float  # bootstrap interval of the mean difference
    high: float
    p_value: float  # two-sided paired sign-flip permutation test
    n: int  # number of paired users

    @property
    def interval(self) -> Interval:
        """The mean difference and its interval, as an :class:`Interval`."""
        return Interval(self.diff, self.low, self.high)

    def __str__(self) -> str:
        return f"{self.interval:+.4f}, p={self.p_value:.3g}"


def compare(a: pd.Series | ArrayLike, b: pd.Series | ArrayLike, n_boot: int = 2000,
            alpha: float = 0.05, seed: int = SEED) -> Comparison:  # fmt: skip
    """Paired bootstrap interval and permutation p-value for ``mean(b - a)``.

    ``a`` and ``b`` are per-user scores (Series indexed by user, or aligned
    arrays). The p-value flips the sign of each user's difference at random
    (the null: the two systems are exchangeable for every user).
    """
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        if not a.index.equals(b.index):
            if set(a.index) != set(b.index):
                raise ValueError("a and b must score the same users; align them first.")
            b = b.reindex(a.index)
    d = np.asarray(b, float) - np.asarray(a, float)
    if d.ndim != 1 or len(d) < 2:
        raise ValueError("need per-user scores for at least 2 users.")
    ci = bootstrap_ci(np.mean, d, n_boot=n_boot, alpha=alpha, seed=seed)
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_boot, len(d)))
    null = np.abs((signs * d).mean(axis=1))
    p = (1 + np.sum(null >= abs(d.mean()) - 1e-15)) / (n_boot + 1)
    return Comparison(ci.estimate, ci.low, ci.high, float(p), len(d))


# --- the verdict a sentence may state, read off the interval -------------------
VERDICTS = ("higher", "lower", "tied")


def verdict(cmp, higher: str = "higher", lower: str = "lower",
            tied: str = "no different by its interval") -> str:  # fmt: skip
    """The one word a sentence may say about a difference, from its interval.

    ``cmp`` is anything with ``low`` and ``high`` (a :class:`Comparison`, an
    :class:`Interval` of a difference ``b - a``). Returns ``higher`` when the
    whole interval lies above zero (``low > 0``), ``lower`` when it lies below
    (``high < 0``), else ``tied`` (the interval contains zero: no difference
    this test can tell). Pass the words the sentence needs, e.g.
    ``verdict(c, "better", "worse", "tied")``, and glue the result, so that
    prose and interval cannot disagree. The sign of the point estimate never
    decides.
    """
    low, high = float(cmp.low), float(cmp.high)
    if not low <= high:
        raise ValueError(f"not an interval: low={low} > high={high}.")
    if low > 0:
        return higher
    if high < 0:
        return lower
    return tied


def cluster_bootstrap_diff(metric: Callable[..., float], y_true: ArrayLike, pred_a: ArrayLike,
                           pred_b: ArrayLike, clusters: ArrayLike, n_boot: int = 1000,
                           alpha: float = 0.05, seed: int = SEED) -> Interval:  # fmt: skip
    """:func:`paired_bootstrap_diff` that resamples *clusters* of rows, not rows.

    Rows that share a cluster (the clicks on one film, the ratings of one
    user) are correlated: a bootstrap over rows treats 10,000 clicks on 170
    films as 10,000 independent facts and gives an interval far too narrow
    for a claim about *films*. Here each resample draws the clusters with
    replacement and keeps all the rows of each drawn cluster (Field and
    Welsh, 2007), so the interval is about the population the claim names.
    Returns the interval of ``metric(y, b) - metric(y, a)``.
    """
    y, a, b, g = (np.asarray(v) for v in (y_true, pred_a, pred_b, clusters))
    if not len(y) == len(a) == len(b) == len(g):
        raise ValueError("y_true, pred_a, pred_b and clusters must have one entry per row.")
    codes, uniques = pd.factorize(g)
    if len(uniques) < 2:
        raise ValueError(f"need at least 2 clusters to bootstrap, got {len(uniques)}.")
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    members = [order[starts[c]:starts[c + 1]] for c in range(len(uniques))]
    diffs = []
    for drawn in _resample_indices(len(uniques), n_boot, seed):
        i = np.concatenate([members[c] for c in drawn])
        diffs.append(metric(y[i], b[i]) - metric(y[i], a[i]))
    low, high = np.nanquantile(diffs, [alpha / 2, 1 - alpha / 2])
    return Interval(float(metric(y, b) - metric(y, a)), float(low), float(high))


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


# --- the book's leaderboard --------------------------------------------------------
# The one protocol every leaderboard row is scored on (chapter 8). A stored row
# carries this protocol's id and its model's definition; a row from another
# protocol, or of a model whose definition has changed, is never shown.
LEADERBOARD_PROTOCOL = {
    "split": "ml100k, random 75/25 per user (data.random_split, test_frac=0.25)",
    "seed": SEED,
    "candidates": "every item the user has not rated in training",
    "metrics": ["NDCG@10", "Recall@20"],
}


def leaderboard_protocol_id() -> str:
    """A short hash of :data:`LEADERBOARD_PROTOCOL`."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(LEADERBOARD_PROTOCOL, sort_keys=True).encode()).hexdigest()[:12]


def _leaderboard_dir() -> Path:
    path = artifacts_dir() / "leaderboard"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _row_path(name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return _leaderboard_dir() / f"{safe}.parquet"


def save_per_user(name: str, per_user: pd.DataFrame, definition: str) -> Path:
    """Store a model's per-user scores on the leaderboard protocol, atomically.

    ``definition`` names the model exactly (class, settings, inputs and their
    checksums); with the protocol's id it identifies the row, so a reader can
    tell a current row from a stale one. ``name`` becomes the row label.
    """
    if not isinstance(per_user, pd.DataFrame) or per_user.empty:
        raise ValueError("per_user must be a non-empty DataFrame from evaluate().")
    missing = [m for m in LEADERBOARD_PROTOCOL["metrics"] if m not in per_user.columns]
    if missing:
        raise ValueError(f"per_user lacks the leaderboard's metric(s) {missing}.")
    frame = per_user.copy()
    frame.attrs = {}
    frame = frame.assign(_name=name, _definition=definition, _protocol=leaderboard_protocol_id())
    return write_atomic(_row_path(name), frame.to_parquet)


def saved_per_user(definitions: dict) -> tuple[dict, dict]:
    """The stored rows of the models in ``definitions`` (name -> definition).

    Returns ``(rows, stale)``: ``rows`` maps each name whose stored row has
    the same definition and protocol to its per-user scores; ``stale`` maps
    every other requested name to the reason it is not usable (absent,
    unreadable, another protocol, another definition). Rows of names not
    requested are never read.
    """
    rows, stale = {}, {}
    for name, definition in definitions.items():
        path = _row_path(name)
        if not path.exists():
            stale[name] = "not in the cache"
            continue
        try:
            frame = pd.read_parquet(path)
            meta = {c: str(frame[c].iloc[0]) if c in frame else "" for c in ("_name", "_definition", "_protocol")}
        except Exception as exc:
            stale[name] = f"unreadable ({exc})"
            continue
        if meta["_protocol"] != leaderboard_protocol_id():
            stale[name] = "stored under another protocol"
        elif meta["_name"] != name or meta["_definition"] != definition:
            stale[name] = "stored for another model definition"
        else:
            rows[name] = frame.drop(columns=["_name", "_definition", "_protocol"])
    return rows, stale


def stored_rows(definitions: dict, compute: Callable[..., dict], source: str,
                rebuild: bool = False, progress: bool = True) -> dict:
    """Leaderboard rows, name -> per-user scores, for the models in
    ``definitions`` (name -> definition): the stored rows whose definitions
    are today's (:func:`saved_per_user`); the others (all with ``rebuild``)
    from ``compute(progress=progress)``, which returns every row, and stored.
    One line names ``source`` (e.g. "chapter 6") and says what is rebuilt and why.
    """
    rows, stale = ({}, dict.fromkeys(definitions, "rebuild=True")) if rebuild else \
        saved_per_user(definitions)  # fmt: skip
    if stale:
        by_reason: dict = {}
        for name, why in stale.items():
            by_reason.setdefault(why, []).append(name)
        reasons = "; ".join(f"{', '.join(map(repr, names))}: {why}"
                            for why, names in by_reason.items())
        logger().info(f"Rebuilding {source}'s leaderboard rows ({reasons}).")
        fresh = compute(progress=progress)
        for name in stale:
            save_per_user(name, fresh[name], definitions[name])
            rows[name] = fresh[name]
    return {name: rows[name] for name in definitions}


def leaderboard(per_user: dict, baseline: str, metric: str = "NDCG@10",
                seed: int = SEED) -> pd.DataFrame:  # fmt: skip
    """One table: each model's metrics with intervals, and its paired difference
    from ``baseline`` on ``metric`` with a p-value, best first."""
    if baseline not in per_user:
        raise KeyError(f"baseline {baseline!r} is not among the models {sorted(per_user)}.")
    rows = []
    for name, frame in per_user.items():
        row = {"model": name}
        for col, ci in intervals(frame, seed=seed).items():
            row[col] = ci.estimate
            row[f"{col} 95% CI"] = ci.format(".3f", estimate=False)
        if name == baseline:
            row[f"diff vs {baseline}"] = "(baseline)"
        else:
            c = compare(per_user[baseline][metric], frame[metric], seed=seed)
            row[f"diff vs {baseline}"] = format(c.interval, "+.3f")
            row["p"] = c.p_value
        rows.append(row)
    return pd.DataFrame(rows).set_index("model").sort_values(metric, ascending=False)


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


# --- hyper-parameters chosen on validation, read by later chapters ---------------
BIASED_MF_GRID = tuple((f, reg) for f in (10, 20) for reg in (0.1, 0.15, 0.2))  # ch. 4, 9
EASE_LAMBDAS = (100, 250, 500, 1000)  # chapter 4
IMPLICIT_ALS_GRID = tuple((f, reg) for f in (16, 32, 64) for reg in (0.1, 1.0, 10.0))  # ch. 4
BLEND_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)  # chapter 5's weighted blend


def tune_biased_mf(train: pd.DataFrame, grid=BIASED_MF_GRID, seed: int = SEED):
    """Chapter 4's rating model: ``(factors, reg)`` chosen by RMSE on a holdout
    of ``train`` (:func:`data.holdout_split`), returned unfitted as an average
    of 3 runs. The test fold is never looked at."""
    from .data import holdout_split
    from .mf import BiasedMF

    holdout = holdout_split(train, seed=seed)
    scores = {}
    for factors, reg in grid:
        model = BiasedMF(factors=factors, reg=reg, seed=seed).fit(holdout.train)
        scores[factors, reg] = rating_evaluation(model, holdout)["RMSE"]
    factors, reg = min(scores, key=scores.get)
    return BiasedMF(factors=factors, reg=reg, n_runs=3, seed=seed)


def choose_ease(split=None) -> dict:
    """Chapter 4's choice of EASE's ``lam`` by NDCG@10 on ``warm-validation``."""
    from .data import standard_split
    from .mf import EASE

    split = standard_split("warm-validation") if split is None else split
    scores = [ndcg_of(EASE(lam).fit(split.train), split) for lam in EASE_LAMBDAS]
    return {"lam": EASE_LAMBDAS[int(np.argmax(scores))]}


def choose_implicit_als(split=None) -> dict:
    """Chapter 4's choice of implicit ALS's ``(factors, regularization)`` by
    NDCG@10 on ``warm-validation``."""
    from .data import standard_split
    from .peers import implicit_als

    split = standard_split("warm-validation") if split is None else split
    scores = [ndcg_of(implicit_als(f, reg).fit(split.train), split)
              for f, reg in IMPLICIT_ALS_GRID]
    factors, reg = IMPLICIT_ALS_GRID[int(np.argmax(scores))]
    return {"factors": factors, "regularization": reg}


def choose_blend_weight(split=None) -> dict:
    """Chapter 5's choice of the weighted blend's text weight (EASE with
    chapter 4's ``lam`` + item cards) by NDCG@10 on ``warm-validation``."""
    from .data import standard_split
    from .embeddings import load_embeddings
    from .hybrid import ease_card_blend

    split = standard_split("warm-validation") if split is None else split
    cards, lam = load_embeddings("ml100k-item-cards"), chosen("ease")["lam"]
    best, _ = select_by_validation(
        {w: ease_card_blend(lam, cards, w) for w in BLEND_WEIGHTS}, split)
    return {"weight": best}


# name -> how to make the choice again (on validation only) when it is not saved
CHOOSERS: dict[str, Callable[[], dict]] = {
    "ease": choose_ease,  # chapter 4
    "implicit-als": choose_implicit_als,  # chapter 4
    "weighted-blend": choose_blend_weight,  # chapter 5
}


def _choice_path(name: str) -> Path:
    if name not in CHOOSERS:
        raise KeyError(f"Unknown choice {name!r}; choices: {sorted(CHOOSERS)}")
    return artifacts_dir() / "choices" / f"{name}.json"


def _choice_grid(name: str) -> str:
    """What a saved choice was chosen from; a file chosen from another grid is stale."""
    grids = {"ease": EASE_LAMBDAS, "implicit-als": IMPLICIT_ALS_GRID,
             "weighted-blend": BLEND_WEIGHTS}  # fmt: skip
    return repr(grids[name])


def save_choice(name: str, params: dict) -> Path:
    """Store the hyper-parameters a chapter chose on validation, atomically,
    with the grid they were chosen from."""
    path = _choice_path(name)
    record = {"params": params, "grid": _choice_grid(name)}
    text = json.dumps(record, indent=1, sort_keys=True)
    return write_atomic(path, lambda tmp: Path(tmp).write_text(text))


def chosen(name: str) -> dict:
    """The hyper-parameters saved by :func:`save_choice`, or, when absent,
    unreadable or chosen from another grid, the same choice made again on
    validation (and saved), so a chapter opened alone in a fresh cache gets
    the values its source chapter chose."""
    path = _choice_path(name)
    reason = "is missing"
    try:
        record = json.loads(path.read_text())
        if record.get("grid") == _choice_grid(name):
            return record["params"]
        reason = "was chosen from another grid"
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError, KeyError) as exc:  # a corrupt file
        reason = f"is unreadable ({exc})"
    logger().info("The saved choice %r %s; choosing again on validation.", name, reason)
    params = CHOOSERS[name]()
    save_choice(name, params)
    return params


# --- paired comparison over cross-validation folds (chapters 4 and 9) ------------
def paired_fold_interval(a: ArrayLike, b: ArrayLike, alpha: float = 0.05) -> Interval:
    """Mean of ``b - a`` over folds with a Student-t ``(1 - alpha)`` interval.

    ``a`` and ``b`` hold one score per fold (e.g. RMSE), the same folds in the
    same order. Two models scored on the same folds are compared by their
    per-fold differences, not by the fold-to-fold spread of each: the folds'
    shared difficulty cancels in the difference. With a handful of folds a
    bootstrap over the differences is too coarse, hence the t-interval with
    ``n - 1`` degrees of freedom. The folds share training data, so the
    differences are not independent and the interval is, if anything, too
    narrow (Nadeau and Bengio, 2003): read a bound close to 0 with care.
    """
    from scipy import stats

    d = np.asarray(b, float) - np.asarray(a, float)
    if d.ndim != 1 or len(d) < 2 or np.shape(a) != np.shape(b):
        raise ValueError("need one score per fold for both models, on at least 2 folds.")
    mean = float(d.mean())
    half = float(stats.t.ppf(1 - alpha / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return Interval(mean, mean - half, mean + half)
