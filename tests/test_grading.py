"""Grading: four made-up submissions of chapters 1 and 8 get the expected scores.

The submissions are built from the chapters themselves: ``correct`` keeps the
reference solutions (and has an extra cell the grader must not run), ``wrong``
makes a typical mistake in each exercise, ``missing`` is the student edition
(``llmrec student``) handed in untouched, and ``silenced`` makes the same mistakes
but wraps every check in ``try/except``, replaces one check by a function that
accepts anything and makes another check's chapter module accept any mistake.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from llmrec_utils import cli, evaluation
from llmrec_utils.course import exercises, grading, student

# instructors install otter-grader with the `grading` extra (`make` does; the
# Colab-versions environment of `make compat` does not)
pytest.importorskip("otter", reason="otter-grader is not installed (the grading extra)")
from llmrec_utils.data import ITEM, RATING, USER

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ("01_data", "08_evaluation")

WRONG = {
    # chapter 1: duplicates let through, precision instead of recall, the last row
    "validate": "def validate(df):\n"
    "    if {USER, ITEM, RATING} - set(df.columns):\n"
    "        raise ValueError('missing columns')\n"
    "    if df[[USER, ITEM, RATING]].isna().any().any():\n"
    "        raise ValueError('missing values')\n"
    "    if not df[RATING].between(1, 5).all():\n"
    "        raise ValueError('ratings out of range')\n"
    "    return df",
    "recall_at_k": "def recall_at_k(recs, truth, k):\n"
    "    top = recs[recs['rank'] <= k]\n"
    "    hits = top.merge(truth, on=[USER, ITEM]).groupby(USER).size() / k\n"
    "    return float(hits.reindex(truth[USER].unique(), fill_value=0).mean())",
    "leave_last_out": "def leave_last_out(df):\n"
    "    last = df.groupby(USER).tail(1)\n"
    "    return df.drop(last.index), last",
    # chapter 8: no truncation at k, rows instead of users, a one-sided test
    "ndcg": "def ndcg(hits, n_relevant, k):\n"
    "    hits = np.asarray(hits, float)\n"
    "    dcg = np.sum(hits / np.log2(np.arange(2, len(hits) + 2)))\n"
    "    ideal = np.sum(1 / np.log2(np.arange(2, min(k, n_relevant) + 2)))\n"
    "    return dcg / ideal",
    "novelty": "def novelty(recs, train):\n"
    "    share = train.groupby(ITEM).size() / train[USER].nunique()\n"
    "    return float(np.mean(-np.log2(recs[ITEM].map(share))))",
    "sign_flip_p": "def sign_flip_p(diffs, n=5000, seed=0):\n"
    "    diffs = np.asarray(diffs, float)\n"
    "    signs = np.random.default_rng(seed).choice([-1.0, 1.0], (n, len(diffs)))\n"
    "    null = (signs * diffs).mean(axis=1)\n"
    "    return (1 + np.sum(null >= diffs.mean())) / (n + 1)",
}

CODING = ["ex-data-contract", "ex-data-recall", "ex-data-leave-last-out",
          "ex-eval-ndcg", "ex-eval-novelty", "ex-eval-sign-flip"]
MANUAL = ["ex-data-global-time", "ex-eval-relevance"]
EXPECTED = {  # student -> exercise -> score ("" for a discussion question)
    "correct": {**dict.fromkeys(CODING, 2), **dict.fromkeys(MANUAL, "")},
    "wrong": {**dict.fromkeys(CODING, 0), **dict.fromkeys(MANUAL, "")},
}
EXPECTED["missing"] = EXPECTED["wrong"]
EXPECTED["silenced"] = EXPECTED["wrong"]


def _defines(source: str, name: str) -> bool:
    return re.search(rf"^(def {name}\(|{name} =)", source, re.MULTILINE) is not None


def _silence(source: str) -> str:
    return "try:\n" + "".join(f"    {line}\n" for line in source.splitlines()) + \
        "except Exception:\n    pass"


def make_submission(chapter: str, kind: str, folder: Path) -> Path:
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text())
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        if "### BEGIN SOLUTION" in src:
            name = next((n for n in WRONG if _defines(src, n)), None)
            if kind in ("wrong", "silenced") and name:
                src = WRONG[name]
        if kind == "silenced" and "exercises.check_" in src:
            src = _silence(src)
        cell["source"] = src
    if kind == "silenced":  # and the checks replaced, in a way no text search finds
        nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                            "execution_count": None, "source": (
            "setattr(exercises, 'check_' + 'ndcg', lambda *args: None)\n"
            "setattr(getattr(exercises, 'ch08_' + 'evaluation'), 'judge', lambda *a, **k: True)\n"
            "ndcg = lambda hits, n_relevant, k: 1.0")})  # fmt: skip
    if kind == "correct":  # an edited cell that the grader must not run
        marker = folder / "ran-a-cell.txt"
        nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "outputs": [],
                               "execution_count": None,
                               "source": f"open({str(marker)!r}, 'w').write('oops')"})
    if kind == "missing":  # the student edition, handed in as it was handed out
        nb = student.make_student_copy(nbformat.reads(json.dumps(nb), as_version=4),
                                       f"{chapter}.ipynb")
    path = folder / kind / f"{chapter}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for chapter in CHAPTERS:
        for kind in EXPECTED:
            make_submission(chapter, kind, folder)
    out, feedback = folder / "grades.csv", folder / "feedback.csv"
    assert cli.main(["grade", str(folder), "--out", str(out), "--feedback", str(feedback)]) == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    return folder, table, pd.read_csv(feedback, keep_default_na=False)


@pytest.mark.parametrize("student", list(EXPECTED))
def test_scores_per_student_and_exercise(graded, student):
    _, table, _ = graded
    rows = table[table["student"] == student]
    assert sorted(rows["chapter"]) == list(CHAPTERS)
    for label, want in EXPECTED[student].items():
        got = [v for v in rows[label] if v != ""]
        assert (got[0] if got else "") == str(want), (student, label)
    total = sum(v for v in EXPECTED[student].values() if v != "")
    assert sum(float(t) for t in rows["total"]) == total


def test_points_row_and_manual_columns(graded):
    _, table, _ = graded
    points = table.iloc[0]
    assert points["student"] == "(points)"
    assert points["ex-data-global-time"] == points["ex-eval-relevance"] == grading.MANUAL
    assert points["ex-eval-ndcg"] == str(grading.POINTS)
    assert float(points["total"]) == 6 * grading.POINTS


def test_only_answer_cells_run_and_hints_are_kept(graded):
    folder, _, feedback = graded
    assert not (folder / "ran-a-cell.txt").exists()
    hint = feedback[(feedback["student"] == "wrong") & (feedback["exercise"] == "ex-data-recall")]
    assert "precision" in hint["message"].item()
    stub = feedback[(feedback["student"] == "missing") & (feedback["exercise"] == "ex-eval-ndcg")]
    assert "NotImplementedError" in stub["message"].item()


def test_every_check_has_an_exercise_and_an_otter_test_file(tmp_path):
    from otter.test_files import OKTestFile

    written = grading.write_tests(tmp_path)
    checks = {ex.check for ch in grading.CHAPTERS for ex in grading.exercises_of(ch)}
    assert {n for n in dir(exercises) if n.startswith("check_")} <= checks
    assert len(written) == len(checks - {None})
    for path in written:
        test = OKTestFile.from_file(str(path))
        assert test.possible == grading.POINTS
        assert any(case.hidden for case in test.test_cases) or "spark" in path.name


@pytest.mark.parametrize("chapter", ["04_matrix_factorization", "05_hybrid",
                                     "06_llm_augmentation"])  # the other light chapters
def test_reference_solutions_get_full_marks(chapter):
    path = ROOT / "notebooks" / f"{chapter}.ipynb"
    results = grading.grade_notebook(path, chapter)
    assert [r.score for r in results if r.score is not None] == \
        [grading.POINTS] * sum(r.score is not None for r in results), results


def test_otter_assign_writes_public_and_hidden_tests(tmp_path):
    assert cli.main(["assign", str(tmp_path), "--chapter", "01_data"]) == 0
    versions = {}
    for version in ("student", "autograder"):
        nb = json.loads((tmp_path / "01_data" / version / "01_data.ipynb").read_text())
        versions[version] = nb
        tests = nb["metadata"]["otter"]["tests"]
        assert set(tests) == {"ex-data-contract", "ex-data-recall", "ex-data-leave-last-out"}
        hidden = [c["hidden"] for t in tests.values() for c in t["suites"][0]["cases"]]
        assert any(hidden) == (version == "autograder")
    student = "\n".join("".join(c["source"]) for c in versions["student"]["cells"])
    assert "ordered.duplicated" not in student and "_Type your answer here" in student
    # otter's student copy, answered with the solutions, gets full marks; unanswered, none
    (tmp_path / "subs" / "ref").mkdir(parents=True)
    (tmp_path / "subs" / "ref" / "01_data.ipynb").write_text(
        (tmp_path / "01_data" / "autograder" / "01_data.ipynb").read_text())
    (tmp_path / "subs" / "blank").mkdir()
    (tmp_path / "subs" / "blank" / "01_data.ipynb").write_text(json.dumps(versions["student"]))
    table = grading.grade_folder(tmp_path / "subs", tmp_path / "grades.csv").set_index("student")
    assert table.loc["ref", "total"] == 3 * grading.POINTS
    assert table.loc["blank", "total"] == 0


def test_an_answer_that_patches_the_checks_changes_nothing():
    novelty = exercises.check_novelty
    ns = grading.run_cell(
        "setattr(exercises, 'check_novelty', None)\n"
        "exercises.ch08_evaluation.judge = lambda *args, **kwargs: True\n"
        "exercises.common.number = float\n"
        "exercises.ch08_evaluation.added = 1\n"
        "np.allclose = lambda *args, **kwargs: True", {"exercises": exercises, "np": np})
    assert ns["exercises"] is exercises
    assert exercises.check_novelty is novelty is exercises.ch08_evaluation.check_novelty
    assert not hasattr(exercises.ch08_evaluation, "added")
    assert not np.allclose(0.0, 1.0)
    wrong = {"np": np, "ITEM": ITEM, "USER": USER}
    exec(WRONG["novelty"], wrong)  # noqa: S102 - rows counted, not distinct users
    with pytest.raises(exercises.ExerciseError, match="distinct users"):
        exercises.check_novelty(wrong["novelty"])
    with pytest.raises(exercises.ExerciseError, match="NaN"):
        exercises.common.number(float("nan"), "x")


def test_answers_may_use_other_cells_and_loops_time_out(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "TIMEOUT", 2)
    cells = [
        "K_MAX = 1000\nprint(K_MAX)",
        "def top(recs, k):\n    return recs[recs['rank'] <= min(k, K_MAX)]",
        ("def recall_at_k(recs, truth, k):\n"
         "    found = top(recs, k).merge(truth, on=[USER, ITEM]).groupby(USER).size()\n"
         "    n = truth.groupby(USER).size()\n"
         "    return float((found.reindex(n.index, fill_value=0) / n).mean())"),
        "def is_last(df):\n    return ~df.duplicated(USER, keep='last')",
        ("def leave_last_out(df):\n    ordered = df.sort_values([USER, TIMESTAMP])\n"
         "    return ordered[~is_last(ordered)], ordered[is_last(ordered)]"),
        "while True:\n    pass\ndef validate(df):\n    return df",
        "exercises.check_recall(recall_at_k)",
        "recall_at_k = recall_at_k(pd.DataFrame(), pd.DataFrame(), 3)  # the name reused",
    ]
    nb = {"cells": [{"cell_type": "code", "source": c} for c in cells]}
    (tmp_path / "01_data.ipynb").write_text(json.dumps(nb))
    results = {r.label: r for r in grading.grade_notebook(tmp_path / "01_data.ipynb", "01_data")}
    assert results["ex-data-recall"].score == grading.POINTS
    assert results["ex-data-leave-last-out"].score == grading.POINTS
    assert results["ex-data-contract"].score == 0
    assert "more than 2 s" in results["ex-data-contract"].message


def test_a_value_typed_in_passes_the_check_but_not_the_hidden_variant(tmp_path):
    ex = grading.find("02_text_embeddings", "ex-emb-no-year")
    cards = grading.run_cell(ex.solution, grading.context().namespace(ex))["cards_no_year"]
    answers = {"typed": f"cards_no_year = {cards!r}",
               "loads": "items = data.load_ml100k_items()\n" + ex.solution}  # its own data
    for name, source in answers.items():
        nb = {"cells": [{"cell_type": "code", "source": source}]}
        (tmp_path / name / "02_text_embeddings.ipynb").parent.mkdir()
        (tmp_path / name / "02_text_embeddings.ipynb").write_text(json.dumps(nb))
    table = grading.grade_folder(tmp_path, tmp_path / "grades.csv").set_index("student")
    assert table.loc["typed", "ex-emb-no-year"] == 1
    assert table.loc["loads", "ex-emb-no-year"] == grading.POINTS


HIDDEN_MISTAKES = [  # (chapter, label, name, a typical mistake)
    ("01_data", "ex-data-contract", "validate",  # pairs that appear twice let through
     lambda df: df if {USER, ITEM, RATING} <= set(df.columns) and df[RATING].between(1, 5).all()
     and not df[[USER, ITEM, RATING]].isna().any().any() else (_ for _ in ()).throw(ValueError)),
    ("06_llm_augmentation", "ex-aug-build", "augment_reviews",  # the originals dropped
     lambda labelled, paraphrases, copies: (
         [paraphrases[r] for r in labelled["review"] if r in paraphrases and r not in copies],
         [y for r, y in zip(labelled["review"], labelled["recommended"])
          if r in paraphrases and r not in copies])),
    ("06_llm_augmentation", "ex-aug-measure", "augmentation_effect",  # the sign reversed
     lambda y, without, with_, seed: evaluation.compare(
         (with_ == y).astype(float), (without == y).astype(float), seed=seed)),
    ("04_matrix_factorization", "ex-mf-ease", "ease_weights",
     lambda X, lam: -np.linalg.inv(X.T @ X + lam * np.eye(X.shape[1]))),  # diagonal kept
    ("05_hybrid", "ex-hybrid-zscore", "zscore",  # the sample standard deviation
     lambda S: (S - S.mean(1, keepdims=True)) / np.maximum(S.std(1, ddof=1, keepdims=True), 1e-12)),
    ("06_llm_augmentation", "ex-aug-loop", "loops",  # two repeats
     lambda ids, max_period=12: any(len(ids) >= 2 * p and ids[-p:] == ids[-2 * p:-p]
                                    for p in range(1, max_period + 1))),
    ("08_evaluation", "ex-eval-ndcg", "ndcg",  # the ideal list not capped at k
     lambda hits, n, k: np.sum(np.asarray(hits, float)[:k]
                               / np.log2(np.arange(2, min(k, len(hits)) + 2)))
     / np.sum(1 / np.log2(np.arange(2, n + 2)))),
    ("09_scaling_with_spark", "ex-spark-crossover", "crossover",  # workers ignored
     lambda a1, b1, a2, b2, w: (a2 - a1) / (b1 - b2) if b1 > b2 else math.inf),
]


@pytest.mark.parametrize("chapter, label, name, mistake", HIDDEN_MISTAKES)
def test_hidden_variants_reject_typical_mistakes(chapter, label, name, mistake):
    reference = grading.context().reference(grading.find(chapter, label))
    assert grading.hidden(chapter, label, {name: reference}) is True
    verdict = grading.hidden(chapter, label, {name: mistake})
    assert verdict is not True and "variant" in verdict
