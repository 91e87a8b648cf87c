"""Metrics, uncertainty, protocols and the leaderboard.

``from llmrec_utils import evaluation`` gives the public names of
:mod:`.uncertainty` (intervals, paired comparisons, verdicts),
:mod:`.protocols` (a model evaluated on a split) and :mod:`.board`
(per-user rows stored on disk). The metrics themselves are
:mod:`llmrec_utils.evaluation.metrics`.
"""

from .uncertainty import (  # noqa: F401
    Comparison,
    Interval,
    VERDICTS,
    auc_logloss,
    bootstrap_ci,
    cluster_bootstrap_diff,
    compare,
    compare_clicks,
    paired_bootstrap_diff,
    paired_fold_interval,
    verdict,
)
from .protocols import (  # noqa: F401
    chance_level,
    evaluate,
    interval_table,
    intervals,
    ndcg_of,
    per_fold,
    rating_evaluation,
    sampled_metrics,
    select_by_validation,
    summarise,
)
from .board import (  # noqa: F401
    LEADERBOARD_PROTOCOL,
    leaderboard,
    leaderboard_protocol_id,
    save_per_user,
    saved_per_user,
    stored_rows,
)
