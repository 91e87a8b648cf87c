"""Side features built from the datasets' own columns (no text model), and the
three rules every table of features or vectors keyed by ids follows.

:func:`ml100k_item_features`: MovieLens-100k's genre flags and release-decade
one-hots, the item features of chapter 7's factorisation models.

* :func:`keyed_rows`: the rows of a table for some ids; when too many ids have
  none, the table is keyed by other ids (other values, or ``"12"`` against
  ``12``) and that is an error naming ids of both;
* :func:`unit_rows`: rows scaled to unit length (a zero row stays zero);
* :func:`plain_ids`: ids as plain Python values for messages (``4``, not
  ``np.int64(4)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import ITEM, ML100K_GENRES
from .loaders import load_ml100k_items

__all__ = ['ml100k_item_features', 'keyed_rows', 'unit_rows', 'plain_ids']  # fmt: skip


def plain_ids(values) -> list:
    """Ids as plain Python values, for messages (``4``, not ``np.int64(4)``)."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def unit_rows(X) -> np.ndarray:
    """The rows of ``X`` scaled to unit length (a zero row stays zero)."""
    X = np.asarray(X, dtype=float)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)


def keyed_rows(index: pd.Index, ids, max_missing: float, what: str, table: str,
               among: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """The row of a table keyed by ``index`` for each of ``ids`` (-1: none).

    Ids of another type than the table's match nothing. If more than
    ``max_missing`` of the ids (of those flagged by the boolean ``among``, by
    default all) have no row, the table is keyed by other ids: ``ValueError``
    naming ids of both, e.g. "20 of 20 training items have no feature row".
    ``what`` names the ids ("training items"), ``table`` a row ("feature row").
    """
    ids = pd.Index(ids)
    rows = index.get_indexer(ids) if ids.inferred_type == index.inferred_type \
        else np.full(len(ids), -1)
    among = np.ones(len(ids), bool) if among is None else np.asarray(among, bool)
    missing = among & (rows < 0)
    if missing.sum() > max_missing * max(among.sum(), 1):
        limit = f" (more than max_missing={max_missing:g})" if max_missing else ""
        raise ValueError(
            f"{int(missing.sum())} of {int(among.sum())} {what} have no {table}{limit}, e.g. "
            f"{plain_ids(ids[missing][:3])}; the table's ids look like "
            f"{plain_ids(index[:3])}. Key it by the same ids (same values and type)."
        )
    return rows


def ml100k_item_features(cards=None) -> pd.DataFrame:
    """MovieLens-100k item features indexed by item: the 0/1 genre flags and a
    one-hot of the release decade (no decade column for the one film without
    a year), and optionally ``cards`` (a
    :class:`~llmrec_utils.text.embeddings.StoredEmbeddings`, e.g. the item-card
    vectors) as ``card_0...`` columns, each row scaled to unit length (zeros
    for a film without a card)."""
    items = load_ml100k_items().set_index(ITEM)
    decade = (items["year"] // 10 * 10).astype("Int64")
    onehot = pd.get_dummies(decade, prefix="decade", dtype=float)  # <NA>: all zero
    out = pd.concat([items[list(ML100K_GENRES)].astype(float), onehot], axis=1)
    if cards is not None:
        V = unit_rows(cards.vectors)
        card = pd.DataFrame(V, index=pd.Index(cards.ids, name=ITEM),
                            columns=[f"card_{c}" for c in range(V.shape[1])])
        out = out.join(card, how="left").fillna(0.0)
    return out
