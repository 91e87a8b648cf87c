"""Grading: made-up submissions get the marks written by hand from their answers.

The submissions are built from the chapters themselves. Chapters 1 and 8:
``correct`` keeps the reference solutions (and has an extra cell the grader must
not run), ``wrong`` answers every exercise wrongly, ``missing`` is the student
edition (``llmrec student``) handed in untouched, and ``silenced`` makes the
same mistakes but wraps every check in ``try/except``, replaces one check by a
function that accepts anything and makes another check's chapter module accept
any mistake. Chapters 1, 4 and 7: a class of six (:data:`CLASS`).

The checks' own cases may change (each check runs designed and fresh random
cases), so a wrong answer here is wrong on every input and a right one right on
every input; partial credit is tested where the number of cases is read at test
time (:func:`test_partial_credit_per_case`).
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
SECRET = "the instructor's secret for the tests"


@pytest.fixture(scope="module", autouse=True)
def _secret(tmp_path_factory):
    """A known secret, and no grading secret written to the home folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(grading.SECRET_ENV, SECRET)
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield

WRONG = {  # each wrong on every input, whatever cases a check draws
    # chapter 1: rows dropped and nothing checked, a column that does not exist, one frame
    "validate": "def validate(df):\n    return df.iloc[0:0]",
    "recall_at_k": "def recall_at_k(recs, truth, k):\n"
    "    top = recs.sort_values('score', ascending=False).groupby(USER).head(k)\n"
    "    hits = top.merge(truth, on=[USER, ITEM]).groupby(USER).size()\n"
    "    return float((hits / truth.groupby(USER).size()).fillna(0).mean())",
    "leave_last_out": "def leave_last_out(df):\n"
    "    return df.sort_values(TIMESTAMP).groupby(USER).tail(1)",
    # chapter 8: DCG and its ideal not divided, no mean, the null distribution returned,
    # the pairs compared one by one (no share)
    "ndcg": "def ndcg(hits, n_relevant, k):\n"
    "    hits = np.asarray(hits, float)[:k]\n"
    "    dcg = np.sum(hits / np.log2(np.arange(2, len(hits) + 2)))\n"
    "    ideal = np.sum(1 / np.log2(np.arange(2, min(k, n_relevant) + 2)))\n"
    "    return dcg, ideal",
    "novelty": "def novelty(recs, train):\n"
    "    share = train.groupby(ITEM)[USER].nunique() / train[USER].nunique()\n"
    "    return -np.log2(recs[ITEM].map(share))",
    "sign_flip_p": "def sign_flip_p(diffs, n=5000, seed=0):\n"
    "    diffs = np.asarray(diffs, float)\n"
    "    signs = np.random.default_rng(seed).choice([-1.0, 1.0], (n, len(diffs)))\n"
    "    return np.abs((signs * diffs).mean(axis=1))",
    "swap_consistency": "def swap_consistency(first_order_picks, swapped_picks):\n"
    "    return np.asarray(first_order_picks) != np.asarray(swapped_picks)",
}

CODING = ["ex-data-contract", "ex-data-recall", "ex-data-leave-last-out",
          "ex-eval-ndcg", "ex-eval-novelty", "ex-eval-sign-flip", "ex-eval-swap"]
MANUAL = ["ex-data-global-time", "ex-eval-relevance", "ex-eval-judge"]
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


def test_points_rows_and_manual_columns(graded):
    _, table, _ = graded
    points = table[table["student"] == "(points)"].set_index("chapter")
    assert list(table["student"][:2]) == ["(points)"] * 2 and list(points.index) == list(CHAPTERS)
    assert points.loc["01_data", "ex-data-global-time"] == grading.MANUAL
    assert points.loc["08_evaluation", "ex-eval-relevance"] == grading.MANUAL
    assert points.loc["08_evaluation", "ex-eval-ndcg"] == str(grading.POINTS)
    assert points.loc["01_data", "ex-eval-ndcg"] == points.loc["08_evaluation", "ex-data-recall"] == ""
    assert [float(t) for t in points["total"]] == [3 * grading.POINTS, 4 * grading.POINTS]


def test_only_answer_cells_run_and_hints_are_kept(graded):
    folder, _, feedback = graded
    assert not (folder / "ran-a-cell.txt").exists()
    hint = feedback[(feedback["student"] == "wrong") & (feedback["exercise"] == "ex-data-recall")]
    assert "KeyError" in hint["message"].item() and "'score'" in hint["message"].item()
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
    # the student edition's prose: plain Markdown, numbered exercises, hints, the
    # install cell first (with otter), otter's grader next, glued results printed
    from test_student import MYST

    from llmrec_utils.course import student as student_edition

    cells = versions["student"]["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    prose = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    assert '"llmrec-utils[grading] @ git+' in code[0] and "import otter" not in code[0]
    assert "grader = otter.Notebook(" in code[1] and code[2] == student_edition.SHOW_GLUED
    assert sum("import otter" in c for c in code) == 1
    for text in prose:
        assert not [what for what, pattern in MYST.items() if pattern.search(text)], text[:300]
    assert re.findall(r"^### Exercise (1\.\d): ", "\n".join(prose), re.MULTILINE) == \
        ["1.1", "1.2", "1.3", "1.4"]
    assert sum(t.startswith(student_edition.HINT) for t in prose) == 3
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
    exec("def novelty(recs, train):\n"  # noqa: S102 - rows counted, not distinct users
         "    share = train.groupby(ITEM).size() / train[USER].nunique()\n"
         "    return float(np.mean(-np.log2(recs[ITEM].map(share))))", wrong)
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


def _unnormalised_mmr(doc, cands, k, lam):
    rel, sim, picked = cands @ doc, cands @ cands.T, [int(np.argmax(cands @ doc))]
    left = [i for i in range(len(rel)) if i != picked[0]]
    while left and len(picked) < k:
        score = (1 - lam) * rel[left] - lam * sim[np.ix_(left, picked)].max(axis=1)
        picked.append(left.pop(int(np.argmax(score))))
    return picked


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
    ("02_text_embeddings", "ex-emb-mmr", "my_mmr",  # dot products, not cosines
     lambda doc, cands, k, lam: _unnormalised_mmr(doc, cands, k, lam)),
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


# --- a class of six: chapters 1, 4 and 7 ------------------------------------------------------
CLASS_CHAPTERS = ("01_data", "04_matrix_factorization", "07_knowledge_in_models")
STUB, REF = "stub", "ref"

ALWAYS_WRONG = {  # a mistake that no input can hide
    "recall_at_k": WRONG["recall_at_k"],  # sorts by a column that does not exist
    "leave_last_out": WRONG["leave_last_out"],  # one frame, not (train, test)
    "ease_weights": "def ease_weights(X, lam):\n"  # the diagonal left at -1
    "    P = np.linalg.inv(X.T @ X + lam * np.eye(X.shape[1]))\n"
    "    return -P / np.diag(P)",
    "warp_weight": "def warp_weight(N, n_items):\n"  # the rank, not its logarithm (ln r != r)
    "    return np.maximum(1.0, np.floor((n_items - 1) / np.asarray(N, float)))",
}

COPIED = {  # the package's own version called (each would pass the check)
    "recall_at_k": "def recall_at_k(recs, truth, k):\n"
    "    return metrics.recall_at_k(recs, truth, k)",
    "leave_last_out": "def leave_last_out(df):\n"
    "    split = data.temporal_split(df, n_test=1)\n"
    "    return split.train, split.test",
    "solve_user": "def solve_user(Q, b_items, items, ratings, mu, reg, bias_reg):\n"
    "    R = mf.rating_matrix(np.zeros(len(items), int), items, ratings - mu,"
    " (1, len(b_items)))\n"
    "    p, b = mf.als_half_step(R, Q, b_items, reg, bias_reg)\n"
    "    return p[0], b[0]",
    "fm_pairwise": "def fm_pairwise(V, X):\n"
    "    A = torch.tensor(X[:, :, None] * V[None, :, :])\n"
    "    return ctr.pairwise_interaction(A).numpy()",
    "warp_weight": "warp_weight = feature_mf.warp_weights  # an alias, not even a call",
}

HALFWAY = {  # errors: before the definition (nothing defined), after it, inside it
    "recall_at_k": "def recall_at_k(recs, truth, k):\n"
    "    top = top_k_items(recs, k)  # a helper never written: NameError on every call\n"
    "    return float(top.merge(truth).shape[0])",
    "leave_last_out": "train, test = leave_last_out(toy_log)  # run before it is defined\n"
    "def leave_last_out(df):\n"
    "    ordered = df.sort_values([USER, TIMESTAMP])\n"
    "    is_last = ~ordered.duplicated(USER, keep='last')\n"
    "    return ordered[~is_last], ordered[is_last]",
    "sgd_step": "def sgd_step(p, q, bu, bi, mu, r, lr, reg, bias_reg):\n"
    "    e = r - (mu + bu + bi + p @ q)\n"
    "    return (p + lr * (e * q - reg * p), q + lr * (e * p - reg * q),\n"
    "            bu + lr * (e - bias_reg * bu), bi + lr * (e - bias_reg * bi))\n"
    "print(sgd_step(p0, q0))  # the demo fails after the definition: the function stays",
    "ease_weights": "lam = LAMBDAS[0]  # a name from a cell that was never run\n"
    "def ease_weights(X, lam):\n"
    "    P = np.linalg.inv(X.T @ X + lam * np.eye(X.shape[1]))\n"
    "    B = -P / np.diag(P)\n"
    "    np.fill_diagonal(B, 0.0)\n"
    "    return B",
    "warp_weight": "def warp_weight(N, n_items):\n"
    "    rank = np.floor((n_items - 1) / np.asarray(N, float))\n"
    "    return np.log(np.maximum(1.0, rank), base=2)  # TypeError on every call",
}

RENAMED = {"recall_at_k": ("rename", "recall_at_K", "keep a stub"),
           "sgd_step": ("rename", "sgd_update"), "loo_share": ("rename", "loo_shares")}

EXERCISES = {  # chapter -> (label, the name the exercise asks for)
    "01_data": [("ex-data-contract", "validate"), ("ex-data-recall", "recall_at_k"),
                ("ex-data-leave-last-out", "leave_last_out")],
    "04_matrix_factorization": [("ex-mf-sgd-step", "sgd_step"), ("ex-mf-als-user", "solve_user"),
                                ("ex-mf-ease", "ease_weights")],
    "07_knowledge_in_models": [("ex-knowledge-fm", "fm_pairwise"),
                               ("ex-knowledge-warp", "warp_weight"),
                               ("ex-knowledge-loo", "loo_share")],
}
DISCUSSION = {"01_data": "ex-data-global-time", "04_matrix_factorization": "ex-mf-larger-k",
              "07_knowledge_in_models": "ex-knowledge-wide"}
ALL_NAMES = [name for pairs in EXERCISES.values() for _, name in pairs]

CLASS = {  # student -> name -> answer (REF, STUB, a source, a rename); default REF
    "strong": {},
    "weak": {**dict.fromkeys(ALL_NAMES, STUB), "ease_weights": REF},
    "mixed": {name: ALWAYS_WRONG[name] for name in
              ("recall_at_k", "leave_last_out", "ease_weights", "warp_weight")},
    "copier": COPIED,
    "halfway": HALFWAY,
    "renamed": RENAMED,
}

MARKS = {  # student -> exercise -> marks, written from the answers above
    "strong": {"validate": 2, "recall_at_k": 2, "leave_last_out": 2, "sgd_step": 2,
               "solve_user": 2, "ease_weights": 2, "fm_pairwise": 2, "warp_weight": 2,
               "loo_share": 2},
    "weak": {**dict.fromkeys(ALL_NAMES, 0), "ease_weights": 2},
    "mixed": {"validate": 2, "recall_at_k": 0, "leave_last_out": 0, "sgd_step": 2,
              "solve_user": 2, "ease_weights": 0, "fm_pairwise": 2, "warp_weight": 0,
              "loo_share": 2},
    "copier": {"validate": 2, "recall_at_k": 0, "leave_last_out": 0, "sgd_step": 2,
               "solve_user": 0, "ease_weights": 2, "fm_pairwise": 0, "warp_weight": 0,
               "loo_share": 2},
    "halfway": {"validate": 2, "recall_at_k": 0, "leave_last_out": 0, "sgd_step": 2,
                "solve_user": 2, "ease_weights": 0, "fm_pairwise": 2, "warp_weight": 0,
                "loo_share": 2},
    "renamed": dict.fromkeys(ALL_NAMES, 2),
}
CHAPTER_TOTALS = {  # student -> the chapter totals, as a second reading of MARKS
    "strong": [6, 6, 6], "weak": [0, 2, 0], "mixed": [2, 4, 4], "copier": [2, 4, 2],
    "halfway": [2, 4, 4], "renamed": [6, 6, 6],
}


def _stub(source: str) -> str:
    header = re.search(r"^def .*?:\s*$", source, re.MULTILINE | re.DOTALL)[0]
    return f"{header}\n    raise NotImplementedError()"


def class_submission(chapter: str, answers: dict, path: Path) -> Path:
    """The chapter with each solution cell answered as ``answers`` says."""
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text())
    renames = {}
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and "### BEGIN SOLUTION" in src:
            name = next(n for _, n in EXERCISES[chapter] if _defines(src, n))
            answer = answers.get(name, REF)
            if answer == STUB:
                src = _stub(src)
            elif isinstance(answer, tuple):  # renamed; perhaps the stub kept above it
                renames[name] = answer[1]
                renamed = re.sub(rf"\b{name}\b", answer[1], src)
                src = f"{_stub(src)}\n\n\n{renamed}" if len(answer) > 2 else renamed
            elif answer != REF:
                src = answer
        cell["source"] = src
    for cell in nb["cells"]:  # the renamed function is what the student's check call passes
        if cell["cell_type"] == "code" and "exercises.check_" in cell["source"]:
            for old, new in renames.items():
                cell["source"] = re.sub(rf"(exercises\.check_\w+\(){old}\b", rf"\g<1>{new}",
                                        cell["source"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture(scope="module")
def class_graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for who, answers in CLASS.items():
        for chapter in CLASS_CHAPTERS:
            class_submission(chapter, answers, folder / "in" / who / f"{chapter}.ipynb")
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    out, feedback = folder / "grades.csv", folder / "feedback.csv"
    assert cli.main(["grade", str(folder / "in"), "--out", str(out), "--feedback",
                     str(feedback), "--secret", str(secret)]) == 0
    return (pd.read_csv(out, dtype=str, keep_default_na=False),
            pd.read_csv(feedback, dtype=str, keep_default_na=False))


@pytest.mark.parametrize("student", list(CLASS))
def test_class_gets_the_marks_written_by_hand(class_graded, student):
    table, _ = class_graded
    rows = table[table["student"] == student].set_index("chapter")
    assert list(rows.index) == list(CLASS_CHAPTERS)
    for chapter, pairs in EXERCISES.items():
        got = {name: float(rows.loc[chapter, label]) for label, name in pairs}
        assert got == {name: MARKS[student][name] for _, name in pairs}, (student, chapter)
        assert rows.loc[chapter, DISCUSSION[chapter]] == ""
    assert [float(rows.loc[c, "total"]) for c in CLASS_CHAPTERS] == CHAPTER_TOTALS[student]


def test_class_points_rows_total_each_chapter(class_graded):
    table, _ = class_graded
    points = table[table["student"] == "(points)"].set_index("chapter")
    assert list(points.index) == list(CLASS_CHAPTERS)
    for chapter, pairs in EXERCISES.items():
        assert [points.loc[chapter, label] for label, _ in pairs] == ["2"] * 3
        assert points.loc[chapter, DISCUSSION[chapter]] == grading.MANUAL
        others = [label for c, p in EXERCISES.items() if c != chapter for label, _ in p]
        assert all(points.loc[chapter, label] == "" for label in others)
        assert float(points.loc[chapter, "total"]) == 6


def test_class_feedback_names_the_answer_and_the_reason(class_graded):
    _, feedback = class_graded
    note = feedback.set_index(["student", "exercise"])
    for label, name in [("ex-data-recall", "recall_at_K"), ("ex-mf-sgd-step", "sgd_update"),
                        ("ex-knowledge-loo", "loo_shares")]:
        assert note.loc[("renamed", label), "answer"] == name
        assert f"graded {name} (the name passed to exercises.check_" in \
            note.loc[("renamed", label), "message"]
    assert note.loc[("strong", "ex-data-recall"), "answer"] == "recall_at_k"
    flagged = {"ex-data-recall": "llmrec_utils.evaluation.metrics.recall_at_k",
               "ex-data-leave-last-out": "llmrec_utils.data.splits.temporal_split",
               "ex-mf-als-user": "llmrec_utils.models.mf.als_half_step",
               "ex-knowledge-fm": "llmrec_utils.ctr.nets.pairwise_interaction",
               "ex-knowledge-warp": "llmrec_utils.models.feature_mf.warp_weights"}
    for label, function in flagged.items():
        message = note.loc[("copier", label), "message"]
        assert f"0 points: the answer calls {function}, the package's own version" in message
    assert not note.loc[("strong", "ex-data-recall"), "message"].count("package's own")
    assert "NameError" in note.loc[("halfway", "ex-data-leave-last-out"), "message"]
    assert "public check: 3 of 3" not in note.loc[("halfway", "ex-knowledge-warp"), "message"]
    assert note.loc[("halfway", "ex-mf-sgd-step"), "score"] == "2"  # defined before the error


# --- partial credit, the secret, the chapters -------------------------------------------------
def test_partial_credit_per_case(tmp_path):
    """An answer right where n_items is even gets that share of each point."""
    ex = grading.find("07_knowledge_in_models", "ex-knowledge-warp")
    source = ("def warp_weight(N, n_items):\n"
              "    if n_items % 2:  # wrong for an odd number of items: weights are >= 0\n"
              "        return -np.ones(len(N))\n"
              "    return np.log(np.maximum(1.0, np.floor((n_items - 1) / np.asarray(N, float))))")
    reference = grading.context().reference(ex)
    with grading.using_secret(SECRET):
        inputs = []  # the n_items of each case the public check runs, as the grader draws it
        with exercises.common.tally() as record, \
                exercises.common.seeded(grading._seed(ex.check, "public")):
            exercises.check_warp_weight(lambda N, n: inputs.append(n) or reference(N, n))
        assert len(inputs) == len(record) and all(o is None for o in record)
        public = sum(n % 2 == 0 for n in inputs)
        hidden = sum(grading.variant_args(ex, i)[1] % 2 == 0 for i in range(grading.N_VARIANTS))
        assert 0 < public < len(inputs) and 0 < hidden < grading.N_VARIANTS  # partial on both
        result = grading.grade_answer([{"cell_type": "code", "source": source}], ex)
    assert result.public == (public, len(inputs)) and result.hidden == (hidden, grading.N_VARIANTS)
    assert result.score == pytest.approx(public / len(inputs) + hidden / grading.N_VARIANTS)


def test_hidden_variants_each_count():
    """A validate that accepts every frame is right on the two variants that keep the contract."""
    ex = grading.find("01_data", "ex-data-contract")
    outcomes = grading.hidden_outcomes(ex, {"validate": lambda df: df})
    assert [o is None for o in outcomes] == [True, True] + [False] * 5


def test_the_secret_draws_the_hidden_inputs(tmp_path, monkeypatch, capsys):
    ex = grading.find("07_knowledge_in_models", "ex-knowledge-loo")

    def inputs(secret):
        with grading.using_secret(secret):
            return [np.concatenate(grading.variant_args(ex, i)).tolist() for i in range(5)]

    assert inputs("a") == inputs("a") != inputs("b")
    source = (ROOT / "llmrec_utils" / "course" / "grading.py").read_text()
    assert "default_rng(1000" not in source and SECRET not in source
    # no secret given: one is made outside the package, said once, and reused
    monkeypatch.delenv(grading.SECRET_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    first = grading.load_secret()
    assert "created a grading secret in" in capsys.readouterr().err
    assert grading.secret_path() == tmp_path / "config" / "llmrec" / "grading-secret"
    assert grading.load_secret() == first and capsys.readouterr().err == ""
    assert grading.secret_path().stat().st_mode & 0o077 == 0
    monkeypatch.setenv(grading.SECRET_ENV, "from the environment")
    assert grading.load_secret() == "from the environment"
    (tmp_path / "file").write_text("from a file\n")
    assert grading.load_secret(tmp_path / "file") == "from a file"


def test_a_students_own_check_needs_no_secret(tmp_path, monkeypatch):
    monkeypatch.delenv(grading.SECRET_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    ex = grading.find("07_knowledge_in_models", "ex-knowledge-warp")
    reference = grading.context().reference(ex)
    assert grading.public(ex.check, "mine", [], {"mine": reference}) is True
    assert not grading.secret_path().exists()


def test_same_secret_same_marks(tmp_path):
    path = class_submission("07_knowledge_in_models", {"loo_share": STUB},
                            tmp_path / "in" / "someone" / "07_knowledge_in_models.ipynb")
    tables = [grading.grade_folder(path.parent.parent, tmp_path / f"{i}.csv", secret=SECRET)
              for i in range(2)]
    assert (tmp_path / "0.csv").read_text() == (tmp_path / "1.csv").read_text()
    assert tables[0].set_index("student").loc["someone", "total"] == 4


def test_missing_chapters_say_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(grading, "NOTEBOOKS", tmp_path / "notebooks")
    assert grading.CHAPTERS == []
    with pytest.raises(FileNotFoundError, match="pass --notebooks DIR"):
        grading.exercises_of("01_data")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "01_data.ipynb").write_text(json.dumps({"cells": []}))
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv")]) == 1
    assert "from a clone of the repository or pass --notebooks DIR" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv"),
                     "--notebooks", str(ROOT / "notebooks")]) == 0


def test_every_package_answer_exists():
    import importlib

    checks = {n for n in dir(exercises) if n.startswith("check_")}
    assert set(grading.PACKAGE_ANSWERS) <= checks
    for spec in (s for specs in grading.PACKAGE_ANSWERS.values() for s in specs):
        module, _, attr = spec.partition(":")
        if "spark" in module:
            continue  # pyspark may be missing
        owner, _, name = attr.rpartition(".")
        target = importlib.import_module(module)
        assert callable(vars(getattr(target, owner) if owner else target)[name]), spec


def _key(args) -> str:
    """The exact inputs of one call, as a hash (tensors as arrays)."""
    import joblib

    return joblib.hash([a.numpy() if hasattr(a, "numpy") and not hasattr(a, "to_numpy") else a
                        for a in args])


def _function_exercises() -> list:
    """Every exercise whose answer is a function, Spark's aside (tests/test_spark.py)."""
    found = []
    for chapter in grading.chapters():
        for ex in grading.exercises_of(chapter):
            if ex.manual or ex.check == "check_spark_top_k":
                continue
            if callable(grading.context().reference(ex)):
                found.append(ex)
    return found


@pytest.mark.slow
def test_no_check_can_be_passed_by_a_lookup_table():
    """An answer that replays the reference's outputs for the exact inputs a check
    used last time (a table keyed on the inputs) fails the next call: every check
    draws fresh cases besides its designed ones."""
    passed, n = [], 0
    for ex in _function_exercises():
        reference, args = grading.context().reference(ex), [grading.context().data(d)
                                                            for d in ex.data]
        table = {}

        def record(*a, reference=reference, table=table):
            out = reference(*a)
            table.setdefault(_key(a), out)
            return out

        def replay(*a, table=table):
            return table.get(_key(a), next(iter(table.values())))

        check = getattr(exercises, ex.check)
        with exercises.common.seeded(0):  # the reference passes; the table holds its cases
            check(record, *args)
        assert table, ex.label
        n += 1
        for seed in (1, 2, 3):  # the next calls (seeded, so that the test is repeatable)
            try:
                with exercises.common.seeded(seed):
                    check(replay, *args)
            except exercises.ExerciseError:
                continue
            passed.append((ex.label, seed))
    assert n >= 20 and not passed, f"passed by a lookup table: {passed}"


@pytest.mark.parametrize("extras, want", [("", "[grading]"), ("[spark]", "[spark,grading]")])
def test_the_assignment_installs_otter_with_the_package(extras, want):
    from llmrec_utils.course import assign

    colab = f'    %pip install --quiet "llmrec-utils{extras} @ git+https://x/y@v1"'
    assert assign.install_cell(colab) == f'    %pip install --quiet "llmrec-utils{want} @ git+https://x/y@v1"'
    with pytest.raises(ValueError, match="Colab cell"):
        assign.install_cell("import numpy as np")
