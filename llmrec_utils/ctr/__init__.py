"""Click-through (CTR) models and their tasks, in torch.

``from llmrec_utils import ctr`` gives the public names of :mod:`.nets` (the
book's logistic regression, FM and DeepFM), :mod:`.deepctr` (DeepCTR-Torch's
DeepFM behind the same contract) and :mod:`.tasks` (the datasets they learn).
"""

from .nets import (  # noqa: F401
    CTRModel,
    DeepFM,
    FMCTR,
    FeatureSpec,
    LogisticCTR,
    UNKNOWN,
    fm_interaction,
    pairwise_interaction,
)
from .deepctr import (  # noqa: F401
    DeepCTRDeepFM,
)
from .tasks import (  # noqa: F401
    AGE_BINS,
    CTRTask,
    clothing_recommend,
    ml100k_clicks,
)
