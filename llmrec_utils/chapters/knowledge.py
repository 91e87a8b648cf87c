"""Chapter 7's feature sets and its rows on the book's leaderboard.

The chapter puts language-model knowledge *into* trained models
(:mod:`~llmrec_utils.models.feature_mf`, :mod:`~llmrec_utils.ctr`) and uses an LLM as a
re-ranker (:mod:`~llmrec_utils.text.rerank`). This module builds what those
chapters share:

* :func:`item_vectors`: chapter 6's two item texts, the film *card* (title,
  year, genres) and the card followed by the film's LLM profile, embedded
  with the default encoder (:func:`embeddings.encode_cached`, so a cache
  that chapter 6 filled is reused and an empty one is filled here);
* :func:`reduce`: each text's vectors cut to their first :data:`COMPONENTS`
  principal components (PCA fitted on the texts of all films, no ratings),
  which keeps the feature models fast (a 384-wide feature block makes every
  training step project 384 columns for every film);
* :func:`item_feature_sets`: the ablation's item features, each family added
  to the one before (ids only, + genres and decade, + the MiniLM card, the
  card replaced by card + LLM profile);
* :func:`user_features`: the users' demographics (age group, gender,
  occupation, one-hot) and, where chapter 6 profiled the user, the embedded
  LLM user profile (reduced likewise; zeros elsewhere);
* :func:`feature_mf`: :class:`~llmrec_utils.models.feature_mf.FeatureMF` with the chapter's fixed settings
  (:data:`FM_SETTINGS`, the benchmark's, the same for LightFM);
* :func:`card_content`: chapter 5's centred content model on the card vectors;
* :func:`score_models`: models fitted and scored per user on the protocols'
  splits (the chapter's table, and the leaderboard's rows);
* :func:`click_table`: the CTR models' AUC and log loss with intervals;
* :func:`board_rows`: the chapter's two warm rows on the leaderboard. The
  chapter stores its own per-user results as these rows
  (:func:`save_board_rows`); when they are missing or stale (chapter 8 run
  alone), :func:`compute_board_rows` makes them again by the same functions
  (:func:`choose_item_features` on ``warm_valid``, then :func:`score_models`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import SEED
from ..data import features, loaders, splits
from ..data.columns import ITEM, USER
from ..evaluation import board, protocols, uncertainty
from ..models.feature_mf import FeatureMF
from ..models.hybrid import ContentModel
from ..text import augment
from . import augmentation

__all__ = ['COMPONENTS', 'FAMILIES', 'FM_SETTINGS', 'METRICS', 'board_definitions', 'board_rows', 'card_content', 'choose_item_features', 'click_table', 'compute_board_rows', 'feature_mf', 'item_feature_sets', 'item_vectors', 'prefer_simpler', 'reduce', 'save_board_rows', 'score_models', 'user_features']  # fmt: skip


# the same for every FeatureMF fit in the chapter and for LightFM in the benchmark
# (LightFM's learning rate and max_sampled defaults; 32 factors; 30 epochs): fixed,
# not tuned, so no split is used to pick them
FM_SETTINGS = {"factors": 32, "lr": 0.05, "max_sampled": 10, "epochs": 30}


COMPONENTS = 32  # principal components kept of each text's vectors: a fixed setting


FAMILIES = ("ids only", "+ genres, decade", "+ MiniLM card", "+ LLM item profile")


BOARD_VERSION = 3  # bump when the code below changes what a row holds (2: the tie rule; 3: FeatureMF trains as LightFM sets Adagrad up)


METRICS = tuple(board.LEADERBOARD_PROTOCOL["metrics"])  # NDCG@10, Recall@20


def item_vectors(items: pd.DataFrame | None = None, encoder=None,
                 progress: bool = False) -> dict[str, pd.DataFrame]:  # fmt: skip
    """``{"card": ..., "card + LLM profile": ...}``: chapter 6's item texts
    (:func:`augmentation.card_texts`, from the committed item profiles) embedded
    by the default encoder, each a DataFrame indexed by item."""
    from ..text import embeddings

    items = loaders.load_ml100k_items() if items is None else items
    items = items.sort_values(ITEM).reset_index(drop=True)
    encoder = encoder or embeddings.Encoder.load()
    texts = augmentation.card_texts(items, augment.replay("items"))
    return {name: pd.DataFrame(embeddings.encode_cached(encoder, t, progress=progress),
                               index=pd.Index(items[ITEM], name=ITEM))
            for name, t in texts.items()}  # fmt: skip


def _pca(V: np.ndarray, components: int, seed: int) -> np.ndarray:
    """PCA under one BLAS thread: the SVD's sums then run in one fixed order, so
    the components are the same bits whatever the machine's thread count."""
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return PCA(min(components, *V.shape), random_state=seed).fit_transform(V)


def reduce(vectors: dict[str, pd.DataFrame], components: int = COMPONENTS,
           seed: int = SEED) -> dict[str, pd.DataFrame]:  # fmt: skip
    """Each frame of ``vectors`` (rows: ids) as its first ``components``
    principal components, PCA fitted on that frame's own rows (the texts of
    all the films; no rating is used)."""
    return {name: pd.DataFrame(_pca(frame.to_numpy(float), components, seed), index=frame.index)
            for name, frame in vectors.items()}  # fmt: skip


class _Vectors:
    """``ids`` and ``vectors`` of a frame, as :func:`features.ml100k_item_features` reads them."""

    def __init__(self, frame: pd.DataFrame):
        self.ids, self.vectors = frame.index.to_numpy(), frame.to_numpy()


def item_feature_sets(vectors: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame | None]:
    """The ablation's item features, name (:data:`FAMILIES`) -> feature frame
    (``None``: ids only). ``vectors``: :func:`item_vectors`' output, usually
    :func:`reduce`-d; each text vector is scaled to unit length."""
    return {
        FAMILIES[0]: None,
        FAMILIES[1]: features.ml100k_item_features(),
        FAMILIES[2]: features.ml100k_item_features(_Vectors(vectors["card"])),
        FAMILIES[3]: features.ml100k_item_features(_Vectors(vectors["card + LLM profile"])),
    }


def user_features(profiles: bool = True, encoder=None, components: int = COMPONENTS,
                  seed: int = SEED, new_users=None) -> pd.DataFrame:  # fmt: skip
    """User features indexed by user: one-hot age group, gender and occupation,
    and with ``profiles`` chapter 6's embedded LLM user profile, cut to
    ``components`` principal components and scaled to unit length (zeros for
    the users it did not profile).

    ``new_users`` (the ``cold-users`` protocol's test users) drops chapter 6's
    profiles of those users, which were written from ratings that protocol
    holds out, and uses instead the profiles written from their first
    ratings only (``llmrec augment cold-users``, :func:`augment.cold_user_jobs`)."""
    from ..ctr.tasks import _age_bucket

    users = loaders.load_ml100k_users().set_index(USER)
    parts = [pd.get_dummies(_age_bucket(users["age"]), prefix="age", dtype=float),
             pd.get_dummies(users["gender"], prefix="gender", dtype=float),
             pd.get_dummies(users["occupation"], prefix="job", dtype=float)]  # fmt: skip
    out = pd.concat(parts, axis=1)
    if profiles:
        from ..text import embeddings

        encoder = encoder or embeddings.Encoder.load()
        found = augmentation.valid_values(augment.replay("users"))
        if new_users is not None:
            found = found[~found.index.astype(int).isin(np.asarray(new_users, int))]
            found = pd.concat([found, augmentation.valid_values(augment.replay("cold-users"))])
        V = embeddings.encode_cached(encoder, [augmentation.user_profile_text(p) for p in found],
                                     progress=False)  # fmt: skip
        V = _pca(np.asarray(V, float), components, seed)
        V = features.unit_rows(V)
        frame = pd.DataFrame(V, index=found.index.astype(int),
                             columns=[f"profile_{j}" for j in range(V.shape[1])])
        out = out.join(frame).fillna(0.0)
    out.index.name = USER
    return out


def feature_mf(item_features: pd.DataFrame | None = None,
               user_features: pd.DataFrame | None = None, seed: int = SEED,
               **settings) -> FeatureMF:  # fmt: skip
    """:class:`~llmrec_utils.models.feature_mf.FeatureMF` with :data:`FM_SETTINGS` (``settings`` override them)."""
    return FeatureMF(item_features=item_features, user_features=user_features, seed=seed,
                        **{**FM_SETTINGS, **settings})  # fmt: skip


def card_content(vectors: dict[str, pd.DataFrame]) -> ContentModel:
    """Chapter 5's centred content model on the card vectors of :func:`item_vectors`."""
    return ContentModel(vectors["card"].index, vectors["card"].to_numpy())


def _fit_and_score(make, split, metrics, items) -> pd.DataFrame:
    return protocols.evaluate(make().fit(split.train), split, metrics, items=items)


def score_models(runs: dict, splits_by: dict, items: dict | None = None,
                 metrics=METRICS, progress: bool = True, jobs: int = 2) -> dict:  # fmt: skip
    """``{(protocol, name): per-user scores}``: each model of ``runs``
    (``{protocol: {name: factory}}``, a factory makes a fresh model) fitted on
    ``splits_by[protocol].train`` and scored on its test part, among the
    candidates ``items.get(protocol)`` (all items when absent), in the order
    given; the bar counts the fits. The fits are independent: ``jobs`` of them
    run at a time, each in a process of its own, with the scores one after
    another gives (``jobs=1``: in this process)."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    items = items or {}
    keys = [(protocol, name) for protocol, models in runs.items() for name in models]
    tasks = (delayed(_fit_and_score)(runs[p][n], splits_by[p], metrics, items.get(p))
             for p, n in keys)  # fmt: skip
    scores = Parallel(n_jobs=jobs, return_as="generator")(tasks)
    return dict(zip(keys, tqdm(scores, total=len(keys), desc="fits", disable=not progress)))


def click_table(preds: dict, y) -> pd.DataFrame:
    """CTR predictions ``{(model, features): probabilities}`` of the labels
    ``y``: AUC and log loss, each with its bootstrap interval, one row each."""
    rows = {}
    for key, p in preds.items():
        s = uncertainty.auc_logloss(y, p)
        rows[key] = {"AUC": str(s["AUC"]), "log loss": str(s["log loss"])}
    return pd.DataFrame(rows).T.rename_axis(["model", "features"])


# --- the chapter's rows on the book's leaderboard (chapter 8 shows them) -----------
def board_definitions(vectors: dict | None = None, **settings) -> dict:
    """Chapter 7's leaderboard rows: name -> the exact model definition, for
    the item vectors of :func:`item_vectors` (``vectors``: others, given by the
    caller) and :data:`FM_SETTINGS` updated with ``settings``."""
    items = ("item vectors given by the caller" if vectors is not None else
             "item profiles " + augmentation._sha(augment.run_dir() / augment.RECIPES["items"].file)
             + ", encoder all-MiniLM-L6-v2")  # fmt: skip
    v = f"[board v{BOARD_VERSION}, seed {SEED}]"
    settings = ", ".join(f"{k}={val}" for k, val in {**FM_SETTINGS, **settings}.items())
    return {
        "FeatureMF, ids only (WARP)": f"FeatureMF({settings}, loss='warp') {v}",
        "FeatureMF + item features": (
            f"FeatureMF({settings}, loss='warp', item features in {FAMILIES[1:]} chosen on "
            f"warm_valid (a richer family only where its paired interval is above zero), text vectors cut to {COMPONENTS} principal components); "
            f"{items} {v}"),
    }  # fmt: skip


def choose_item_features(sets: dict, valid: splits.Split, progress: bool = False,
                         **settings) -> tuple:  # fmt: skip
    """The feature family to use, chosen on ``valid`` by a rule fixed in advance.

    Each family with features is fitted and scored by NDCG@10 per validation
    user (on a cold-item split, ``valid.info["cold_items"]``, among the cold
    items only). Starting from the simplest (the order of ``sets``), a richer
    family replaces the current choice only when its paired interval over the
    validation users lies above zero (:func:`uncertainty.compare`, ``low > 0``);
    otherwise the two are tied and the simpler one stays. So a margin that
    WARP's sampling noise could make (seeds move a fit's NDCG@10 by several
    thousandths) never decides. Returns ``(name, {name: mean NDCG@10},
    {name: Comparison of that family against the choice it was tested
    against})``. ``settings`` override :data:`FM_SETTINGS`.
    """
    from tqdm import tqdm

    only = valid.info.get("cold_items")
    only = None if only is None else np.asarray(only)
    per_user = {}
    for name in tqdm([n for n in sets if sets[n] is not None], desc="validation",
                     disable=not progress):  # fmt: skip
        model = feature_mf(sets[name], **settings).fit(valid.train)
        per_user[name] = protocols.evaluate(model, valid, ("NDCG@10",), items=only)["NDCG@10"]
    best, tests = prefer_simpler(per_user)
    return best, {n: float(s.mean()) for n, s in per_user.items()}, tests


def prefer_simpler(per_user: dict) -> tuple:
    """The tie rule of :func:`choose_item_features` on per-user scores
    ``{name: Series}``, simplest first: returns ``(chosen name, {name:
    Comparison against the choice it was tested against})``."""
    if not per_user:
        raise ValueError("no feature family with features to choose from.")
    names = list(per_user)
    best, tests = names[0], {}
    for name in names[1:]:
        tests[name] = uncertainty.compare(per_user[best], per_user[name])
        if tests[name].low > 0:
            best = name
    return best, tests


def save_board_rows(ids_only: pd.DataFrame, chosen: pd.DataFrame) -> list[str]:
    """Store the chapter's own per-user warm scores as its leaderboard rows:
    FeatureMF with ids only, and with the item features chosen on
    ``warm_valid`` (:func:`choose_item_features`). Returns the rows' names."""
    definitions = board_definitions()
    for (name, definition), per_user in zip(definitions.items(), (ids_only, chosen)):
        board.save_per_user(name, per_user, definition)
    return list(definitions)


def compute_board_rows(progress: bool = True, vectors: dict | None = None, **settings) -> dict:
    """Chapter 7's two leaderboard rows made again, by the chapter's own
    functions: the item features chosen on ``warm_valid``
    (:func:`choose_item_features`), then FeatureMF without and with them
    fitted and scored on the warm split (:func:`score_models`). ``vectors``
    (default :func:`item_vectors`) are :func:`reduce`-d; ``settings``
    override :data:`FM_SETTINGS` (a test's small fit)."""
    warm, warm_valid = splits.standard_split("warm"), splits.standard_split("warm-validation")
    sets = item_feature_sets(reduce(item_vectors() if vectors is None else vectors))
    best, *_ = choose_item_features(sets, warm_valid, progress, **settings)
    names = list(board_definitions(vectors, **settings))
    runs = {"warm": {names[0]: lambda: feature_mf(**settings),
                     names[1]: lambda: feature_mf(sets[best], **settings)}}  # fmt: skip
    scores = score_models(runs, {"warm": warm}, progress=progress)
    return {name: scores["warm", name] for name in names}


def board_rows(rebuild: bool = False, progress: bool = True, vectors: dict | None = None,
               **settings) -> dict:  # fmt: skip
    """Chapter 7's rows for chapter 8's leaderboard, name -> per-user scores:
    the stored ones when their definitions are today's (the chapter stores
    its own, :func:`save_board_rows`), else :func:`compute_board_rows`' and
    stored (:func:`board.stored_rows`). ``vectors`` and ``settings`` go to
    both (a test's small fit, stored under its own definition)."""
    import functools

    compute = functools.partial(compute_board_rows, vectors=vectors, **settings)
    return board.stored_rows(board_definitions(vectors, **settings), compute, "chapter 7",
                                  rebuild=rebuild, progress=progress)  # fmt: skip
