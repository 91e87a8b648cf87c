"""LLM data augmentation: prompts, output schemas, and the jobs that run them.

Each augmentation has a prompt template with a version (part of every cache
key: edit a template, bump its version), a pydantic schema its answers must
satisfy, and a function that builds one job per item or user. The
generations the book uses are made by ``llmrec augment ...`` with the default
model and committed under ``data/generations/`` so that chapter 6 replays them.
Taught in ``notebooks/06_llm_augmentation.ipynb``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pydantic

from .data import ITEM, TITLE

__all__ = [
    "GENERATIONS_DIR", "ITEM_TEMPLATE_VERSION", "ItemProfile", "item_prompt", "item_jobs",
    "profile_text", "USER_TEMPLATE_VERSION", "UserProfile", "user_history", "user_prompt",
    "PICK_TEMPLATE_VERSION", "Pick", "pick_prompt", "check_pick",
    "PARAPHRASE_TEMPLATE_VERSION", "Paraphrase", "paraphrase_prompt", "eda_augment",
]  # fmt: skip

GENERATIONS_DIR = Path(__file__).resolve().parents[1] / "data" / "generations"


# --- 1. item profiles (LLMRec's item attributes, KAR's item knowledge) -------------
ITEM_TEMPLATE_VERSION = "item-profile-v1"


class ItemProfile(pydantic.BaseModel):
    """What the LLM writes about a film from its title, year and genres."""

    summary: str = pydantic.Field(min_length=10, max_length=600)  # one or two sentences
    themes: list[str] = pydantic.Field(min_length=1, max_length=8)  # short phrases
    mood: str = pydantic.Field(min_length=2, max_length=80)
    audience: str = pydantic.Field(min_length=2, max_length=160)


_ITEM_SYSTEM = "You are a film expert. You answer with one JSON object and nothing else."
_ITEM_ASK = (
    "Film: {title}\nGenres: {genres}\n"
    'Write a JSON object with the keys "summary" (one or two sentences about the film), '
    '"themes" (a list of 2 to 4 short themes), "mood" (a few words) and "audience" '
    "(who would enjoy it)."
)
# One worked example, of a film released after MovieLens-100k was collected, so
# the example cannot leak an answer.
_ITEM_EXAMPLE = (
    _ITEM_ASK.format(title="Spirited Away (2001)", genres="Animation, Fantasy, Adventure"),
    '{"summary": "A girl trapped in a world of spirits works in a bathhouse to free '
    'her parents and find her way home.", "themes": ["coming of age", "courage", '
    '"greed"], "mood": "magical and bittersweet", "audience": "families and fans of '
    'hand-drawn animation"}',
)


def item_prompt(title: str, genres: str) -> list[dict]:
    """The chat messages asking for one film's profile."""
    genres = genres.replace("|", ", ") if genres else "unknown"
    return [
        {"role": "system", "content": _ITEM_SYSTEM},
        {"role": "user", "content": _ITEM_EXAMPLE[0]},
        {"role": "assistant", "content": _ITEM_EXAMPLE[1]},
        {"role": "user", "content": _ITEM_ASK.format(title=title, genres=genres)},
    ]


def item_jobs(items: pd.DataFrame) -> dict:
    """One job per film of ``data.load_ml100k_items()``: item id -> messages."""
    missing = {ITEM, TITLE, "genres"} - set(items.columns)
    if missing:
        raise ValueError(f"items needs columns {sorted(missing)}; use data.load_ml100k_items().")
    return {int(r[ITEM]): item_prompt(str(r[TITLE]), str(r["genres"]))
            for r in items.to_dict("records")}  # fmt: skip


def profile_text(profile: dict) -> str:
    """A validated item profile as one line of text, ready to embed."""
    return (
        f"{profile['summary']} Themes: {', '.join(profile['themes'])}. "
        f"Mood: {profile['mood']}. Audience: {profile['audience']}."
    )


# --- 2. user profiles --------------------------------------------------------------
USER_TEMPLATE_VERSION = "user-profile-v1"


class UserProfile(pydantic.BaseModel):
    """A user's tastes as the LLM reads them from their training history."""

    likes: list[str] = pydantic.Field(min_length=1, max_length=5)  # genres, themes, eras
    dislikes: list[str] = pydantic.Field(default_factory=list, max_length=5)
    summary: str = pydantic.Field(min_length=10, max_length=400)


_USER_SYSTEM = "You describe a movie fan's taste. You answer with one JSON object and nothing else."
_USER_ASK = (
    "Films this person rated (1 = hated, 5 = loved):\n{history}\n"
    'Write a JSON object with the keys "likes" (up to 4 short phrases), "dislikes" '
    '(up to 3 short phrases, or an empty list) and "summary" (one sentence about their taste).'
)


def user_history(train: pd.DataFrame, items: pd.DataFrame, user, n: int = 12) -> str:
    """The user's ``n`` most recent training ratings as lines ``Title (genres): stars``."""
    from .data import RATING, TIMESTAMP, USER

    rows = train[train[USER] == user]
    if rows.empty:
        raise ValueError(f"user {user!r} has no training ratings; a profile needs a history.")
    rows = rows.sort_values(TIMESTAMP).tail(n).merge(items[[ITEM, TITLE, "genres"]], on=ITEM)
    return "\n".join(
        f"- {r[TITLE]} ({r['genres'].replace('|', ', ')}): {int(r[RATING])}"
        for r in rows.to_dict("records")
    )


def user_prompt(history: str) -> list[dict]:
    """The chat messages asking for one user's taste profile."""
    return [{"role": "system", "content": _USER_SYSTEM},
            {"role": "user", "content": _USER_ASK.format(history=history)}]  # fmt: skip


# --- 3. interaction augmentation (LLMRec's core) -----------------------------------
PICK_TEMPLATE_VERSION = "pick-v1"


class Pick(pydantic.BaseModel):
    """Among numbered candidates: one the user would like, one they would not."""

    positive: int = pydantic.Field(ge=1)
    negative: int = pydantic.Field(ge=1)

    @pydantic.model_validator(mode="after")
    def _different(self):
        if self.positive == self.negative:
            raise ValueError("positive and negative must be different candidates")
        return self


def pick_prompt(history: str, candidates: list[str]) -> list[dict]:
    """Ask for a likely positive and a likely negative among ``candidates`` (numbered from 1)."""
    if len(candidates) < 2:
        raise ValueError("need at least two candidates to pick a positive and a negative.")
    listing = "\n".join(f"{n}. {title}" for n, title in enumerate(candidates, start=1))
    return [
        {"role": "system", "content": "You recommend films. You answer with one JSON object."},
        {"role": "user", "content": (
            f"Films this person rated (1 = hated, 5 = loved):\n{history}\n\nCandidates:\n"
            f"{listing}\n\nWhich candidate would this person most like, and which least? "
            'Answer as {"positive": <number>, "negative": <number>}.')},
    ]  # fmt: skip


def check_pick(pick: dict, n_candidates: int) -> dict:
    """Reject a pick that points outside the candidate list (a hallucinated number)."""
    for field_name in ("positive", "negative"):
        if not 1 <= pick[field_name] <= n_candidates:
            raise ValueError(f"{field_name}={pick[field_name]} is not one of the "
                             f"{n_candidates} candidates.")  # fmt: skip
    return pick


# --- 4. text augmentation for a low-resource classifier ----------------------------
PARAPHRASE_TEMPLATE_VERSION = "paraphrase-v1"


class Paraphrase(pydantic.BaseModel):
    """A rewording of a review that keeps its meaning and its verdict."""

    paraphrase: str = pydantic.Field(min_length=10, max_length=1200)


def paraphrase_prompt(review: str) -> list[dict]:
    """Ask for one paraphrase of a clothing review."""
    return [
        {"role": "system", "content": "You rewrite customer reviews. You answer with one JSON object."},
        {"role": "user", "content": (
            f"Review: {review}\n\nRewrite this review in different words, keeping its meaning "
            'and how positive or negative it is. Answer as {"paraphrase": "..."}.')},
    ]  # fmt: skip


def eda_augment(text: str, n: int = 1, p: float = 0.1, seed: int = 0) -> list[str]:
    """EDA-style augmentation without an LLM (Wei and Zou, 2019): random swaps
    and deletions of words, a share ``p`` of the words each. The baseline that
    LLM paraphrases must beat."""
    import numpy as np

    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1), got {p!r}.")
    words = text.split()
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        w = list(words)
        n_ops = max(1, int(round(p * len(w)))) if len(w) > 1 else 0
        for _ in range(n_ops):  # swaps
            a, b = rng.integers(0, len(w), 2)
            w[a], w[b] = w[b], w[a]
        if len(w) > 3:  # deletions, never down to nothing
            keep = rng.random(len(w)) >= p
            keep[rng.integers(0, len(w))] = True
            w = [x for x, k in zip(w, keep) if k]
        out.append(" ".join(w))
    return out
