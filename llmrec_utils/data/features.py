"""Side features built from the datasets' own columns (no text model).

:func:`ml100k_item_features`: MovieLens-100k's genre flags and release-decade
one-hots, the item features of chapter 7's factorisation models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import ITEM, ML100K_GENRES
from .loaders import load_ml100k_items

__all__ = ['ml100k_item_features']  # fmt: skip


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
        V = np.asarray(cards.vectors, float)
        V = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
        card = pd.DataFrame(V, index=pd.Index(cards.ids, name=ITEM),
                            columns=[f"card_{c}" for c in range(V.shape[1])])
        out = out.join(card, how="left").fillna(0.0)
    return out
