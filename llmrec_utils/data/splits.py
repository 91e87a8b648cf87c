"""Splits: random, temporal, cold-item, cold-user, k-fold, and the named protocols.

A chapter never re-splits by hand: it asks for ``standard_split(name)``
(warm, warm-validation, random, temporal, cold, cold-validation, mixed,
mixed-validation, cold-users, cold-users-validation, folds), which is made once per seed, saved, and read back.
Taught in ``notebooks/01_data.ipynb``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import SEED, artifacts_dir, warn_corrupt, write_atomic
from .columns import ITEM, RATING, TIMESTAMP, USER
from .loaders import load_ml100k_ratings, validate_ratings


# --- splits --------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """A train/test split of a ratings table; ``info`` records how it was made."""

    train: pd.DataFrame
    test: pd.DataFrame
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        pairs = self.train[[USER, ITEM]].merge(self.test[[USER, ITEM]], how="inner")
        if len(pairs):
            raise AssertionError(f"{len(pairs)} (user, item) pairs are in train and test.")

    def __repr__(self) -> str:
        return (
            f"Split({self.info.get('kind', '?')}: train={len(self.train):,} rows, "
            f"test={len(self.test):,} rows)"
        )


def _random_keys(df: pd.DataFrame, seed: int) -> np.ndarray:
    """Uniform random keys that depend on the (user, item) pairs, not on row order."""
    order = np.lexsort((df[ITEM].to_numpy(), df[USER].to_numpy()))
    keys = np.empty(len(df))
    keys[order] = np.random.default_rng(seed).random(len(df))
    return keys


def random_split(
    ratings: pd.DataFrame, test_frac: float = 0.2, seed: int = SEED
) -> Split:
    """Random holdout stratified by user.

    Each user with ``n`` ratings sends ``round(test_frac * n)`` of them, at
    random, to test, but at least 1 and at most ``n - 1``, so every user is in
    both train and test (users need at least 2 ratings).
    """
    if not 0 < test_frac < 1:
        raise ValueError(f"test_frac must be in (0, 1), got {test_frac}.")
    validate_ratings(ratings, min_user_ratings=2)
    df = ratings.reset_index(drop=True)
    order = (
        df.assign(_key=_random_keys(df, seed))
        .groupby(USER)["_key"]
        .rank(method="first")
    )
    n = df.groupby(USER)[USER].transform("size")
    n_test = (n * test_frac).round().clip(lower=1, upper=n - 1)
    is_test = (order <= n_test).to_numpy()
    return Split(
        df[~is_test].reset_index(drop=True),
        df[is_test].reset_index(drop=True),
        {"kind": "random per user", "test_frac": test_frac, "seed": seed},
    )


def temporal_split(ratings: pd.DataFrame, n_test: int = 1, seed: int = SEED) -> Split:
    """Leave-last-out: each user's ``n_test`` latest ratings go to test.

    Ratings with the same timestamp (common in MovieLens, which records
    seconds) are ordered at random with ``seed``, so ties do not depend on row
    order. Users need more than ``n_test`` ratings.
    """
    if n_test < 1:
        raise ValueError(f"n_test must be >= 1, got {n_test}.")
    validate_ratings(ratings, columns=(USER, ITEM, RATING, TIMESTAMP), min_user_ratings=n_test + 1)
    df = ratings.reset_index(drop=True)
    df = df.assign(_key=_random_keys(df, seed))
    df = df.sort_values([USER, TIMESTAMP, "_key"], kind="stable")
    from_end = df.groupby(USER).cumcount(ascending=False)
    is_test = (from_end < n_test).to_numpy()
    df = df.drop(columns="_key")
    return Split(
        df[~is_test].sort_index().reset_index(drop=True),
        df[is_test].sort_index().reset_index(drop=True),
        {"kind": "temporal leave-last-out", "n_test": n_test, "seed": seed},
    )


def cold_item_split(
    ratings: pd.DataFrame, item_frac: float = 0.1, seed: int = SEED
) -> Split:
    """Cold-start items: all ratings of a random ``item_frac`` of items go to test.

    The train set never sees those items, so a model can only score them from
    their content (text, genres). Test rows of users left with no training
    ratings are dropped (those would be cold *users*, a different problem);
    ``info['dropped_cold_users']`` counts them.
    """
    if not 0 < item_frac < 1:
        raise ValueError(f"item_frac must be in (0, 1), got {item_frac}.")
    validate_ratings(ratings)
    df = ratings.reset_index(drop=True)
    items = np.sort(df[ITEM].unique())
    n_cold = max(1, int(round(item_frac * len(items))))
    if n_cold >= len(items):
        raise ValueError("item_frac leaves no items for training.")
    cold = np.random.default_rng(seed).choice(items, size=n_cold, replace=False)
    is_test = df[ITEM].isin(cold)
    train, test = df[~is_test], df[is_test]
    warm_users = train[USER].unique()
    kept = test[USER].isin(warm_users)
    return Split(
        train.reset_index(drop=True),
        test[kept].reset_index(drop=True),
        {
            "kind": "cold-start items", "item_frac": item_frac, "seed": seed,
            "cold_items": np.sort(cold).tolist(), "dropped_cold_users": int((~kept).sum()),
        },  # fmt: skip
    )


def cold_user_split(ratings: pd.DataFrame, user_frac: float = 0.1, n_visible: int = 5,
                    seed: int = SEED) -> Split:  # fmt: skip
    """Cold-start users: a random ``user_frac`` of users keep only their first
    ``n_visible`` ratings (by time, ties by item) in train; the rest go to test.

    Every other user keeps all their ratings in train, so a model learns the
    films from them and meets each new user with a handful of ratings, as a
    site meets a visitor who has just signed up. Test rows of films no train
    row mentions are dropped (those would be cold *films*, a different
    problem); ``info['dropped_cold_items']`` counts them and
    ``info['cold_users']`` lists the users.
    """
    if not 0 < user_frac < 1:
        raise ValueError(f"user_frac must be in (0, 1), got {user_frac}.")
    if n_visible < 1:
        raise ValueError(f"n_visible must be at least 1, got {n_visible}.")
    validate_ratings(ratings)
    df = ratings.reset_index(drop=True)
    counts = df.groupby(USER).size()
    eligible = np.sort(counts.index[counts > n_visible].to_numpy())
    n_cold = max(1, int(round(user_frac * len(counts))))
    if n_cold >= len(counts) or n_cold > len(eligible):
        raise ValueError(f"user_frac={user_frac} asks for {n_cold} cold users, but "
                         f"{len(eligible)} of {len(counts)} users have more than "
                         f"n_visible={n_visible} ratings and some must stay warm.")  # fmt: skip
    cold = np.sort(np.random.default_rng(seed).choice(eligible, size=n_cold, replace=False))
    keys = [USER] + ([TIMESTAMP] if TIMESTAMP in df else []) + [ITEM]
    order = df.sort_values(keys, kind="stable")
    position = order.groupby(USER).cumcount().reindex(df.index)
    is_test = df[USER].isin(cold) & (position >= n_visible)
    train, test = df[~is_test], df[is_test]
    kept = test[ITEM].isin(train[ITEM].unique())
    return Split(
        train.reset_index(drop=True),
        test[kept].reset_index(drop=True),
        {
            "kind": "cold-start users", "user_frac": user_frac, "n_visible": n_visible,
            "seed": seed, "cold_users": cold.tolist(),
            "dropped_cold_items": int((~kept).sum()),
        },  # fmt: skip
    )


def kfold_splits(ratings: pd.DataFrame, n_folds: int = 5, seed: int = SEED) -> list[Split]:
    """K-fold cross-validation over ratings (Surprise's ``KFold`` protocol).

    The ratings are shuffled and cut into ``n_folds`` near-equal folds; split
    ``f`` tests on fold ``f`` and trains on the rest. Test users or items
    absent from a fold's train set can occur: models must handle them.
    """
    if not 2 <= n_folds <= len(ratings):
        raise ValueError(f"n_folds must be between 2 and the number of ratings, got {n_folds}.")
    validate_ratings(ratings)
    df = ratings.reset_index(drop=True)
    fold = np.empty(len(df), dtype=int)
    fold[np.argsort(_random_keys(df, seed), kind="stable")] = np.arange(len(df)) % n_folds
    return [
        Split(
            df[fold != f].reset_index(drop=True),
            df[fold == f].reset_index(drop=True),
            {"kind": f"{n_folds}-fold cross-validation", "fold": f, "seed": seed},
        )
        for f in range(n_folds)
    ]


# --- the splits later chapters read --------------------------------------------
STANDARD_SPLITS = {
    "ml100k-random": lambda seed: random_split(load_ml100k_ratings(), 0.2, seed),
    "ml100k-temporal": lambda seed: temporal_split(load_ml100k_ratings(), 1, seed),
    "ml100k-cold-items": lambda seed: cold_item_split(load_ml100k_ratings(), 0.1, seed),
}


def _split_dir(name: str, seed: int) -> Path:
    return artifacts_dir() / "splits" / f"{name}-seed{seed}"


def save_split(split: Split, name: str, seed: int = SEED) -> Path:
    """Write a split as parquet files under the artefacts directory, atomically."""
    out = _split_dir(name, seed)
    out.mkdir(parents=True, exist_ok=True)
    info = {**split.info, "name": name, "seed": seed}
    writers = {
        "train.parquet": lambda path: split.train.to_parquet(path, index=False),
        "test.parquet": lambda path: split.test.to_parquet(path, index=False),
        "info.json": lambda path: Path(path).write_text(json.dumps(info, indent=1)),
    }
    for filename, write in writers.items():
        write_atomic(out / filename, write)
    return out


def load_split(name: str, seed: int = SEED) -> Split:
    """Read a standard split saved by chapter 1, rebuilding it if absent or unreadable.

    The standard splits are deterministic given ``seed``, so rebuilding gives
    the same rows as the chapter that saved them.
    """
    if name not in STANDARD_SPLITS:
        raise KeyError(f"Unknown split {name!r}; standard splits: {sorted(STANDARD_SPLITS)}")
    out = _split_dir(name, seed)
    try:
        return Split(
            pd.read_parquet(out / "train.parquet"),
            pd.read_parquet(out / "test.parquet"),
            json.loads((out / "info.json").read_text()),
        )
    except FileNotFoundError:
        pass
    except Exception as exc:  # a corrupt or truncated file
        warn_corrupt(out, exc)
    split = STANDARD_SPLITS[name](seed)
    save_split(split, name, seed)
    return Split(split.train, split.test, {**split.info, "name": name, "seed": seed})


# --- the protocols chapters 4-9 share, by name -----------------------------------
WARM_TEST_FRAC = 0.25  # chapter 4's ranking protocol: a random 75/25 split per user


N_FOLDS = 5  # chapter 4's rating protocol: Surprise's 5-fold cross-validation


def mixed_split(cold_split: Split, test_frac: float = 0.2, seed: int = SEED) -> Split:
    """Old and new films together: a cold split's test (all ratings of its cold
    items) plus a random ``test_frac`` of every user's other ratings.

    Taught in ``notebooks/05_hybrid.ipynb``.
    """
    warm_part = random_split(cold_split.train, test_frac=test_frac, seed=seed)
    test = pd.concat([warm_part.test, cold_split.test], ignore_index=True)
    return Split(warm_part.train, test, {"kind": "mixed warm + cold"})


def holdout_split(train: pd.DataFrame, seed: int = SEED) -> Split:
    """A 20% holdout of a training part for tuning: the first of its
    :data:`N_FOLDS` folds (:func:`kfold_splits`). Chapters 4 and 9 tune
    biased MF on it, never on the test fold."""
    return kfold_splits(train, n_folds=N_FOLDS, seed=seed)[0]


def warm_split(ratings: pd.DataFrame, seed: int = SEED) -> Split:
    """Chapter 4's ranking protocol on ``ratings``: a random 75/25 split per user."""
    return random_split(ratings, test_frac=WARM_TEST_FRAC, seed=seed)


def warm_validation_split(warm: Split, seed: int = SEED) -> Split:
    """The validation split cut from a warm split's train part (75/25 per user
    again), so choices made on it never see the warm test part."""
    return random_split(warm.train, test_frac=WARM_TEST_FRAC, seed=seed)


def _warm(seed: int) -> Split:
    return warm_split(load_ml100k_ratings(), seed)


def _cold_validation(seed: int) -> Split:
    return cold_item_split(load_split("ml100k-cold-items", seed).train, 0.1, seed=seed)


def _cold_users(seed: int) -> Split:
    return cold_user_split(load_ml100k_ratings(), seed=seed)


def _cold_users_validation(seed: int) -> Split:
    """A cold-user split of the other users (the test users' rows all left
    out), so a choice made on it never sees a test user."""
    outer = _cold_users(seed)
    others = outer.train[~outer.train[USER].isin(outer.info["cold_users"])]
    return cold_user_split(others, seed=seed)


PROTOCOL_SPLITS = {
    # chapter 4's ranking protocol and the validation split cut from its train part
    "warm": _warm,
    "warm-validation": lambda seed: warm_validation_split(_warm(seed), seed),
    # chapter 1's splits
    "random": lambda seed: load_split("ml100k-random", seed),
    "temporal": lambda seed: load_split("ml100k-temporal", seed),
    "cold": lambda seed: load_split("ml100k-cold-items", seed),
    "cold-validation": _cold_validation,
    # chapter 5's mixed catalogue (cold films plus 20% of the rest)
    "mixed": lambda seed: mixed_split(load_split("ml100k-cold-items", seed), seed=seed),
    "mixed-validation": lambda seed: mixed_split(_cold_validation(seed), seed=seed),
    # chapter 7's new users: a tenth of the users with their first five ratings
    "cold-users": _cold_users,
    "cold-users-validation": _cold_users_validation,
    # chapter 4's (and 8's) rating protocol
    "folds": lambda seed: kfold_splits(load_ml100k_ratings(), N_FOLDS, seed),
}


def standard_split(name: str, seed: int = SEED) -> Split | list[Split]:
    """One of the book's evaluation protocols on MovieLens-100k, by name.

    ``warm`` (random 75/25 per user), ``warm-validation`` (75/25 of warm's
    train part), ``random``, ``temporal`` and ``cold`` (chapter 1's saved
    splits, see :func:`load_split`), ``cold-validation`` (a cold split of
    cold's train part), ``mixed`` and ``mixed-validation`` (:func:`mixed_split`
    of cold and of cold-validation), ``cold-users`` and
    ``cold-users-validation`` (:func:`cold_user_split`, the second among the
    first's other users) and ``folds`` (a list of
    :data:`N_FOLDS` splits). A validation split is cut from its protocol's
    train part, so choosing on it never looks at the test part.
    """
    if name not in PROTOCOL_SPLITS:
        raise KeyError(f"Unknown protocol {name!r}; protocols: {sorted(PROTOCOL_SPLITS)}")
    return PROTOCOL_SPLITS[name](seed)
