"""Chapter 6's experiments: what each augmentation adds, and its leaderboard rows.

The prompts, schemas and jobs are in :mod:`llmrec_utils.text.augment`; this
module holds what the chapter measures with them: the text blend with LLM item
profiles (:func:`blend_experiment`), the user profile in the taste vector
(:func:`profile_experiment`), BPR with the LLM's picked triples
(:func:`choose_pick_setting`, :func:`score_picks`) and review paraphrases
(:func:`augmented_training_set`, :func:`fit_review_classifier`). Each
experiment chooses its setting on ``warm_valid`` and scores the warm test
split per user.

Four of those per-user results are the chapter's rows on chapter 8's
leaderboard. The chapter stores its own results as the rows
(:func:`save_board_rows`); :func:`board_rows` reads them, and when they are
missing or stale (chapter 8 run alone) :func:`compute_board_rows` makes them
by the same functions, from the committed generations.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..config import SEED
from ..data import loaders, splits
from ..data.columns import ITEM, TEXT
from ..text import llm
from ..text.augment import (
    DEFAULT_RUN,
    RECIPES,
    eda_augment,
    generations_dir,
    load_pick_candidates,
    pick_triples,
    profile_text,
    profiled_users,
    replay,
    run_dir,
)

if TYPE_CHECKING:
    from ..models import mf

__all__ = ['AUGMENTATIONS', 'BOARD_METRICS', 'PICK_SETTINGS', 'PROFILE_WEIGHTS', 'TEXT_BLEND_WEIGHTS', 'attempts', 'augmented_training_set', 'blend_experiment', 'board_definitions', 'board_rows', 'bpr_fit', 'card_texts', 'choose_pick_setting', 'compute_board_rows', 'fit_review_classifier', 'hit_rate', 'on_profiled', 'profile_content', 'profile_experiment', 'profile_vectors', 'save_board_rows', 'score_picks', 'text_blend', 'top_reasons', 'user_profile_text', 'valid_values']  # fmt: skip


# --- the settings each experiment tries on warm_valid -------------------------------
BOARD_METRICS = ("NDCG@10", "Recall@20")  # scored per user on the warm test split


PICK_SETTINGS = ((1, 0.0), (5, 0.0), (5, 0.3))  # (times each triple is shown, pruned share)


TEXT_BLEND_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)  # weight of the text model in EASE + text


PROFILE_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # weight of the user profile in the taste vector


BOARD_VERSION = 1  # bump when the code below changes what a row holds


def valid_values(results: pd.DataFrame) -> pd.Series:
    """The validated records (accepted or repaired) of a replayed run, by id."""
    return results.loc[results["status"] != "rejected", "value"]


def card_texts(items: pd.DataFrame, item_results: pd.DataFrame) -> dict:
    """``{"card": ..., "card + LLM profile": ...}``: chapter 2's film cards, and
    the same cards followed by the film's LLM profile where one is valid."""
    from ..text.embeddings import item_cards

    cards = pd.Series(item_cards(items), index=items.index)
    profiles = valid_values(item_results)
    texts = pd.Series({int(i): profile_text(v) for i, v in profiles.items()}, dtype=object)
    enriched = cards.copy()
    has = items[ITEM].isin(texts.index)
    enriched[has] = cards[has] + " " + texts.loc[items.loc[has, ITEM]].to_numpy()
    return {"card": cards.tolist(), "card + LLM profile": enriched.tolist()}


def user_profile_text(profile: dict) -> str:
    """A validated user profile as one line of text, ready to embed."""
    dislikes = ", ".join(profile["dislikes"]) or "nothing in particular"
    return f"{profile['summary']} Likes: {', '.join(profile['likes'])}. Dislikes: {dislikes}."


def bpr_fit(train: pd.DataFrame, extra: pd.DataFrame | None = None, repeat: int = 1,
            prune: float = 0.0, seed: int = SEED, **settings) -> mf.BPR:
    """``mf.BPR`` fitted on ``train``, with the extra triples shown ``repeat``
    times per epoch and, every epoch, the share ``prune`` of them with the
    highest loss left out; the real triples are never pruned. (This is the
    book's rule; LLMRec's code instead keeps the highest-loss share of each
    mixed batch, chapter 6 explains both.) ``settings`` go to ``mf.BPR``
    (its defaults otherwise)."""
    from ..models import mf

    extra = None if extra is None else pd.concat([extra] * repeat)
    return mf.BPR(prune=prune, seed=seed, extra=extra, **settings).fit(train)


def attempts(name: str, run: str = DEFAULT_RUN) -> pd.DataFrame:
    """Every cached attempt of augmentation ``name`` (first tries and retries)."""
    return pd.DataFrame(llm.GenerationCache(run_dir(run) / RECIPES[name].file).records.values())


def top_reasons(results: pd.DataFrame, n: int = 3) -> pd.Series:
    """How often each reason (its first clause, 60 characters) was given for
    an answer not accepted as written; the ``n`` most common."""
    reasons = results.loc[results["status"] != "accepted", "reason"]
    return reasons.str.split(";").str[0].str[:60].value_counts().head(n)


# EASE's lambda in chapter 6's blends: chapter 4's choice, fixed here because the
# leaderboard rows' definitions name it (board_definitions); a unit test checks
# it equals choices.choose_ease()
BLEND_EASE_LAM = 500.0


def text_blend(ids, vectors: np.ndarray, weight: float, lam: float = BLEND_EASE_LAM):
    """Chapter 6's warm model: :func:`~llmrec_utils.models.hybrid.ease_blend`
    on one text's item vectors."""
    from ..models import hybrid

    return hybrid.ease_blend(lam, hybrid.ContentModel(ids, vectors), weight)


def profile_content(ids, vectors: np.ndarray, user_ids, user_vectors: np.ndarray,
                    user_weight: float):
    """Chapter 6's content model whose taste vector mixes each profiled user's
    history with their embedded LLM profile (weight ``user_weight``)."""
    from ..models import hybrid

    return hybrid.ContentModel(ids, vectors, user_ids=user_ids, user_vectors=user_vectors,
                               user_weight=user_weight)  # fmt: skip


def on_profiled(per_user: pd.DataFrame, profiled) -> pd.DataFrame:
    """The rows of a per-user score table whose user is in ``profiled``."""
    return per_user.loc[per_user.index.isin(profiled)]


def hit_rate(users, items, held_out: set) -> float:
    """The share of ``(user, item)`` pairs that are in ``held_out`` (a set of pairs),
    e.g. how often an LLM's pick is a film the user rated in validation."""
    return float(np.mean([(u, i) in held_out for u, i in zip(users, items)]))


def _fit_score(model, split: splits.Split, metrics=BOARD_METRICS) -> pd.DataFrame:
    """``model`` fitted on ``split.train``, scored per user on ``split.test``."""
    from ..evaluation import protocols

    return protocols.evaluate(model.fit(split.train), split, metrics)


def blend_experiment(ids, vectors: np.ndarray, warm: splits.Split, warm_valid: splits.Split,
                     weights=TEXT_BLEND_WEIGHTS, metrics=BOARD_METRICS) -> tuple:  # fmt: skip
    """Section 1's warm experiment: :func:`text_blend` on one text's item
    ``vectors``, its weight chosen among ``weights`` by NDCG@10 on
    ``warm_valid``, then fitted on ``warm.train`` and scored on ``warm.test``.

    Returns ``(weight, {weight: validation NDCG@10}, per-user test scores)``.
    """
    from ..evaluation import protocols

    w, scores = protocols.select_by_validation(
        {w: text_blend(ids, vectors, w) for w in weights}, warm_valid)
    return w, scores, _fit_score(text_blend(ids, vectors, w), warm, metrics)


def profile_vectors(encoder, user_results: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(user ids, vectors)``: each valid user profile of a replayed run as
    one line of text (:func:`user_profile_text`), embedded by ``encoder``."""
    from ..text import embeddings

    profiles = valid_values(user_results)
    texts = [user_profile_text(p) for p in profiles]
    return profiles.index.astype(int).to_numpy(), embeddings.encode_cached(
        encoder, texts, progress=False)


def profile_experiment(ids, vectors: np.ndarray, user_ids, user_vectors: np.ndarray, profiled,
                       warm: splits.Split, warm_valid: splits.Split, weights=PROFILE_WEIGHTS,
                       also=(), metrics=BOARD_METRICS) -> tuple:  # fmt: skip
    """Section 2's experiment: :func:`profile_content` with the profile
    weight ``a`` chosen among ``weights`` by NDCG@10 on ``warm_valid``,
    averaged over the ``profiled`` users only; then fitted on ``warm.train``
    and scored on ``warm.test`` (all users) for the chosen ``a`` and each
    weight in ``also``.

    Returns ``(a, {a: validation NDCG@10}, {a: per-user test scores})``.
    """
    from ..evaluation import protocols

    def model(a):
        return profile_content(ids, vectors, user_ids, user_vectors, a)

    scores = {}
    for a in weights:
        frame = protocols.evaluate(model(a).fit(warm_valid.train), warm_valid, ("NDCG@10",))
        scores[a] = float(on_profiled(frame, profiled)["NDCG@10"].mean())
    best = max(weights, key=lambda a: scores[a])
    frames = {a: _fit_score(model(a), warm, metrics) for a in dict.fromkeys((best, *also))}
    return best, scores, frames


def choose_pick_setting(triples: pd.DataFrame, warm_valid: splits.Split,
                        settings=PICK_SETTINGS, **bpr) -> tuple:  # fmt: skip
    """Section 3's validation: BPR without the LLM's picked ``triples``
    (``"base"``) and with them under each ``(repeat, prune)`` of
    ``settings`` (:func:`bpr_fit`), fitted on ``warm_valid.train``, by mean
    NDCG@10 on ``warm_valid.test``. ``bpr`` goes to ``mf.BPR``.

    Returns ``(the best setting with the triples, {"base" or setting: NDCG@10})``.
    """
    from ..evaluation import protocols

    def ndcg(model):
        return float(protocols.evaluate(model, warm_valid, ("NDCG@10",))["NDCG@10"].mean())

    scores = {"base": ndcg(bpr_fit(warm_valid.train, **bpr))}
    for s in settings:
        scores[s] = ndcg(bpr_fit(warm_valid.train, triples, *s, **bpr))
    return max(settings, key=lambda s: scores[s]), scores


def score_picks(triples: pd.DataFrame, setting: tuple, warm: splits.Split, seeds=(SEED,),
                metrics=BOARD_METRICS, **bpr) -> dict:  # fmt: skip
    """Section 3's test: for each seed, BPR fitted on ``warm.train`` without
    and with the picked ``triples`` (``setting`` = ``(repeat, prune)``),
    scored on ``warm.test``: ``{seed: (base per-user, augmented per-user)}``."""
    from ..evaluation import protocols

    return {s: tuple(protocols.evaluate(m, warm, metrics) for m in (
        bpr_fit(warm.train, seed=s, **bpr), bpr_fit(warm.train, triples, *setting, seed=s, **bpr)))
        for s in seeds}  # fmt: skip


AUGMENTATIONS = ("none", "EDA", "LLM", "LLM, filtered")  # chapter 6's text augmentations


def augmented_training_set(labelled: pd.DataFrame, how: str, seed: int,
                           paraphrases: dict, copies: set = frozenset()
                           ) -> tuple[list[str], np.ndarray]:  # fmt: skip
    """Texts and ``recommended`` labels of the ``labelled`` reviews plus their
    augmented copies, which inherit the review's label.

    ``how`` is one of :data:`AUGMENTATIONS`: ``"EDA"`` adds one
    :func:`eda_augment` copy of each review, ``"LLM"`` its paraphrase (from
    ``paraphrases``, review id -> text; none if rejected), ``"LLM, filtered"``
    the same without the paraphrases in ``copies``.
    """
    if how not in AUGMENTATIONS:
        raise ValueError(f"how must be one of {AUGMENTATIONS}, got {how!r}.")
    texts, labels = list(labelled[TEXT]), list(labelled["recommended"])
    for n, row in enumerate(labelled.itertuples()):
        if how == "EDA":
            new = eda_augment(row.text, seed=seed * 10_000 + n)
        elif how.startswith("LLM"):
            skip = copies if how == "LLM, filtered" else set()
            new = ([paraphrases[row.review]] if row.review in paraphrases
                   and row.review not in skip else [])  # fmt: skip
        else:
            new = []
        texts += new
        labels += [row.recommended] * len(new)
    return texts, np.array(labels)


def fit_review_classifier(texts: list[str], labels: np.ndarray, valid: pd.DataFrame,
                          cs=(0.3, 1.0, 3.0, 10.0)):  # fmt: skip
    """Chapter 6's recommend/not classifier: TF-IDF (words and word pairs) and
    balanced logistic regression, ``C`` chosen by macro-F1 on ``valid``.

    Returns ``(vectorizer, classifier)``, both fitted.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from ..evaluation.metrics import macro_f1

    best = None
    for c in cs:
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        clf.fit(vec.fit_transform(texts), labels)
        f1 = macro_f1(valid["recommended"].to_numpy(), clf.predict(vec.transform(valid[TEXT])))
        if best is None or f1 > best[0]:
            best = (f1, vec, clf)
    return best[1], best[2]


def _sha(path: Path) -> str:
    from ..data.assets import sha256_file

    return sha256_file(path)[:12]


# --- the chapter's rows on the book's leaderboard (chapter 8 shows them) ------------
def board_definitions(vectors: dict | None = None, user_vectors: pd.DataFrame | None = None,
                      **bpr) -> dict:  # fmt: skip
    """Chapter 6's leaderboard rows: name -> the exact model definition,
    including the checksums of the committed generations each one reads.
    ``vectors``, ``user_vectors`` and ``bpr`` are those of
    :func:`compute_board_rows` (given by the caller: a test's small run)."""
    files = {n: _sha(run_dir() / RECIPES[n].file) for n in ("items", "users", "picks")}
    cands = _sha(generations_dir() / "pick-candidates.csv")
    v = f"[board v{BOARD_VERSION}, seed {SEED}]"
    items = ("item vectors given by the caller" if vectors is not None else
             f"item profiles {files['items']}, encoder all-MiniLM-L6-v2")  # fmt: skip
    users = ("user vectors given by the caller" if user_vectors is not None else
             f"user profiles {files['users']}, encoder all-MiniLM-L6-v2")  # fmt: skip
    cards = "; card vectors given by the caller" if vectors is not None else ""
    fit = "".join(f", {k}={val!r}" for k, val in bpr.items())
    return {
        "BPR (ours)": f"augmentation.bpr_fit(train{fit}) {v}",
        "BPR + LLM picks": (
            f"augmentation.bpr_fit(train, picks, repeat, prune{fit}), (repeat, prune) "
            f"in {PICK_SETTINGS} chosen on warm_valid; picks {files['picks']}, "
            f"candidates {cands} {v}"),
        "weighted blend, LLM item profiles": (
            f"WeightedBlend(EASE({BLEND_EASE_LAM:g}), ContentModel(card + LLM profile)), weight in "
            f"{TEXT_BLEND_WEIGHTS} chosen on warm_valid; {items} {v}"),
        "content, history + LLM user profile": (
            f"ContentModel(card, user profile weight a), a in {PROFILE_WEIGHTS} chosen on "
            f"warm_valid (profiled users); {users}{cards} {v}"),
    }  # fmt: skip


def save_board_rows(rows: dict) -> list[str]:
    """Store the chapter's own per-user warm test scores (name -> frame, the
    names of :func:`board_definitions`) as its leaderboard rows. Returns the
    rows' names."""
    from ..evaluation import board

    definitions = board_definitions()
    if set(rows) != set(definitions):
        raise ValueError(f"the rows must be exactly {list(definitions)}, got {list(rows)}.")
    for name, definition in definitions.items():
        board.save_per_user(name, rows[name], definition)
    return list(definitions)


def compute_board_rows(progress: bool = True, vectors: dict | None = None,
                       user_vectors: pd.DataFrame | None = None, **bpr) -> dict:  # fmt: skip
    """Chapter 6's four leaderboard rows made by the chapter's own functions
    from the committed generations (no language model is loaded): BPR without
    and with the LLM's picks (:func:`choose_pick_setting`,
    :func:`score_picks`), the text blend with LLM item profiles
    (:func:`blend_experiment`) and the content model with LLM user profiles
    (:func:`profile_experiment`), each per user on the warm test split.

    ``vectors`` (``{"card": ..., "card + LLM profile": ...}``, one row per
    film in id order) and ``user_vectors`` (one row per user id) replace the
    embedded texts; ``bpr`` goes to ``mf.BPR`` (a test's small run).
    """
    from tqdm import tqdm

    from ..text import embeddings

    names = list(board_definitions())
    bar = tqdm(total=4, desc="chapter 6's rows", unit="step", disable=not progress)
    items = loaders.load_ml100k_items().sort_values(ITEM).reset_index(drop=True)
    warm = splits.standard_split("warm")
    warm_valid = splits.standard_split("warm-validation")
    seen_by_llm = warm_valid.train
    rows = {}

    triples, _ = pick_triples(replay("picks"), load_pick_candidates(seen_by_llm))
    best, _ = choose_pick_setting(triples, warm_valid, **bpr)
    rows[names[0]], rows[names[1]] = score_picks(triples, best, warm, **bpr)[SEED]
    bar.update()

    encoder = None
    if vectors is None or user_vectors is None:
        encoder = embeddings.Encoder.load()
    if vectors is None:
        vectors = {name: embeddings.encode_cached(encoder, t, progress=False)
                   for name, t in card_texts(items, replay("items")).items()}  # fmt: skip
    bar.update()

    *_, rows[names[2]] = blend_experiment(items[ITEM], vectors["card + LLM profile"], warm,
                                          warm_valid)  # fmt: skip
    bar.update()

    if user_vectors is None:
        user_ids, user_vecs = profile_vectors(encoder, replay("users"))
    else:
        user_ids, user_vecs = user_vectors.index.to_numpy(), user_vectors.to_numpy()
    a, _, frames = profile_experiment(items[ITEM], vectors["card"], user_ids, user_vecs,
                                      profiled_users(seen_by_llm), warm, warm_valid)  # fmt: skip
    rows[names[3]] = frames[a]
    bar.update()
    bar.close()
    return rows


def board_rows(rebuild: bool = False, progress: bool = True, vectors: dict | None = None,
               user_vectors: pd.DataFrame | None = None, **bpr) -> dict:  # fmt: skip
    """Chapter 6's rows for chapter 8's leaderboard, name -> per-user scores.

    The stored ones when their definitions are today's
    (:func:`board_definitions`; the chapter stores its own results,
    :func:`save_board_rows`); otherwise, or with ``rebuild=True``, made by
    :func:`compute_board_rows` and stored. One line says what is rebuilt and
    why (:func:`board.stored_rows`). ``vectors``, ``user_vectors`` and
    ``bpr`` go to both (a test's small run, stored under its own definition).
    """
    import functools

    from ..evaluation import board

    compute = functools.partial(compute_board_rows, vectors=vectors, user_vectors=user_vectors,
                                **bpr)  # fmt: skip
    return board.stored_rows(board_definitions(vectors, user_vectors, **bpr), compute,
                             "chapter 6", rebuild=rebuild, progress=progress)  # fmt: skip
