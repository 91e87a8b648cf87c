"""Click-through (CTR) models and their tasks, in torch.

``from llmrec_utils import ctr`` gives the public names of :mod:`.nets` (the
book's logistic regression, FM and DeepFM), :mod:`.deepctr` (DeepCTR-Torch's
DeepFM behind the same contract) and :mod:`.tasks` (the datasets they learn).

**The CTR contract** (every model here; tested for all of them by
``test_ctr_contract`` in tests/test_ctr.py). It is a second contract beside the
ranking models' (:mod:`llmrec_utils.models.base`): a CTR model scores rows of
fields, not (user, item) pairs.

* ``Model(spec, **hyper_parameters, seed=SEED)``: the fields
  (:class:`FeatureSpec`), the settings and the seed; the same seed gives the
  same predictions.
* ``fit(X, y, valid=None) -> self``: ``X`` a DataFrame with the spec's
  columns, ``y`` 0/1 labels with both classes. ``valid=(X_valid, y_valid)``
  is the one thing besides the training rows that ``fit`` takes, and it is
  used for **early stopping only**: the validation log loss after each epoch,
  a stop after ``patience`` epochs without improvement, the best epoch's
  weights kept (``best_epoch_``, ``history_``). It is never trained on, and
  it is always a validation split, never the test rows. (The ranking models'
  rule "nothing but the training data through ``fit``" is kept in spirit:
  nothing ``valid`` holds reaches the weights except through the choice of
  an epoch.)
* ``predict_proba(X) -> np.ndarray``: one probability in [0, 1] per row (1-D,
  unlike scikit-learn's); a ``RuntimeError`` before ``fit``.
* Bad input (a missing column, labels not 0/1, one class, a ``valid`` that is
  not a pair) is an error naming it; a categorical value unseen in training
  is scored by the field's shared *unknown* row (the same for every unseen
  value).
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
