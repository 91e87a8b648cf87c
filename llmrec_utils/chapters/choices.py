r"""Hyper-parameters chosen on validation by one chapter and read by the next.

A chapter that chooses (chapter 4's biased MF, EASE's :math:`\lambda`, the
implicit ALS grid; chapter 5's blend weight) saves the choice
(:func:`save_choice`); later chapters read it with :func:`chosen`, which makes
the choice again on validation when the file is missing or its grid changed.
The test split is never looked at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..config import SEED, artifacts_dir, logger, warn_corrupt, write_atomic
from ..evaluation.protocols import ndcg_of, rating_evaluation, select_by_validation

# --- hyper-parameters chosen on validation, read by later chapters ---------------
BIASED_MF_GRID = tuple((f, reg) for f in (10, 20) for reg in (0.1, 0.15, 0.2))  # ch. 4, 9


EASE_LAMBDAS = (100, 250, 500, 1000)  # chapter 4


IMPLICIT_ALS_GRID = tuple((f, reg) for f in (16, 32, 64) for reg in (0.1, 1.0, 10.0))  # ch. 4


BLEND_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)  # chapter 5's weighted blend


def tune_biased_mf(train: pd.DataFrame, grid=BIASED_MF_GRID, seed: int = SEED):
    """Chapter 4's rating model: ``(factors, reg)`` chosen by RMSE on a holdout
    of ``train`` (:func:`data.holdout_split`), returned unfitted as an average
    of 3 runs. The test fold is never looked at."""
    from ..data.splits import holdout_split
    from ..models.mf import BiasedMF

    holdout = holdout_split(train, seed=seed)
    scores = {}
    for factors, reg in grid:
        model = BiasedMF(factors=factors, reg=reg, seed=seed).fit(holdout.train)
        scores[factors, reg] = rating_evaluation(model, holdout)["RMSE"]
    factors, reg = min(scores, key=scores.get)
    return BiasedMF(factors=factors, reg=reg, n_runs=3, seed=seed)


def choose_ease(split=None) -> dict:
    """Chapter 4's choice of EASE's ``lam`` by NDCG@10 on ``warm-validation``."""
    from ..data.splits import standard_split
    from ..models.mf import EASE

    split = standard_split("warm-validation") if split is None else split
    scores = [ndcg_of(EASE(lam).fit(split.train), split) for lam in EASE_LAMBDAS]
    return {"lam": EASE_LAMBDAS[int(np.argmax(scores))]}


def choose_implicit_als(split=None) -> dict:
    """Chapter 4's choice of implicit ALS's ``(factors, regularization)`` by
    NDCG@10 on ``warm-validation``."""
    from ..data.splits import standard_split
    from ..models.peers import implicit_als

    split = standard_split("warm-validation") if split is None else split
    scores = [ndcg_of(implicit_als(f, reg).fit(split.train), split)
              for f, reg in IMPLICIT_ALS_GRID]
    factors, reg = IMPLICIT_ALS_GRID[int(np.argmax(scores))]
    return {"factors": factors, "regularization": reg}


def choose_blend_weight(split=None) -> dict:
    """Chapter 5's choice of the weighted blend's text weight (EASE with
    chapter 4's ``lam`` + item cards) by NDCG@10 on ``warm-validation``."""
    from ..data.splits import standard_split
    from ..models.hybrid import card_content, ease_blend
    from ..text.embeddings import load_embeddings

    split = standard_split("warm-validation") if split is None else split
    cards, lam = load_embeddings("ml100k-item-cards"), chosen("ease")["lam"]
    best, _ = select_by_validation(
        {w: ease_blend(lam, card_content(cards), w) for w in BLEND_WEIGHTS}, split)
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
        warn_corrupt(path, exc, "choosing again")
        reason = f"is unreadable ({exc})"
    logger().info("The saved choice %r %s; choosing again on validation.", name, reason)
    params = CHOOSERS[name]()
    save_choice(name, params)
    return params
