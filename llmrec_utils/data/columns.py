"""The canonical column names and MovieLens' genres: the only place they are spelled.

Every loader renames its columns to these once (:mod:`.loaders`), so no
chapter passes column names around.
"""

from __future__ import annotations

# --- canonical column names (the only place they are spelled) -------------
USER = "user"


ITEM = "item"


RATING = "rating"


TIMESTAMP = "timestamp"  # seconds since the Unix epoch (int64)


TITLE = "title"


TEXT = "text"


PREDICTION = "prediction"


SCORE = "score"


RANK = "rank"


ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
