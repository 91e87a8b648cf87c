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
    "profile_text",
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
