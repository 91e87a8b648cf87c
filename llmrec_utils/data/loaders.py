"""Loaders, cleaning and the input checks of the ratings contract.

Each loader reads a pinned asset (:mod:`.assets`) and renames its columns to
:mod:`.columns`' names. :func:`validate_ratings` is the check every model's
``fit`` runs: wrong columns, unknown ids and empty frames get an error that
says what to do. Taught in ``notebooks/01_data.ipynb``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import assets
from .columns import ITEM, ML100K_GENRES, RATING, TEXT, TIMESTAMP, TITLE, USER


# --- loaders ---------------------------------------------------------------
def load_ml100k_ratings() -> pd.DataFrame:
    """MovieLens-100k ratings: ``user, item, rating, timestamp`` (100,000 rows)."""
    df = pd.read_parquet(assets.fetch("ml100k-ratings"))
    df = df.rename(columns={"user_id": USER, "movie_id": ITEM})
    return df[[USER, ITEM, RATING, TIMESTAMP]].astype(
        {USER: "int64", ITEM: "int64", RATING: "int64", TIMESTAMP: "int64"}
    )


def load_ml100k_items() -> pd.DataFrame:
    """MovieLens-100k movies.

    Columns: ``item, title, year, release_date, genres`` (``|``-joined names),
    ``imdb_url`` and one 0/1 column per genre. ``year`` is taken from the title's
    trailing ``(YYYY)`` where present, else from the release date; it is
    missing (``<NA>``) for the one item that has neither.
    """
    raw = pd.read_parquet(assets.fetch("ml100k-items"))
    df = raw.rename(columns={"movie_id": ITEM, "movie_title": TITLE, "IMDb_URL": "imdb_url"})
    df = df.drop(columns=["video_release_date"])  # empty in the source
    df["release_date"] = pd.to_datetime(df["release_date"], format="%d-%b-%Y", errors="coerce")
    title_year = df[TITLE].str.extract(r"\((\d{4})\)\s*$")[0].astype("Float64")
    df["year"] = title_year.fillna(df["release_date"].dt.year.astype("Float64")).astype("Int64")
    flags = df[list(ML100K_GENRES)].astype("int8")
    df["genres"] = [
        "|".join(g for g, on in zip(ML100K_GENRES, row) if on) for row in flags.to_numpy()
    ]
    front = df[[ITEM, TITLE, "year", "release_date", "genres", "imdb_url"]]
    return pd.concat([front, flags], axis=1)


def load_ml100k_users() -> pd.DataFrame:
    """MovieLens-100k users: ``user, age, gender, occupation, zip_code``."""
    df = pd.read_parquet(assets.fetch("ml100k-users")).rename(columns={"user_id": USER})
    return df[[USER, "age", "gender", "occupation", "zip_code"]]


def load_clothing_reviews() -> pd.DataFrame:
    """Women's E-Commerce Clothing Reviews, as published (23,486 rows).

    Columns: ``review`` (row id; the data has no reviewer id), ``item``
    (clothing id), ``age``, ``title``, ``text``, ``rating`` (1-5),
    ``recommended`` (bool), ``positive_feedback``, ``division``,
    ``department``, ``class_name``. Use :func:`clean_reviews` before modelling.
    """
    df = pd.read_parquet(assets.fetch("clothing-reviews"))
    df = df.rename(
        columns={
            "Clothing ID": ITEM, "Age": "age", "Title": TITLE, "Review Text": TEXT,
            "Rating": RATING, "Recommended IND": "recommended",
            "Positive Feedback Count": "positive_feedback", "Division Name": "division",
            "Department Name": "department", "Class Name": "class_name",
        }  # fmt: skip
    )
    df["recommended"] = df["recommended"].astype(bool)
    df.insert(0, "review", np.arange(len(df), dtype="int64"))
    return df


def clean_reviews(reviews: pd.DataFrame, min_words: int = 3) -> pd.DataFrame:
    """Reviews fit for text models.

    Decodes HTML entities left in the source (``&amp;#39;`` for an apostrophe),
    strips whitespace, drops reviews whose text is missing or shorter than
    ``min_words`` words, drops exact duplicate texts of the same item, fixes the
    source's ``Initmates`` typo, and fills a missing title with ``""``.
    """
    _require_columns(reviews, [ITEM, TEXT, RATING], "reviews")
    df = reviews.copy()
    df[TEXT] = df[TEXT].astype("string").map(_unescape, na_action="ignore").str.strip()
    if TITLE in df:
        df[TITLE] = df[TITLE].astype("string").str.strip().fillna("")
    df = df[df[TEXT].notna() & (df[TEXT].str.split().str.len() >= min_words)]
    df = df.drop_duplicates([ITEM, TEXT])
    if "division" in df:
        df["division"] = df["division"].replace({"Initmates": "Intimates"})
    return df.reset_index(drop=True)


def _unescape(text: str) -> str:
    """Undo (possibly repeated) HTML escaping: ``&amp;amp;#39;`` -> ``'``."""
    for _ in range(4):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


# --- validation --------------------------------------------------------------
def _require_columns(df: pd.DataFrame, cols, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}.")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; it has {list(df.columns)}. "
            f"The book's loaders name columns {USER!r}, {ITEM!r}, {RATING!r}, "
            f"{TIMESTAMP!r}: rename yours with df.rename(columns={{...}})."
        )


def validate_ratings(
    ratings: pd.DataFrame,
    *,
    columns: Sequence[str] = (USER, ITEM, RATING),
    min_user_ratings: int = 1,
    what: str = "ratings",
) -> None:
    """Raise ``ValueError`` with a remedy if ``ratings`` is unfit for a split or model.

    Checks: required columns, not empty, no missing values in them, no
    duplicate (user, item) pairs, every user with at least ``min_user_ratings``.
    """
    _require_columns(ratings, columns, what)
    if len(ratings) == 0:
        raise ValueError(f"{what} is empty: there is nothing to split or fit.")
    nan = ratings[list(columns)].isna().sum()
    if nan.any():
        raise ValueError(
            f"{what} has missing values: {nan[nan > 0].to_dict()}. Drop or impute them "
            f"first, e.g. {what}.dropna(subset={list(columns)})."
        )
    dup = ratings.duplicated([USER, ITEM], keep=False)
    if dup.any():
        example = ratings.loc[dup, [USER, ITEM]].iloc[0].to_dict()
        raise ValueError(
            f"{what} has {int(dup.sum())} rows in duplicate (user, item) pairs, e.g. "
            f"{example}. Keep one per pair, e.g. "
            f"{what}.sort_values('{TIMESTAMP}').drop_duplicates(['{USER}', '{ITEM}'], keep='last')."
        )
    if min_user_ratings > 1:
        counts = ratings.groupby(USER).size()
        few = counts[counts < min_user_ratings]
        if len(few):
            raise ValueError(
                f"{len(few)} user(s) have fewer than {min_user_ratings} ratings "
                f"(e.g. user {few.index[0]!r} has {int(few.iloc[0])}); this split needs "
                f"at least {min_user_ratings} per user. Remove them first with "
                f"drop_sparse_users({what}, {min_user_ratings})."
            )


def drop_sparse_users(ratings: pd.DataFrame, min_ratings: int) -> pd.DataFrame:
    """Keep only users with at least ``min_ratings`` ratings."""
    _require_columns(ratings, [USER], "ratings")
    counts = ratings.groupby(USER)[USER].transform("size")
    return ratings[counts >= min_ratings].reset_index(drop=True)
