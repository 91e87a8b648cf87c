"""The leaderboard: per-user scores of each model, stored under the protocol that made them, and the table that compares them."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from ..config import SEED, artifacts_dir, logger, warn_corrupt, write_atomic
from .protocols import intervals
from .uncertainty import compare

# --- the book's leaderboard --------------------------------------------------------
# The one protocol every leaderboard row is scored on (chapter 8). A stored row
# carries this protocol's id and its model's definition; a row from another
# protocol, or of a model whose definition has changed, is never shown.
LEADERBOARD_PROTOCOL = {
    "split": "ml100k, random 75/25 per user (data.random_split, test_frac=0.25)",
    "seed": SEED,
    "candidates": "every item the user has not rated in training",
    "metrics": ["NDCG@10", "Recall@20"],
}


def leaderboard_protocol_id() -> str:
    """A short hash of :data:`LEADERBOARD_PROTOCOL`."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(LEADERBOARD_PROTOCOL, sort_keys=True).encode()).hexdigest()[:12]


def _leaderboard_dir() -> Path:
    path = artifacts_dir() / "leaderboard"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _row_path(name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return _leaderboard_dir() / f"{safe}.parquet"


def save_per_user(name: str, per_user: pd.DataFrame, definition: str) -> Path:
    """Store a model's per-user scores on the leaderboard protocol, atomically.

    ``definition`` names the model exactly (class, settings, inputs and their
    checksums); with the protocol's id it identifies the row, so a reader can
    tell a current row from a stale one. ``name`` becomes the row label.
    """
    if not isinstance(per_user, pd.DataFrame) or per_user.empty:
        raise ValueError("per_user must be a non-empty DataFrame from evaluate().")
    missing = [m for m in LEADERBOARD_PROTOCOL["metrics"] if m not in per_user.columns]
    if missing:
        raise ValueError(f"per_user lacks the leaderboard's metric(s) {missing}.")
    frame = per_user.copy()
    frame.attrs = {}
    frame = frame.assign(_name=name, _definition=definition, _protocol=leaderboard_protocol_id())
    return write_atomic(_row_path(name), frame.to_parquet)


def saved_per_user(definitions: dict) -> tuple[dict, dict]:
    """The stored rows of the models in ``definitions`` (name -> definition).

    Returns ``(rows, stale)``: ``rows`` maps each name whose stored row has
    the same definition and protocol to its per-user scores; ``stale`` maps
    every other requested name to the reason it is not usable (absent,
    unreadable, another protocol, another definition). Rows of names not
    requested are never read.
    """
    rows, stale = {}, {}
    for name, definition in definitions.items():
        path = _row_path(name)
        if not path.exists():
            stale[name] = "not in the cache"
            continue
        try:
            frame = pd.read_parquet(path)
            meta = {c: str(frame[c].iloc[0]) if c in frame else "" for c in ("_name", "_definition", "_protocol")}
        except Exception as exc:
            warn_corrupt(path, exc)
            stale[name] = f"unreadable ({exc})"
            continue
        if meta["_protocol"] != leaderboard_protocol_id():
            stale[name] = "stored under another protocol"
        elif meta["_name"] != name or meta["_definition"] != definition:
            stale[name] = "stored for another model definition"
        else:
            rows[name] = frame.drop(columns=["_name", "_definition", "_protocol"])
    return rows, stale


def stored_rows(definitions: dict, compute: Callable[..., dict], source: str,
                rebuild: bool = False, progress: bool = True) -> dict:
    """Leaderboard rows, name -> per-user scores, for the models in
    ``definitions`` (name -> definition): the stored rows whose definitions
    are today's (:func:`saved_per_user`); the others (all with ``rebuild``)
    from ``compute(progress=progress)``, which returns every row, and stored.
    One line names ``source`` (e.g. "chapter 6") and says what is rebuilt and why.
    """
    rows, stale = ({}, dict.fromkeys(definitions, "rebuild=True")) if rebuild else \
        saved_per_user(definitions)  # fmt: skip
    if stale:
        by_reason: dict = {}
        for name, why in stale.items():
            by_reason.setdefault(why, []).append(name)
        reasons = "; ".join(f"{', '.join(map(repr, names))}: {why}"
                            for why, names in by_reason.items())
        logger().info(f"Rebuilding {source}'s leaderboard rows ({reasons}).")
        fresh = compute(progress=progress)
        for name in stale:
            save_per_user(name, fresh[name], definitions[name])
            rows[name] = fresh[name]
    return {name: rows[name] for name in definitions}


def leaderboard(per_user: dict, baseline: str, metric: str = "NDCG@10",
                seed: int = SEED) -> pd.DataFrame:  # fmt: skip
    """One table: each model's metrics with intervals, and its paired difference
    from ``baseline`` on ``metric`` with a p-value, best first."""
    if baseline not in per_user:
        raise KeyError(f"baseline {baseline!r} is not among the models {sorted(per_user)}.")
    rows = []
    for name, frame in per_user.items():
        row = {"model": name}
        for col, ci in intervals(frame, seed=seed).items():
            row[col] = ci.estimate
            row[f"{col} 95% CI"] = ci.format(".3f", estimate=False)
        if name == baseline:
            row[f"diff vs {baseline}"] = "(baseline)"
        else:
            c = compare(per_user[baseline][metric], frame[metric], seed=seed)
            row[f"diff vs {baseline}"] = format(c.interval, "+.3f")
            row["p"] = c.p_value
        rows.append(row)
    return pd.DataFrame(rows).set_index("model").sort_values(metric, ascending=False)
