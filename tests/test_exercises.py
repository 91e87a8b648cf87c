"""Exercise checks accept the reference answers and explain wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from llmrec_utils import data, exercises
from llmrec_utils.data import ITEM, TIMESTAMP, USER
from llmrec_utils.exercises import ExerciseError


@pytest.fixture(scope="module")
def ratings():
    return data.load_ml100k_ratings()


def test_density(ratings, capsys):
    density = len(ratings) / (943 * 1682)
    exercises.check_density(density, ratings)
    assert "Correct" in capsys.readouterr().out
    for wrong, hint in [(1 - density, "sparsity"), (100 * density, "percentage"),
                        (5.0, "lies in \\[0, 1\\]"), (0.5, "one row per distinct user"),
                        ("abc", "should be a number"), ([density], "single number")]:
        with pytest.raises(ExerciseError, match=hint):
            exercises.check_density(wrong, ratings)


def test_head_share(ratings):
    counts = ratings.groupby(ITEM).size().sort_values(ascending=False)
    n = int(np.ceil(0.2 * len(counts)))
    exercises.check_head_share(counts.iloc[:n].sum() / len(ratings), ratings)
    with pytest.raises(ExerciseError, match="least-rated"):
        exercises.check_head_share(counts.iloc[-n:].sum() / len(ratings), ratings)
    with pytest.raises(ExerciseError, match="percentage"):
        exercises.check_head_share(100 * counts.iloc[:n].sum() / len(ratings), ratings)
    with pytest.raises(ExerciseError, match="Not quite"):
        exercises.check_head_share(0.3, ratings)


def reference_leave_last_out(df):
    ordered = df.sort_values([USER, TIMESTAMP])
    is_last = ~ordered.duplicated(USER, keep="last")
    return ordered[~is_last], ordered[is_last]


def test_leave_last_out_accepts_reference_and_package_split():
    exercises.check_leave_last_out(reference_leave_last_out)
    exercises.check_leave_last_out(lambda df: (lambda s: (s.train, s.test))(data.temporal_split(df)))


@pytest.mark.parametrize(
    "fn, hint",
    [
        (lambda df: (_ for _ in ()).throw(NotImplementedError()), "Replace the `raise"),
        (lambda df: df, "tuple \\(train, test\\)"),
        (lambda df: (df, df.groupby(USER).tail(1)), "Every rating must land in exactly one"),
        (lambda df: (lambda o: (o[o.duplicated(USER)], o[~o.duplicated(USER)]))(
            df.sort_values([USER, TIMESTAMP])), "earliest"),
        (lambda df: (df[df.duplicated(USER, keep="last")], df[~df.duplicated(USER, keep="last")]),
         "do not rely on row order"),
    ],
)
def test_leave_last_out_rejects_wrong_answers_with_hints(fn, hint):
    with pytest.raises(ExerciseError, match=hint):
        exercises.check_leave_last_out(fn)
