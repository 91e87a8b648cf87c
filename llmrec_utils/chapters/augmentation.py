"""Chapter 6's experiments: what each augmentation adds, and its leaderboard rows.

The prompts, schemas and jobs are in :mod:`llmrec_utils.text.augment`; this
module holds what the chapter measures with them (the text blend, the user
profile, the LLM's picked positives, review paraphrases) and the rows it puts
on chapter 8's leaderboard (:func:`board_rows`).
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

__all__ = ['attempts', 'top_reasons', 'text_blend', 'profile_content', 'on_profiled', 'hit_rate', 'AUGMENTATIONS', 'augmented_training_set', 'fit_review_classifier']  # fmt: skip


# --- chapter 6's rows on the book's leaderboard (chapter 8 shows them) -----------------
# The settings chapter 6 tries on its validation split (warm_valid), and what it
# stores for chapter 8: each augmented model's per-user scores on the warm test
# split. Chapter 8 reads them with board_rows(), which rebuilds them from the
# committed generations when chapter 6 has not run in this cache.
BOARD_METRICS = ("NDCG@10", "Recall@20")


PICK_SETTINGS = ((1, 0.0), (5, 0.0), (5, 0.3))  # (times each triple is shown, pruned share)


BLEND_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)  # weight of the text model in EASE + text


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
            prune: float = 0.0, seed: int = SEED) -> mf.BPR:
    """``mf.BPR`` fitted on ``train``, with the extra triples shown ``repeat``
    times per epoch and, every epoch, the share ``prune`` of them with the
    highest loss left out; the real triples are never pruned. (This is the
    book's rule; LLMRec's code instead keeps the highest-loss share of each
    mixed batch, chapter 6 explains both.)"""
    from ..models import mf

    extra = None if extra is None else pd.concat([extra] * repeat)
    return mf.BPR(prune=prune, seed=seed, extra=extra).fit(train)


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


def board_definitions() -> dict:
    """Chapter 6's leaderboard rows: name -> the exact model definition,
    including the checksums of the committed generations each one reads."""
    files = {n: _sha(run_dir() / RECIPES[n].file) for n in ("items", "users", "picks")}
    cands = _sha(generations_dir() / "pick-candidates.csv")
    v = f"[board v{BOARD_VERSION}, seed {SEED}]"
    return {
        "BPR (ours)": f"augment.bpr_fit(train) {v}",
        "BPR + LLM picks": (f"augment.bpr_fit(train, picks, repeat, prune), (repeat, prune) "
                            f"in {PICK_SETTINGS} chosen on warm_valid; picks {files['picks']}, "
                            f"candidates {cands} {v}"),
        "weighted blend, LLM item profiles": (
            f"WeightedBlend(EASE({BLEND_EASE_LAM:g}), ContentModel(card + LLM profile)), weight in "
            f"{BLEND_WEIGHTS} chosen on warm_valid; item profiles {files['items']}, "
            f"encoder all-MiniLM-L6-v2 {v}"),
        "content, history + LLM user profile": (
            f"ContentModel(card, user profile weight a), a in {PROFILE_WEIGHTS} chosen on "
            f"warm_valid (profiled users); user profiles {files['users']}, "
            f"encoder all-MiniLM-L6-v2 {v}"),
    }  # fmt: skip


def compute_board_rows(progress: bool = True) -> dict:
    """Chapter 6's four augmented models, chosen on ``warm_valid`` and scored
    on the warm test split, per user, from the committed generations (no
    model is loaded). Chapter 6 checks that these equal its own results."""
    from tqdm import tqdm

    from ..evaluation import protocols
    from ..text import embeddings

    bar = tqdm(total=5, desc="chapter 6's rows", unit="step", disable=not progress)
    ratings = loaders.load_ml100k_ratings()
    items = loaders.load_ml100k_items().sort_values(ITEM).reset_index(drop=True)
    warm = splits.warm_split(ratings, SEED)
    warm_valid = splits.warm_validation_split(warm, SEED)
    seen_by_llm = warm_valid.train
    rows = {}

    def score(model, split=warm, metrics=BOARD_METRICS):
        return protocols.evaluate(model, split, metrics)

    rows["BPR (ours)"] = score(bpr_fit(warm.train))
    bar.update()
    triples, _ = pick_triples(replay("picks"), load_pick_candidates(seen_by_llm))
    valid = {s: score(bpr_fit(warm_valid.train, triples, *s), warm_valid, ("NDCG@10",))
             ["NDCG@10"].mean() for s in PICK_SETTINGS}  # fmt: skip
    best = max(PICK_SETTINGS, key=lambda s: valid[s])
    rows["BPR + LLM picks"] = score(bpr_fit(warm.train, triples, *best))
    bar.update()

    encoder = embeddings.Encoder.load()
    texts = card_texts(items, replay("items"))
    vectors = {name: embeddings.encode_cached(encoder, t, progress=False) for name, t in texts.items()}
    bar.update()

    def blend(w):
        return text_blend(items[ITEM], vectors["card + LLM profile"], w)

    w, _ = protocols.select_by_validation({w: blend(w) for w in BLEND_WEIGHTS}, warm_valid)
    rows["weighted blend, LLM item profiles"] = score(blend(w).fit(warm.train))
    bar.update()

    profiles = valid_values(replay("users"))
    user_ids = profiles.index.astype(int).to_numpy()
    user_vecs = embeddings.encode_cached(
        encoder, [user_profile_text(p) for p in profiles], progress=False)
    profiled = profiled_users(seen_by_llm)

    def with_profile(a):
        return profile_content(items[ITEM], vectors["card"], user_ids, user_vecs, a)

    valid_ndcg = {}
    for a in PROFILE_WEIGHTS:
        frame = score(with_profile(a).fit(warm_valid.train), warm_valid, ("NDCG@10",))
        valid_ndcg[a] = on_profiled(frame, profiled)["NDCG@10"].mean()
    best_a = max(PROFILE_WEIGHTS, key=lambda a: valid_ndcg[a])
    rows["content, history + LLM user profile"] = score(with_profile(best_a).fit(warm.train))
    bar.update()
    bar.close()
    return rows


def board_rows(rebuild: bool = False, progress: bool = True) -> dict:
    """Chapter 6's rows for chapter 9's leaderboard, name -> per-user scores.

    Read from the cache when stored there under the leaderboard's protocol and
    today's model definitions (:func:`board_definitions`); otherwise, or with
    ``rebuild=True``, computed by :func:`compute_board_rows` and stored. One
    line says what is rebuilt and why (:func:`board.stored_rows`).
    """
    from ..evaluation import board

    return board.stored_rows(board_definitions(), compute_board_rows, "chapter 6",
                                  rebuild=rebuild, progress=progress)  # fmt: skip
