r"""The CTR datasets the chapter's click models learn, as :class:`CTRTask`.

* :func:`ml100k_clicks`: MovieLens-100k ratings as clicks (a rating
  :math:`\ge 4` is a click), on a temporal split, with user, item, genre and
  optional text-vector fields.
* :func:`clothing_recommend`: does a customer recommend the item she
  reviewed, with the item's aspect profile from chapter 3 computed on
  training reviews only (leave-one-out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..config import SEED, logger
from ..data.columns import ITEM, ML100K_GENRES, RATING, USER
from ..data.features import keyed_rows, plain_ids, unit_rows
from ..data.splits import Split
from .nets import FeatureSpec

__all__ = ['CTRTask', 'clothing_recommend', 'ml100k_clicks']  # fmt: skip


# --- tasks --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CTRTask:
    """A CTR dataset: three parts with the spec's columns and ``label``, and
    ``info`` (how it was made, counts). ``X(part)`` / ``y(part)`` select."""

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    spec: FeatureSpec
    label: str
    info: dict = field(default_factory=dict)

    def X(self, part: str) -> pd.DataFrame:
        return getattr(self, part)

    def y(self, part: str) -> np.ndarray:
        return getattr(self, part)[self.label].to_numpy(dtype=float)

    def with_spec(self, spec: FeatureSpec) -> CTRTask:
        return replace(self, spec=spec)


AGE_BINS = (0, 18, 25, 35, 45, 50, 56, 200)  # MovieLens-1M's age groups


def _age_bucket(age: pd.Series) -> pd.Series:
    return pd.cut(age, AGE_BINS, right=False, labels=[f"{a}-" for a in AGE_BINS[:-1]]) \
        .astype(str)


def _vector_frame(vectors, prefix: str, max_missing: float, ids: pd.Index) -> pd.DataFrame:
    """Vectors (a DataFrame indexed by item, or an object with ``ids`` and
    ``vectors``) as unit-length ``<prefix>_<j>`` columns for ``ids`` (zeros
    where missing); raises naming ids if more than ``max_missing`` of ``ids``
    have none."""
    if isinstance(vectors, pd.DataFrame):
        index, V = vectors.index, vectors.to_numpy(dtype=float)
    else:
        index, V = pd.Index(np.asarray(vectors.ids)), np.asarray(vectors.vectors, float)
    if V.ndim != 2 or len(index) != len(V):
        raise ValueError(f"{prefix} vectors need one row per id.")
    if index.has_duplicates:
        raise ValueError(f"{prefix} vectors: id {plain_ids(index[index.duplicated()][:1])[0]!r} "
                         "has more than one row.")  # fmt: skip
    bad = ~np.isfinite(V)
    if bad.any():
        raise ValueError(f"{prefix} vectors hold {int(bad.sum())} NaN/inf values, e.g. in "
                         f"column {int(np.argmax(bad.any(axis=0)))}.")  # fmt: skip
    rows = keyed_rows(index, ids, max_missing, "items", f"{prefix} vector")
    missing = rows < 0
    if missing.any():
        logger().info(f"{int(missing.sum())} item(s) have no {prefix} vector; they get zeros.")
    V = unit_rows(V)
    out = np.zeros((len(ids), V.shape[1]))
    out[~missing] = V[rows[~missing]]
    return pd.DataFrame(out, index=ids, columns=[f"{prefix}_{j}" for j in range(V.shape[1])])


def ml100k_clicks(split: Split | None = None, item_vectors: Mapping | None = None,
                  n_valid: int = 1, max_missing: float = 0.5, seed: int = SEED) -> CTRTask:
    """MovieLens-100k ratings as clicks (``click``: rating >= 4) on a temporal split.

    ``split``: a temporal split (default ``data.standard_split("temporal")``,
    each user's last rating in test); validation is each user's last
    ``n_valid`` ratings of its train part (:func:`~llmrec_utils.data.splits.temporal_split`),
    so early stopping never sees the test part. Fields: categorical ``user``,
    ``item``, ``age_bucket`` (MovieLens-1M's groups), ``gender``,
    ``occupation``, ``decade`` (``"unknown"`` without a year); dense: the 19
    genre flags (``genre_<name>``) and ``year`` (``(year - 1990) / 10``, the
    training median where missing). ``item_vectors`` ``{prefix: vectors}``
    (a DataFrame indexed by item, or :class:`~llmrec_utils.text.embeddings.StoredEmbeddings`,
    e.g. the item cards or the cards with their LLM profile) adds unit-length
    ``<prefix>_<j>`` dense columns (zeros for an item without one, logged;
    more than ``max_missing`` of the items without one raises, naming ids).
    Test rows whose item has no training row have ``cold = True``; for a test
    part of cold items only, pass ``data.standard_split("cold")`` (validation
    is still each user's last training ratings, of warm items).
    """
    from ..data.loaders import load_ml100k_items, load_ml100k_users
    from ..data.splits import standard_split, temporal_split

    split = standard_split("temporal", seed) if split is None else split
    inner = temporal_split(split.train, n_test=n_valid, seed=seed)
    users = load_ml100k_users().set_index(USER)
    items = load_ml100k_items().set_index(ITEM)
    median_year = float(items.loc[items.index.isin(inner.train[ITEM]), "year"].median())
    item_cols = pd.DataFrame(index=items.index)
    item_cols["decade"] = items["year"].map(lambda y: "unknown" if pd.isna(y) else f"{y // 10 * 10}s")
    item_cols["year"] = (items["year"].astype(float).fillna(median_year) - 1990) / 10
    for g in ML100K_GENRES:
        item_cols[f"genre_{g}"] = items[g].astype(float)
    dense = [f"genre_{g}" for g in ML100K_GENRES] + ["year"]
    for prefix, vectors in (item_vectors or {}).items():
        frame = _vector_frame(vectors, prefix, max_missing, pd.Index(items.index))
        item_cols = item_cols.join(frame)
        dense += list(frame.columns)
    user_cols = pd.DataFrame({"age_bucket": _age_bucket(users["age"]),
                              "gender": users["gender"].astype(str),
                              "occupation": users["occupation"].astype(str)})  # fmt: skip
    trained = set(inner.train[ITEM])

    def part(df):
        out = df[[USER, ITEM, RATING]].reset_index(drop=True)
        out["click"] = (out[RATING] >= 4).astype(float)
        out = out.join(user_cols, on=USER).join(item_cols, on=ITEM)
        out["cold"] = ~out[ITEM].isin(trained)
        return out

    spec = FeatureSpec((USER, ITEM, "age_bucket", "gender", "occupation", "decade"), dense)
    test = part(split.test)
    info = {"kind": f"ml100k clicks (rating >= 4), {split.info.get('kind', 'given')} split",
            "n_valid": n_valid,
            "cold_test_rows": int(test["cold"].sum()), "seed": seed}  # fmt: skip
    return CTRTask(part(inner.train), part(inner.test), test, spec, "click", info)


def _profile(train_x, train_r, train_item, rows_x, rows_r, rows_item, own, leaky, kinds):
    """Aspect profile of each row: over its item's training reviews, leaving
    out (``own`` rows: the row's own training review) or adding (``leaky``,
    rows outside training) the row's own review."""
    g = pd.DataFrame(train_x.astype(float), columns=kinds).assign(_item=train_item)
    share_sum = g.groupby("_item")[list(kinds)].sum()
    rate = pd.DataFrame(train_x * train_r[:, None], columns=kinds).assign(_item=train_item)
    rate_sum = rate.groupby("_item")[list(kinds)].sum()
    count = g.groupby("_item").size()
    idx = share_sum.index.get_indexer(rows_item)
    has = idx >= 0
    S = np.where(has[:, None], share_sum.to_numpy()[idx], 0.0)
    R = np.where(has[:, None], rate_sum.to_numpy()[idx], 0.0)
    n = np.where(has, count.to_numpy()[idx], 0).astype(float)
    x, r = rows_x.astype(float), rows_r.astype(float)
    # leave-one-out: a training row's own review leaves the sums, other rows add nothing;
    # leaky: a training row's review stays in, another row's own review is added
    sign = np.where(own, 0.0, 1.0) if leaky else np.where(own, -1.0, 0.0)
    S, R, n = S + sign[:, None] * x, R + sign[:, None] * x * r[:, None], n + sign
    return S, R, n


def clothing_recommend(reviews: pd.DataFrame, aspects: pd.DataFrame,
                       leaky: bool = False, test_frac: float = 0.2, valid_frac: float = 0.1,
                       seed: int = SEED) -> CTRTask:  # fmt: skip
    r"""Does the customer recommend the item (``recommended``)? From her age, the
    item's department and class, and the item's aspect profile.

    ``reviews``: cleaned reviews (:func:`~llmrec_utils.data.loaders.clean_reviews`).
    The reviews carry no dates, so the split is by review, at random with
    ``seed``: ``test_frac`` to test, ``valid_frac`` to validation, the rest to
    training. ``aspects``: per-review indicators, one boolean column per
    aspect type, indexed by ``review`` (as
    :func:`~llmrec_utils.text.ner.review_aspects` returns; every review needs a
    row, or the error names the missing ids).

    The **aspect profile** of an item is chapter 3's
    (:func:`~llmrec_utils.text.ner.aspect_item_features`) over its *training*
    reviews only: ``share_<TYPE>`` (share of the reviews mentioning the type),
    ``rating_<TYPE>`` (their mean rating, minus 4; the mean over all training
    reviews mentioning the type where none does) and ``profile_n``
    (:math:`\ln(1 + \text{reviews in the profile})`). A training row's own
    review is left out of its item's profile (*leave-one-out*: its own rating
    and words would tell the label); validation and test reviews are never in
    a profile. ``leaky=True`` puts the row's own review into its profile
    instead (chapter 3's leak, for the demonstration that it inflates the
    result). A row whose profile has no review gets the training mean shares
    and ratings (and ``profile_n = 0``); ``info["default_profile"]`` counts
    them per part. Fields: categorical ``age_bucket``, ``department``,
    ``class_name`` (``"unknown"`` where missing); dense ``age``
    (:math:`(\text{age} - 40)/15`) and the profile.
    """
    need = [c for c in ("review", ITEM, "age", RATING, "recommended", "department",
                        "class_name") if c not in reviews.columns]  # fmt: skip
    if need:
        raise ValueError(f"reviews lack the column(s) {need}.")
    if not (0 < test_frac and 0 <= valid_frac and test_frac + valid_frac < 1):
        raise ValueError("need test_frac > 0, valid_frac >= 0 and test_frac + valid_frac < 1.")
    df = reviews.reset_index(drop=True)
    if df["review"].duplicated().any():
        raise ValueError("review ids must be unique.")
    A = aspects
    kinds = [str(c) for c in A.columns]
    if not kinds or not all(pd.api.types.is_bool_dtype(A[c]) for c in A.columns):
        raise ValueError("aspects needs one boolean column per aspect type, as "
                         "text.ner.review_aspects(reviews) returns.")
    rows = keyed_rows(A.index, df["review"], 0.0, "reviews", "aspect row")
    A = A.iloc[rows]
    X = A[kinds].to_numpy(dtype=bool)
    u = np.random.default_rng(seed).random(len(df))
    part = np.where(u < test_frac, "test", np.where(u < test_frac + valid_frac, "valid", "train"))
    tr = part == "train"
    r = df[RATING].to_numpy(dtype=float)
    items = df[ITEM].to_numpy()
    S, R, n = _profile(X[tr], r[tr], items[tr], X, r, items, tr, leaky, kinds)
    mean_share = X[tr].mean(0)
    mention_rating = np.array([r[tr][X[tr][:, k]].mean() if X[tr][:, k].any() else r[tr].mean()
                               for k in range(len(kinds))])  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n[:, None] > 0, S / np.maximum(n, 1)[:, None], mean_share)
        rating = np.where(S > 0, R / np.maximum(S, 1e-12), mention_rating)
    out = pd.DataFrame({"review": df["review"], ITEM: items,
                        "recommended": df["recommended"].astype(float).to_numpy(),
                        "age_bucket": _age_bucket(df["age"]).to_numpy(),
                        "department": df["department"].fillna("unknown").astype(str),
                        "class_name": df["class_name"].fillna("unknown").astype(str),
                        "age": (df["age"].astype(float) - 40) / 15})  # fmt: skip
    for k, kind in enumerate(kinds):
        out[f"share_{kind}"] = share[:, k]
        out[f"rating_{kind}"] = rating[:, k] - 4
    out["profile_n"] = np.log1p(n)
    out["part"] = part
    profile = [f"share_{k}" for k in kinds] + [f"rating_{k}" for k in kinds] + ["profile_n"]
    spec = FeatureSpec(("age_bucket", "department", "class_name"), ["age"] + profile)
    parts = {p: out[out["part"] == p].drop(columns="part").reset_index(drop=True)
             for p in ("train", "valid", "test")}  # fmt: skip
    info = {"kind": "clothing recommended, split by review", "leaky": leaky, "seed": seed,
            "test_frac": test_frac, "valid_frac": valid_frac,
            "default_profile": {p: int((n[part == p] == 0).sum()) for p in parts}}  # fmt: skip
    return CTRTask(parts["train"], parts["valid"], parts["test"], spec, "recommended", info)
