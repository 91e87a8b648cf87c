"""The data layer: canonical column names, loaders, splits, feature builders and pinned assets.

``from llmrec_utils import data`` gives the public names of :mod:`.columns`,
:mod:`.loaders`, :mod:`.splits` and :mod:`.features`; :mod:`.assets` (the
pinned downloads) is imported on its own.
"""

from .columns import (  # noqa: F401
    ITEM,
    ML100K_GENRES,
    PREDICTION,
    RANK,
    RATING,
    SCORE,
    TEXT,
    TIMESTAMP,
    TITLE,
    USER,
)
from .loaders import (  # noqa: F401
    clean_reviews,
    drop_sparse_users,
    load_clothing_reviews,
    load_ml100k_items,
    load_ml100k_ratings,
    load_ml100k_users,
    validate_ratings,
)
from .splits import (  # noqa: F401
    N_FOLDS,
    PROTOCOL_SPLITS,
    STANDARD_SPLITS,
    Split,
    WARM_TEST_FRAC,
    cold_item_split,
    cold_user_split,
    holdout_split,
    kfold_splits,
    load_split,
    mixed_split,
    random_split,
    save_split,
    standard_split,
    temporal_split,
    warm_split,
    warm_validation_split,
)
from .features import (  # noqa: F401
    ml100k_item_features,
)
