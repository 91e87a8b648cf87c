"""Checks for the book's coding exercises, one module per chapter.

The chapters call ``exercises.check_x(answer, ...)`` after
``from llmrec_utils.course import exercises``; each ``check_*`` lives in its
chapter's module (``ch01_data`` for ``notebooks/01_data.ipynb``, ...,
``ch09_scaling_with_spark``) and is re-exported here. What the checks share is
in :mod:`.common`.

Each ``check_*`` function accepts a correct answer (printing a short
confirmation) and raises :class:`ExerciseError` with a hint for a wrong one.

How a check holds:

* a check that takes a function runs it on at least two cases, one of them
  built so that each common mistake for the exercise gives a different answer
  from the correct one; the hint then names the mistake;
* hints never print the expected value or the formula: they name what went
  wrong (the success message may confirm the idea);
* the student's function is called through :func:`.common.call`, so a stub
  (``raise NotImplementedError()``, ``...``, ``pass``) or a crash becomes a
  hint rather than a traceback;
* harmless differences pass: a NumPy scalar, 0-d or one-element array for a
  number, int for float, list for tuple, spans in any order.

The reference answer is computed here from the same data, never typed in.
The exercises themselves are in the chapters; see ``book/setup.md`` for the
convention.
"""

from __future__ import annotations

from .ch01_data import check_leave_last_out, check_recall, check_validate
from .ch02_text_embeddings import (check_cards_without_year, check_macro_f1, check_mean_pool,
                                   check_mmr)
from .ch03_ner_finetuning import check_align_labels, check_entity_f1, check_spans
from .ch04_matrix_factorization import check_als_user, check_ease, check_sgd_step
from .ch05_hybrid import check_content_scores, check_gated_blend, check_zscore_rows
from .ch06_llm_augmentation import check_augmentation_effect, check_augmented_set, check_loops
from .ch07_knowledge_in_models import check_fm_pairwise, check_loo_share, check_warp_weight
from .ch08_evaluation import check_ndcg, check_novelty, check_sign_flip, check_swap_consistency
from .ch09_scaling_with_spark import check_crossover, check_fetch_depth, check_spark_top_k
from .common import ExerciseError

__all__ = [  # the imports above say which chapter each check is for
    "ExerciseError",
    "check_align_labels",
    "check_als_user",
    "check_augmentation_effect",
    "check_augmented_set",
    "check_cards_without_year",
    "check_content_scores",
    "check_crossover",
    "check_ease",
    "check_entity_f1",
    "check_fetch_depth",
    "check_fm_pairwise",
    "check_gated_blend",
    "check_leave_last_out",
    "check_loo_share",
    "check_loops",
    "check_macro_f1",
    "check_mean_pool",
    "check_mmr",
    "check_ndcg",
    "check_novelty",
    "check_recall",
    "check_sgd_step",
    "check_sign_flip",
    "check_spans",
    "check_spark_top_k",
    "check_swap_consistency",
    "check_validate",
    "check_warp_weight",
    "check_zscore_rows",
]
