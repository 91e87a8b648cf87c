"""LLM data augmentation: prompts, output schemas, and the jobs that run them.

Each augmentation has a prompt template with a version (part of every cache
key: edit a template, bump its version), a pydantic schema its answers must
satisfy, and a function that builds one job per item or user. The
generations the book uses are made by ``llmrec augment ...`` with the default
model and committed under ``data/generations/`` so that chapter 6 replays them.
Taught in ``notebooks/06_llm_augmentation.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import pydantic

from ..config import SEED, data_dir
from ..data import loaders, splits
from ..data.columns import ITEM, RATING, TEXT, TITLE, USER
from . import llm

__all__ = ['generations_dir', 'ITEM_TEMPLATE_VERSION', 'ItemProfile', 'item_prompt', 'item_jobs', 'profile_text', 'USER_TEMPLATE_VERSION', 'UserProfile', 'user_history', 'user_prompt', 'PICK_TEMPLATE_VERSION', 'Pick', 'pick_prompt', 'check_pick', 'PARAPHRASE_TEMPLATE_VERSION', 'Paraphrase', 'paraphrase_prompt', 'eda_augment', 'ITEM_TEMPLATE_V1', 'PICK_CANDIDATES', 'generation_train', 'N_PROFILED_USERS', 'profiled_users', 'user_jobs', 'cold_user_jobs', 'pick_candidates', 'load_pick_candidates', 'pick_jobs', 'pick_triples', 'review_splits', 'paraphrase_jobs', 'Recipe', 'RECIPES', 'jobs', 'run', 'replay', 'DEFAULT_RUN', 'RUN_STACK', 'stack_differences', 'run_name', 'run_dir', 'runs', 'run_model_id']  # fmt: skip


DEFAULT_RUN = "smollm2-135m"  # the folder of the default model's committed generations
# The libraries the default run was generated with (requirements.txt's pins, under which
# the book's tests regenerate answers and find them equal to the run's). Greedy decoding
# is reproducible for a fixed stack only: other versions sum floats in another order,
# and a near tie between two tokens can then go the other way (Colab's, for instance).
RUN_STACK = {"torch": "2.13.0", "transformers": "5.24.0", "gguf": "0.19.0"}


def stack_differences(stack: dict[str, str] = RUN_STACK) -> dict[str, tuple[str, str]]:
    """``{library: (the run's version, this runtime's)}`` for each library of
    :data:`RUN_STACK` installed in another version (local tags like +cpu ignored)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name, recorded in stack.items():
        try:
            here = version(name).split("+")[0]
        except PackageNotFoundError:
            here = "not installed"
        if here != recorded:
            out[name] = (recorded, here)
    return out


def generations_dir() -> Path:
    """``data/generations``: one folder per model's run; shared inputs at the top.
    Computed when asked (nothing is looked up at import)."""
    return data_dir() / "generations"


def run_name(model: str) -> str:
    """The folder name of a model's generations: ``smollm2-135m`` for the
    default, else the ``--model`` argument with ``/`` and odd characters as ``-``."""
    if model in ("", "smollm2-135m"):
        return DEFAULT_RUN
    if model == "http":
        import os

        model = "http-" + os.environ.get("LLMREC_LLM_MODEL", "endpoint")
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in model).strip("-.") or "model"


def run_dir(run: str = DEFAULT_RUN) -> Path:
    """Where the generations of ``run`` (a model's folder) live."""
    return generations_dir() / run


def runs() -> list[str]:
    """Every model folder under ``data/generations/`` holding at least one
    augmentation's cache, the default model's first."""
    found = sorted(p.name for p in generations_dir().iterdir()
                   if p.is_dir() and any((p / r.file).exists() for r in RECIPES.values()))
    return sorted(found, key=lambda name: name != DEFAULT_RUN)


def run_model_id(run: str = DEFAULT_RUN, files: Sequence[str] = ()) -> str:
    """The model id a run's records were generated with (read from the records
    of ``files`` in the run's folder, then of the augmentations; the default
    model's id for the default run)."""
    import json

    if run == DEFAULT_RUN:
        return llm.default_model_id()
    for name in (*files, *(recipe.file for recipe in RECIPES.values())):
        path = run_dir(run) / name
        if path.exists():
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        return json.loads(line)["model"]
    raise FileNotFoundError(f"{run_dir(run)} holds no generations; run `llmrec augment ...` first.")


# --- 1. item profiles (LLMRec's item attributes, KAR's item knowledge) -------------
ITEM_TEMPLATE_VERSION = "item-profile-v2"


ITEM_TEMPLATE_V1 = "item-profile-v1"  # the first run, kept for chapter 6's comparison


class ItemProfile(pydantic.BaseModel):
    """What the LLM writes about a film from its title, year and genres."""

    summary: str = pydantic.Field(min_length=10, max_length=600)  # one or two sentences
    themes: list[str] = pydantic.Field(min_length=1, max_length=8)  # short phrases
    mood: str = pydantic.Field(min_length=2, max_length=80)
    audience: str = pydantic.Field(min_length=2, max_length=160)


_ITEM_SYSTEM = "You are a film expert. You answer with one JSON object and nothing else."


# v1: one worked example, themes before mood and audience. A small model
# copied the example's audience into most answers, and a loop in the themes
# list ate the token budget before "mood" and "audience" were written.
_ITEM_ASK_V1 = (
    "Film: {title}\nGenres: {genres}\n"
    'Write a JSON object with the keys "summary" (one or two sentences about the film), '
    '"themes" (a list of 2 to 4 short themes), "mood" (a few words) and "audience" '
    "(who would enjoy it)."
)


_ITEM_EXAMPLE_V1 = (
    _ITEM_ASK_V1.format(title="Spirited Away (2001)", genres="Animation, Fantasy, Adventure"),
    '{"summary": "A girl trapped in a world of spirits works in a bathhouse to free '
    'her parents and find her way home.", "themes": ["coming of age", "courage", '
    '"greed"], "mood": "magical and bittersweet", "audience": "families and fans of '
    'hand-drawn animation"}',
)


# v2: two worked examples with different moods and audiences, and the list
# last, so that a loop in it is cut off (and repaired) after the other keys.
# Both example films were released after MovieLens-100k, so neither can leak
# an answer.
_ITEM_ASK = (
    "Film: {title}\nGenres: {genres}\n"
    'Write a JSON object with the keys "summary" (one sentence about the film), "mood" '
    '(a few words), "audience" (who would enjoy it) and "themes" (a list of three short '
    "themes)."
)


_ITEM_EXAMPLES = [
    (_ITEM_ASK.format(title="Memento (2000)", genres="Mystery, Thriller"),
     '{"summary": "A man who cannot form new memories hunts his wife\'s killer using '
     'notes and tattoos.", "mood": "tense and disorienting", "audience": "adults who like '
     'puzzle-box thrillers", "themes": ["memory", "revenge", "self-deception"]}'),
    (_ITEM_ASK.format(title="Spirited Away (2001)", genres="Animation, Fantasy, Adventure"),
     '{"summary": "A girl trapped in a world of spirits works in a bathhouse to free her '
     'parents.", "mood": "magical and bittersweet", "audience": "families and fans of '
     'hand-drawn animation", "themes": ["coming of age", "courage", "greed"]}'),
]  # fmt: skip


def item_prompt(title: str, genres: str, version: str = ITEM_TEMPLATE_VERSION) -> list[dict]:
    """The chat messages asking for one film's profile (template v2, or v1)."""
    genres = genres.replace("|", ", ") if genres else "unknown"
    if version == ITEM_TEMPLATE_V1:
        shots, ask = [_ITEM_EXAMPLE_V1], _ITEM_ASK_V1
    elif version == ITEM_TEMPLATE_VERSION:
        shots, ask = _ITEM_EXAMPLES, _ITEM_ASK
    else:
        raise ValueError(f"unknown item template {version!r}; use "
                         f"{ITEM_TEMPLATE_VERSION!r} or {ITEM_TEMPLATE_V1!r}.")  # fmt: skip
    messages = [{"role": "system", "content": _ITEM_SYSTEM}]
    for question, answer in shots:
        messages += [{"role": "user", "content": question},
                     {"role": "assistant", "content": answer}]  # fmt: skip
    return messages + [{"role": "user", "content": ask.format(title=title, genres=genres)}]


def item_jobs(items: pd.DataFrame, version: str = ITEM_TEMPLATE_VERSION) -> dict:
    """One job per film of ``loaders.load_ml100k_items()``: item id -> messages."""
    missing = {ITEM, TITLE, "genres"} - set(items.columns)
    if missing:
        raise ValueError(f"items needs columns {sorted(missing)}; use loaders.load_ml100k_items().")
    return {int(r[ITEM]): item_prompt(str(r[TITLE]), str(r["genres"]), version)
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

    summary: str = pydantic.Field(min_length=10, max_length=400)
    likes: list[str] = pydantic.Field(min_length=1, max_length=5)  # genres, themes, eras
    dislikes: list[str] = pydantic.Field(default_factory=list, max_length=5)


_USER_SYSTEM = "You describe a movie fan's taste. You answer with one JSON object and nothing else."


_USER_ASK = (
    "Films this person rated (1 = hated, 5 = loved):\n{history}\n"
    'Write a JSON object with the keys "summary" (one sentence about their taste), "likes" '
    '(up to 4 short phrases) and "dislikes" (up to 3 short phrases, or an empty list).'
)


def user_histories(train: pd.DataFrame, items: pd.DataFrame, n: int = 10) -> dict:
    """Every user's ``n`` most recent training ratings as lines
    ``- Title (genres): stars`` (the history the prompts show), by user id."""
    from ..data.columns import TIMESTAMP

    title = dict(zip(items[ITEM], items[TITLE]))
    genres = dict(zip(items[ITEM], items["genres"].str.replace("|", ", ")))
    out = {}
    for u, rows in train.groupby(USER, sort=True):
        recent = rows.sort_values(TIMESTAMP).tail(n)
        out[int(u)] = "\n".join(f"- {title[i]} ({genres[i]}): {int(r)}"
                                 for i, r in zip(recent[ITEM], recent[RATING]))  # fmt: skip
    return out


def user_history(train: pd.DataFrame, items: pd.DataFrame, user: int, n: int = 10) -> str:
    """One user's ``n`` most recent training ratings (see :func:`user_histories`)."""
    rows = train[train[USER] == user]
    if rows.empty:
        raise ValueError(f"user {user!r} has no training ratings; a profile needs a history.")
    return user_histories(rows, items, n)[int(user)]


# One worked example (films released after MovieLens-100k): without it the
# small model answered in prose, not JSON.
_USER_EXAMPLE = (
    _USER_ASK.format(history="\n".join([
        "- Matrix, The (1999) (Action, Sci-Fi): 5",
        "- Memento (2000) (Mystery, Thriller): 5",
        "- Notting Hill (1999) (Comedy, Romance): 2",
        "- Gladiator (2000) (Action, Drama): 4",
        "- Bridget Jones's Diary (2001) (Comedy, Romance): 1"])),
    '{"summary": "Loves clever, dark action and thrillers, and has no patience for '
    'romantic comedies.", "likes": ["science fiction", "twisty thrillers", "epic action"], '
    '"dislikes": ["romantic comedy"]}',
)  # fmt: skip


def user_prompt(history: str) -> list[dict]:
    """The chat messages asking for one user's taste profile."""
    return [{"role": "system", "content": _USER_SYSTEM},
            {"role": "user", "content": _USER_EXAMPLE[0]},
            {"role": "assistant", "content": _USER_EXAMPLE[1]},
            {"role": "user", "content": _USER_ASK.format(history=history)}]  # fmt: skip


# --- 3. interaction augmentation (LLMRec's core) -----------------------------------
PICK_TEMPLATE_VERSION = "pick-v1"


PICK_CANDIDATES = 10  # the base model's top-N shown to the LLM


class Pick(pydantic.BaseModel):
    """Among numbered candidates: one the user would like, one they would not."""

    positive: int = pydantic.Field(ge=1, le=PICK_CANDIDATES)  # outside the list: hallucinated
    negative: int = pydantic.Field(ge=1, le=PICK_CANDIDATES)


# No worked example: with one, the small model copied the example's two
# numbers into every answer. The answer is started for it instead (the final
# assistant message is a prefix the model continues), which fixes the format.
_PICK_ASK = (
    "Films this person rated (1 = hated, 5 = loved):\n{history}\n\nCandidates:\n{listing}\n\n"
    "Which candidate would this person like most, and which least? "
    'Answer as {{"positive": <number>, "negative": <number>}}.'
)


def pick_prompt(history: str, candidates: list[str]) -> list[dict]:
    """Ask for a likely positive and a likely negative among ``candidates`` (numbered from 1)."""
    if len(candidates) < 2:
        raise ValueError("need at least two candidates to pick a positive and a negative.")
    listing = "\n".join(f"{n}. {title}" for n, title in enumerate(candidates, start=1))
    return [
        {"role": "system", "content": "You recommend films. You answer with one JSON object."},
        {"role": "user", "content": _PICK_ASK.format(history=history, listing=listing)},
        {"role": "assistant", "content": '{"positive": '},
    ]


def check_pick(pick: dict, n_candidates: int) -> tuple[int, int]:
    """The two picked positions (from 1); a number outside the list (hallucinated)
    or the same candidate twice is a ValueError."""
    for field_name in ("positive", "negative"):
        if not 1 <= pick[field_name] <= n_candidates:
            raise ValueError(f"{field_name}={pick[field_name]} is not one of the "
                             f"{n_candidates} candidates.")  # fmt: skip
    if pick["positive"] == pick["negative"]:
        raise ValueError("positive and negative are the same candidate.")
    return pick["positive"], pick["negative"]


# --- 4. text augmentation for a low-resource classifier ----------------------------
PARAPHRASE_TEMPLATE_VERSION = "paraphrase-v1"


class Paraphrase(pydantic.BaseModel):
    """A rewording of a review that keeps its meaning and its verdict."""

    paraphrase: str = pydantic.Field(min_length=10, max_length=1200)


_PARAPHRASE_ASK = (
    "Review: {review}\n\nRewrite this review in different words, keeping its meaning "
    'and how positive or negative it is. Answer as {{"paraphrase": "..."}}.'
)


_PARAPHRASE_EXAMPLE = (
    _PARAPHRASE_ASK.format(review="Love the colour but the sleeves are way too long and "
                           "the fabric pills after one wash. Returning it."),
    '{"paraphrase": "The colour is lovely, yet the arms are much too long and the material '
    'started pilling after a single wash, so it is going back."}',
)  # fmt: skip


def paraphrase_prompt(review: str) -> list[dict]:
    """Ask for one paraphrase of a clothing review."""
    return [
        {"role": "system", "content": "You rewrite customer reviews. You answer with one JSON object."},
        {"role": "user", "content": _PARAPHRASE_EXAMPLE[0]},
        {"role": "assistant", "content": _PARAPHRASE_EXAMPLE[1]},
        {"role": "user", "content": _PARAPHRASE_ASK.format(review=review)},
    ]  # fmt: skip


def eda_augment(text: str, n: int = 1, p: float = 0.1, seed: int = SEED) -> list[str]:
    """EDA-style augmentation without an LLM (Wei and Zou, 2019): random swaps
    and deletions of words, a share ``p`` of the words each. The baseline that
    LLM paraphrases must beat.

    Two of EDA's four operations: synonym replacement and random insertion,
    which need a thesaurus such as WordNet, are not implemented.
    """
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


# --- the generation runs: which data each sees, and how they are made ------------------
def generation_train(ratings: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ratings the LLM may read about users: the train part of the
    ``warm-validation`` protocol (:func:`splits.standard_split`), i.e. chapter
    5's warm split minus its validation part. Validation and test stay unseen,
    so chapter 6 can choose hyper-parameters on validation and report on test."""
    if ratings is None:
        return splits.standard_split("warm-validation", SEED).train
    return splits.warm_validation_split(splits.warm_split(ratings, SEED), SEED).train


N_PROFILED_USERS = 300  # a seeded sample: 943 profiles cost ~30 min on 2 CPU cores


def profiled_users(train: pd.DataFrame, n: int = N_PROFILED_USERS) -> np.ndarray:
    """The users who get an LLM-written profile: a seeded random sample of ``n``
    users of ``train`` (all of them if ``n`` is 0 or at least their number), sorted."""
    users = np.sort(train[USER].unique())
    if n and n < len(users):
        users = np.sort(np.random.default_rng(SEED).choice(users, size=n, replace=False))
    return users


def user_jobs(train: pd.DataFrame, items: pd.DataFrame,
              users: Iterable[int] | None = None) -> dict:  # fmt: skip
    """One job per user (default: :func:`profiled_users`): user id -> messages
    showing their last 10 ratings in ``train``."""
    users = profiled_users(train) if users is None else users
    histories = user_histories(train[train[USER].isin(users)], items)
    return {int(u): user_prompt(histories[int(u)]) for u in sorted(users)}


def cold_user_jobs(items: pd.DataFrame, seed: int = SEED) -> dict:
    """One job per cold user of the ``cold-users`` protocol
    (:func:`splits.cold_user_split`), from the only ratings of theirs that its
    train part holds: their first few. Chapter 7 profiles new users from what
    a new user has shown, never from their held-out ratings."""
    sp = splits.standard_split("cold-users", seed)
    return user_jobs(sp.train, items, users=sp.info["cold_users"])


def pick_candidates(train: pd.DataFrame, n: int = PICK_CANDIDATES) -> pd.DataFrame:
    """The base model's top ``n`` unseen films per user (``user, rank, item,
    position``): :class:`mf.BPR` with its defaults, fitted on ``train``.
    ``position`` is where the film is shown in the prompt: a seeded shuffle,
    because a small model picks the first-listed candidates far more often
    than the others, and the base model's order must not leak through that bias."""
    from ..models import mf

    base = mf.BPR(seed=SEED).fit(train)
    recs = base.recommend(np.sort(train[USER].unique()), k=n)[[USER, "rank", ITEM]]
    rng = np.random.default_rng(SEED)
    recs = recs.sort_values([USER, "rank"]).reset_index(drop=True)
    recs["position"] = np.concatenate(
        [rng.permutation(len(g)) + 1 for _, g in recs.groupby(USER, sort=True)])
    return recs


def load_pick_candidates(train: pd.DataFrame, path: Path | None = None) -> pd.DataFrame:
    """The committed candidate lists (so prompts are identical on every machine:
    a refit can differ in the last float bits and reorder near-ties), computed
    and written by :func:`pick_candidates` when the file is absent."""
    path = Path(path or generations_dir() / "pick-candidates.csv")
    cols = {USER, "rank", ITEM, "position"}
    if path.exists():
        cands = pd.read_csv(path)
        if set(cands.columns) != cols:
            raise ValueError(f"{path} needs columns {sorted(cols)}; delete it to recompute.")
        return cands
    cands = pick_candidates(train)
    path.parent.mkdir(parents=True, exist_ok=True)
    cands.to_csv(path, index=False)
    return cands


def pick_jobs(train: pd.DataFrame, items: pd.DataFrame, candidates: pd.DataFrame) -> dict:
    """One job per user: user id -> messages with their history and candidates."""
    titles = items.set_index(ITEM)[TITLE]
    histories = user_histories(train, items)
    jobs = {}
    for u, group in candidates.sort_values([USER, "position"]).groupby(USER):
        jobs[int(u)] = pick_prompt(histories[int(u)], titles.loc[group[ITEM]].tolist())
    return jobs


def pick_triples(results: pd.DataFrame, candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Valid picks as ``(user, positive, negative)`` item ids, for
    ``mf.BPR(extra=...)``, and why each other answer was dropped."""
    lists = candidates.sort_values([USER, "position"]).groupby(USER)[ITEM].apply(list)
    rows, dropped = [], {}
    for uid, r in results.iterrows():
        if r["status"] == "rejected":
            dropped[uid] = "rejected by the parser"
            continue
        cands = lists.loc[int(uid)]
        try:
            pos, neg = check_pick(r["value"], len(cands))
        except ValueError as exc:
            dropped[uid] = str(exc)
            continue
        rows.append((int(uid), cands[pos - 1], cands[neg - 1]))
    return (pd.DataFrame(rows, columns=[USER, "positive", "negative"]),
            pd.Series(dropped, name="reason", dtype=str))  # fmt: skip


def review_splits(reviews: pd.DataFrame | None = None, max_words: int = 40,
                  pool: int = 400, n_valid: int = 1000, n_test: int = 3000) -> dict:
    """Short clothing reviews (3 to ``max_words`` words) shuffled once with the
    book's seed and cut into a labelled ``pool`` (the low-resource training
    sets are drawn from it; only these are paraphrased), ``valid`` and ``test``."""
    reviews = loaders.clean_reviews(loaders.load_clothing_reviews()) if reviews is None else reviews
    short = reviews[reviews[TEXT].str.split().str.len() <= max_words]
    short = short.sample(frac=1.0, random_state=SEED).reset_index(drop=True)
    if len(short) < pool + n_valid + n_test:
        raise ValueError(f"only {len(short)} reviews of at most {max_words} words; "
                         "lower pool, n_valid or n_test.")  # fmt: skip
    cols = ["review", TEXT, RATING, "recommended"]
    return {"pool": short.iloc[:pool][cols],
            "valid": short.iloc[pool : pool + n_valid][cols],
            "test": short.iloc[pool + n_valid : pool + n_valid + n_test][cols]}  # fmt: skip


def paraphrase_jobs(pool: pd.DataFrame) -> dict:
    """One job per review of the labelled pool: review id -> messages."""
    return {int(r["review"]): paraphrase_prompt(str(r[TEXT])) for r in pool.to_dict("records")}


@dataclass(frozen=True)
class Recipe:
    """How one augmentation's generations are made: the cache file, template
    version, schema, decoding and batch size that ``llmrec augment NAME`` uses."""

    file: str
    template: str
    schema: type
    decoding: llm.Decoding
    batch_size: int = 16


_DECODING = llm.Decoding(max_new_tokens=128, stop_at_json=True)


RECIPES = {
    "items": Recipe("item-profiles.jsonl", ITEM_TEMPLATE_VERSION, ItemProfile, _DECODING),
    "users": Recipe("user-profiles.jsonl", USER_TEMPLATE_VERSION, UserProfile, _DECODING),
    "cold-users": Recipe("cold-user-profiles.jsonl", USER_TEMPLATE_VERSION, UserProfile,
                         _DECODING),
    "picks": Recipe("picks.jsonl", PICK_TEMPLATE_VERSION, Pick,
                    llm.Decoding(max_new_tokens=24, stop_at_json=True)),
    "paraphrases": Recipe("paraphrases.jsonl", PARAPHRASE_TEMPLATE_VERSION, Paraphrase,
                          _DECODING),
}  # fmt: skip


def jobs(name: str) -> dict:
    """The jobs of augmentation ``name``, built from the book's data."""
    if name not in RECIPES:
        raise ValueError(f"unknown augmentation {name!r}; choose from {sorted(RECIPES)}.")
    items = loaders.load_ml100k_items()
    if name == "items":
        return item_jobs(items.sort_values(ITEM))
    if name == "paraphrases":
        return paraphrase_jobs(review_splits()["pool"])
    if name == "cold-users":
        return cold_user_jobs(items)
    train = generation_train()
    if name == "users":
        return user_jobs(train, items)
    return pick_jobs(train, items, load_pick_candidates(train))


def run(name: str, generator: llm.Generator, limit: int = 0, retries: int = 1,
        batch_size: int | None = None, path: Path | None = None, progress: bool = True,
        folder: str = DEFAULT_RUN) -> tuple[pd.DataFrame, llm.RunSummary]:
    """Generate (or resume) augmentation ``name`` into its cache, by default
    ``data/generations/<folder>/<file>``; returns ``(results, summary)`` of
    :func:`llm.generate_structured`."""
    recipe = RECIPES.get(name)
    todo = jobs(name)
    if limit:
        todo = dict(list(todo.items())[:limit])
    cache = llm.GenerationCache(path or run_dir(folder) / recipe.file)
    return llm.generate_structured(generator, todo, recipe.schema, cache, recipe.template,
                                   recipe.decoding, retries=retries,
                                   batch_size=batch_size or recipe.batch_size,
                                   progress=progress)  # fmt: skip


def replay(name: str, retries: int = 1, path: Path | None = None,
           run_folder: str = DEFAULT_RUN) -> pd.DataFrame:
    """The committed generations of ``name`` by the model of ``run_folder``
    (default: the default model's), read from the cache without loading a
    model; a missing answer is an error that names the command."""
    generator = llm.CacheOnly(run_model_id(run_folder), f"llmrec augment {name}")
    results, _ = run(name, generator, retries=retries, path=path, progress=False,
                     folder=run_folder)
    return results
