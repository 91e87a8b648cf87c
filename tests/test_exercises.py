"""Exercise checks accept the chapters' reference answers and name typical mistakes.

The reference answers are read from the notebooks' ``### BEGIN SOLUTION`` cells,
so a change to a solution or to a check that breaks their agreement fails here.
Each check then gets at least three wrong answers, each of which must be
rejected with a hint that names the mistake, and a stub.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmrec_utils import data, evaluation
from llmrec_utils.course import exercises
from llmrec_utils.course.exercises import ExerciseError, ch01_data, common
from llmrec_utils.data import ITEM, RATING, TEXT, TIMESTAMP, USER
from llmrec_utils.evaluation import metrics
from llmrec_utils.text import ner

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def solution(chapter: str, name: str, **namespace):
    """Run the solution cell of ``notebooks/<chapter>.ipynb`` that defines ``name``."""
    ns = dict(
        np=np,
        pd=pd,
        math=math,
        ner=ner,
        USER=USER,
        ITEM=ITEM,
        RATING=RATING,
        TIMESTAMP=TIMESTAMP,
        **namespace,
    )
    cells = json.loads((NOTEBOOKS / f"{chapter}.ipynb").read_text())["cells"]
    for cell in cells:
        src = "".join(cell["source"])
        if (
            cell["cell_type"] == "code"
            and "### BEGIN SOLUTION" in src
            and (f"def {name}(" in src or f"{name} =" in src)
        ):
            exec(compile(src, f"{chapter}:{name}", "exec"), ns)  # noqa: S102 - our own notebook
            return ns[name]
    raise LookupError(f"no solution cell defines {name} in {chapter}")


def stub(*args):
    raise NotImplementedError()


def crash(*args):
    raise IndexError("list index out of range")


def returns_none(*args):
    pass


def rejects(check, answer, hint):
    with pytest.raises(ExerciseError, match=hint):
        check(answer)


@pytest.fixture(scope="module")
def ratings():
    return data.load_ml100k_ratings()


@pytest.fixture(scope="module")
def items():
    return data.load_ml100k_items()


# --- every check that takes a function: stubs and crashes become hints ---------------
FUNCTION_CHECKS = [
    "check_validate",
    "check_recall",
    "check_leave_last_out",
    "check_mean_pool",
    "check_macro_f1",
    "check_mmr",
    "check_align_labels",
    "check_entity_f1",
    "check_spans",
    "check_sgd_step",
    "check_als_user",
    "check_ease",
    "check_zscore_rows",
    "check_content_scores",
    "check_gated_blend",
    "check_ndcg",
    "check_novelty",
    "check_sign_flip",
    "check_loops",
    "check_augmented_set",
    "check_augmentation_effect",
    "check_crossover",
    "check_fetch_depth",
    "check_fm_pairwise",
    "check_warp_weight",
    "check_loo_share",
]


@pytest.mark.parametrize("name", FUNCTION_CHECKS)
@pytest.mark.parametrize(
    "fn, hint",
    [
        (stub, "still raises NotImplementedError"),
        (returns_none, "returned None"),
        (crash, "raised IndexError"),
        (42, "Pass your function itself"),
    ],
)
def test_stubs_and_crashes_give_hints(name, fn, hint):
    with pytest.raises(ExerciseError, match=hint):
        getattr(exercises, name)(fn)


def test_number_accepts_harmless_variants():
    for value in (
        0.5,
        np.float32(0.5),
        np.array(0.5),
        np.array([0.5]),
        [0.5],
        (0.5,),
        pd.Series([0.5]),
    ):
        assert common.number(value, "x") == 0.5
    for value, hint in [
        (..., "not computed yet"),
        (None, "not computed yet"),
        ("0.5", "text"),
        ([0.5, 0.5], "single number"),
        (float("nan"), "NaN"),
    ]:
        with pytest.raises(ExerciseError, match=hint):
            common.number(value, "x")


def test_each_chapter_module_holds_the_checks_its_chapter_calls():
    """``exercises/chNN_<stem>.py`` defines exactly the checks ``NN_<stem>.ipynb``
    calls; the package re-exports each (the chapters call ``exercises.check_x``)."""
    chapters = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert chapters
    every = set()
    for path in chapters:
        module = importlib.import_module(f"{exercises.__name__}.ch{path.stem}")
        called = set(re.findall(r"exercises\.(check_\w+)\(", path.read_text()))
        defined = {name for name, value in vars(module).items() if name.startswith("check_")
                   and getattr(value, "__module__", None) == module.__name__}  # fmt: skip
        assert called and called == defined, (
            f"{path.name} calls {sorted(called)}; {module.__name__} defines {sorted(defined)}")
        assert all(getattr(exercises, name) is getattr(module, name) for name in called)
        every |= called
    assert set(exercises.__all__) == every | {"ExerciseError"}
    assert {name for name in dir(exercises) if name.startswith("check_")} == every


# --- chapter 1 ---------------------------------------------------------------------
def test_validate():
    right = solution("01_data", "validate")
    exercises.check_validate(right)
    contract = [USER, ITEM, RATING]

    def validate(df, cols=True, nan_all=False, low=1, high=5, strict=False, dup=(USER, ITEM),
                 ret=True):  # fmt: skip
        if cols and set(contract) - set(df.columns):
            raise ValueError("missing column")
        if (df if nan_all else df[contract]).isna().any().any():
            raise ValueError("missing value")
        r = df[RATING]
        if low is not None and ((r <= low) | (r >= high) if strict else (r < low) | (r > high)).any():
            raise ValueError("rating out of range")
        if dup and df.duplicated(list(dup)).any():
            raise ValueError("duplicate")
        return df if ret else len(df)

    for wrong, hint in [
        (lambda df: validate(df, dup=None), "appears twice"),
        (lambda df: validate(df, dup=(USER,)), "a user may rate several items"),
        (lambda df: validate(df, strict=True), "exactly 1 and 5"),
        (lambda df: validate(df, low=None), "a rating of 0"),
        (lambda df: validate(df, low=0), "a rating of 0"),
        (lambda df: validate(df, high=6), "a rating of 6"),
        (lambda df: validate(df, cols=False), "raised KeyError"),
        (lambda df: validate(df, nan_all=True), "outside user, item and rating"),
        (lambda df: validate(df, ret=False), "return it unchanged"),
        # checked, but the frame that holds the contract comes back changed
        (lambda df: validate(df)[contract], "dropped, added or reordered columns"),
        (lambda df: validate(df).sort_values([USER, ITEM]), "re-sorted its rows"),
        (lambda df: validate(df).reset_index(drop=True), "reset or replaced its index"),
        (lambda df: validate(df).astype({RATING: float}), "changed some values"),
    ]:
        rejects(exercises.check_validate, wrong, hint)


def recall_isin(recs, truth, k):
    """Recall@k with the hits found by `isin` over every user's relevant items."""
    top = recs.sort_values([USER, "rank"]).groupby(USER).head(k)
    hits = top[top[ITEM].isin(truth[ITEM])].groupby(USER).size()
    return float((hits / truth.groupby(USER).size()).fillna(0.0).mean())


def test_recall():
    right = solution("01_data", "recall_at_k")
    exercises.check_recall(right)
    recs, truth, k = ch01_data._ranked_lists()[0]
    assert right(recs, truth, k) == pytest.approx(metrics.recall_at_k(recs, truth, k=k))

    def recall(recs, truth, k, cut=True, strict=False, rows=False, denom="relevant",
               listed=False, any_hit=False):  # fmt: skip
        ordered = recs if rows else recs.sort_values([USER, "rank"])
        rel = truth.groupby(USER)[ITEM].apply(set)
        users = ordered[USER].unique() if listed else rel.index
        out = []
        for u in users:
            top = list(ordered.loc[ordered[USER] == u, ITEM])
            top = top[: k - 1 if strict else k] if cut else top
            found = rel.get(u, set())
            hits = len(found & set(top))
            size = {"relevant": len(found), "k": k}[denom]
            out.append(float(hits > 0) if any_hit else hits / size if size else 0.0)
        return float(np.mean(out))

    for wrong, hint in [
        (lambda r, t, k: recall(r, t, k, cut=False), "did not cut"),
        (lambda r, t, k: recall(r, t, k, strict=True), "k-1"),
        (lambda r, t, k: recall(r, t, k, rows=True), "sort by rank"),
        (lambda r, t, k: recall(r, t, k, denom="k"), "precision"),
        (lambda r, t, k: recall(r, t, k, any_hit=True), "hit rate"),
        (lambda r, t, k: recall(r, t, k, listed=True), "average over the users in"),
        (recall_isin, "relevant items of all users together"),
        (lambda r, t, k: 0.5, "Not quite"),
    ]:
        rejects(exercises.check_recall, wrong, hint)


def test_leave_last_out():
    exercises.check_leave_last_out(solution("01_data", "leave_last_out"))

    def package_split(df):
        split = data.temporal_split(df)
        return [split.train, split.test]  # a list is fine

    exercises.check_leave_last_out(package_split)


def test_leave_last_out_keeps_the_input_columns():
    right = solution("01_data", "leave_last_out")

    def pairs_only(df):
        train, test = right(df)
        return train[[USER, ITEM]], test[[USER, ITEM]]

    rejects(exercises.check_leave_last_out, pairs_only, "columns of the input; you dropped")


def last_by(df, column, keep="last"):
    """Split off each user's last row after sorting by ``column`` (first row with keep="first")."""
    ordered = df.sort_values([USER, column])
    held = ~ordered.duplicated(USER, keep=keep)
    return ordered[~held], ordered[held]


@pytest.mark.parametrize(
    "fn, hint",
    [
        (lambda df: df, "tuple \\(train, test\\)"),
        (lambda df: (df, df.groupby(USER).tail(1)), "Every rating must land in exactly one"),
        (
            lambda df: last_by(df, TIMESTAMP, keep="first"),
            "earliest",
        ),
        (
            lambda df: (
                df[df.duplicated(USER, keep="last")],
                df[~df.duplicated(USER, keep="last")],
            ),
            "last \\*row\\*",
        ),
        (
            lambda df: last_by(df, ITEM),
            "sorted by item",
        ),
        (
            lambda df: (
                df[df[TIMESTAMP] < df[TIMESTAMP].max()],
                df[df[TIMESTAMP] == df[TIMESTAMP].max()],
            ),
            "one rating per user",
        ),
    ],
)
def test_leave_last_out_rejects_wrong_answers_with_hints(fn, hint):
    rejects(exercises.check_leave_last_out, fn, hint)


# --- chapter 2 ---------------------------------------------------------------------
def test_mean_pool():
    import torch

    from llmrec_utils.text import embeddings

    exercises.check_mean_pool(solution("02_text_embeddings", "my_mean_pool"))
    exercises.check_mean_pool(embeddings.mean_pool)
    exercises.check_mean_pool(lambda h, m: embeddings.mean_pool(h, m).numpy())  # an array is fine

    def summed(h, m):
        return (h * m.unsqueeze(-1)).sum(1)

    for wrong, hint in [
        (lambda h, m: h.mean(dim=1), "padding positions too"),
        (lambda h, m: h[:, 0], "CLS pooling"),
        (lambda h, m: summed(h, m) / h.shape[1], "padded length"),
        (summed, "masked \\*sum\\*"),
        (
            lambda h, m: torch.nn.functional.normalize(
                summed(h, m) / m.sum(1, keepdim=True), dim=1
            ),
            "L2-normalised",
        ),
        (lambda h, m: h.masked_fill(m.unsqueeze(-1) == 0, -1e9).max(1).values, "max pooling"),
        (lambda h, m: summed(h, m)[:2], "shape"),
        (lambda h, m: "pooled", "torch.Tensor"),
    ]:
        rejects(exercises.check_mean_pool, wrong, hint)


def _macro_f1(y_true, y_pred, classes=None, average="macro"):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = np.union1d(y_true, y_pred) if classes is None else classes(y_true, y_pred)
    rows = []
    for c in classes:
        tp = np.sum((y_pred == c) & (y_true == c))
        fp, fn = np.sum((y_pred == c) & (y_true != c)), np.sum((y_pred != c) & (y_true == c))
        rows.append((tp, fp, fn, np.sum(y_true == c)))
    tp, fp, fn, support = np.array(rows, float).T
    f1 = 2 * tp / (2 * tp + fp + fn)  # NaN-free: every class occurs somewhere
    if average == "weighted":
        return float(np.sum(f1 * support) / support.sum())
    if average == "of-means":
        p, r = np.mean(tp / np.maximum(tp + fp, 1)), np.mean(tp / np.maximum(tp + fn, 1))
        return float(2 * p * r / (p + r))
    return float(np.mean(f1))


def test_macro_f1():
    from llmrec_utils.evaluation import metrics

    exercises.check_macro_f1(solution("02_text_embeddings", "my_macro_f1"))
    exercises.check_macro_f1(metrics.macro_f1)
    exercises.check_macro_f1(lambda t, p: np.array([_macro_f1(t, p)]))  # one-element array

    def crashes_on_unpredicted(t, p):
        t, p = np.asarray(t), np.asarray(p)
        scores = []
        for c in np.union1d(t, p):
            prec = np.sum((p == c) & (t == c)) / int(np.sum(p == c))
            rec = np.sum((p == c) & (t == c)) / int(np.sum(t == c))
            scores.append(2 * prec * rec / (prec + rec))
        return float(np.mean(scores))

    for wrong, hint in [
        (lambda t, p: float(np.mean(np.asarray(t) == np.asarray(p))), "accuracy"),
        (lambda t, p: _macro_f1(t, p, average="weighted"), "support-weighted"),
        (lambda t, p: _macro_f1(t, p, classes=lambda t, p: np.unique(t)), "classes of y_true"),
        (lambda t, p: _macro_f1(t, p, average="of-means"), "averaged precision and recall"),
        (crashes_on_unpredicted, "never predicted"),
    ]:
        rejects(exercises.check_macro_f1, wrong, hint)


def test_cards_without_year(items):
    good = solution("02_text_embeddings", "cards_no_year", items=items)
    exercises.check_cards_without_year(good, items)
    plain = items["title"].str.replace(r"\s*\(\d{4}\)", "", regex=True) + ". " + items["genres"]
    exercises.check_cards_without_year(plain, items)  # a Series is fine
    for wrong, hint in [
        ((items["title"] + " " + items["genres"]).tolist(), "still contain a year"),
        (
            (items["title"].str.replace(r"[()]", "", regex=True) + " " + items["genres"]).tolist(),
            "still contain a year",
        ),
        ((items["title"].str[:-7] + " " + items["genres"]).tolist(), "year|title words"),
        (plain.tolist()[:5], "one card per movie"),
        (plain.tolist()[::-1], "title words"),
        (items["title"].str.replace(r"\s*\(\d{4}\)", "", regex=True).tolist(), "genres"),
        (
            (
                items["title"].str.replace(r"\d", "", regex=True).str.replace("()", "")
                + " "
                + items["genres"]
            ).tolist(),
            "title words",
        ),
        (..., "not computed yet"),
    ]:
        with pytest.raises(ExerciseError, match=hint):
            exercises.check_cards_without_year(wrong, items)


def _mmr(doc, cands, k, lam, *, redundancy="max", norm=True, swap=False, order="picked",
         positions=False):
    """MMR written out once more, with one switch per typical mistake."""
    doc, cands = np.asarray(doc, float), np.asarray(cands, float)
    if norm:
        doc, cands = doc / np.linalg.norm(doc), cands / np.linalg.norm(cands, axis=1)[:, None]
    rel, sim = cands @ doc, cands @ cands.T
    a, b = (lam, 1 - lam) if swap else (1 - lam, lam)
    picked, out = [int(np.argmax(rel))], [int(np.argmax(rel))]
    left = [i for i in range(len(rel)) if i != picked[0]]
    while left and len(picked) < k:
        pool = left
        s = sim[np.ix_(pool, picked)]
        red = {"max": s.max(1), "mean": s.mean(1), "doc": rel[pool]}[redundancy]
        j = int(np.argmax(a * rel[pool] - b * red))
        out.append(j if positions else pool[j])
        picked.append(pool[j])
        left.remove(pool[j])
    if order == "relevance":
        out = sorted(out, key=lambda i: -rel[i])
    return out


def test_mmr():
    from llmrec_utils.text import keywords

    exercises.check_mmr(solution("02_text_embeddings", "my_mmr"))
    exercises.check_mmr(keywords.mmr)
    exercises.check_mmr(lambda *a: np.array(_mmr(*a)))  # an array of indices is fine
    exercises.check_mmr(lambda *a: tuple(_mmr(*a)))

    def plain(doc, cands, k, lam):
        unit = cands / np.linalg.norm(cands, axis=1, keepdims=True)
        return list(np.argsort(-(unit @ doc))[:k])

    for wrong, hint in [
        (plain, "diversity term is missing"),
        (lambda *a: _mmr(*a, redundancy="doc"), "similarity to the document"),
        (lambda *a: _mmr(*a, redundancy="mean"), "averaged"),
        (lambda *a: _mmr(*a, norm=False), "normalise"),
        (lambda *a: _mmr(*a, swap=True), "swapped the weights"),
        (lambda *a: _mmr(*a, order="relevance"), "order MMR picked"),
        (lambda *a: _mmr(*a, positions=True), "shrinking list"),
        (lambda *a: (lambda p: p[:1] + p[:-1])(_mmr(*a)), "picked a candidate twice"),
        (lambda doc, cands, k, lam: _mmr(doc, cands, k + 1, lam), "min\\(k"),
        (lambda doc, cands, k, lam: [float(i) + 0.5 for i in _mmr(doc, cands, k, lam)],
         "whole numbers"),
        (lambda *a: "0, 1, 2", "list of row indices"),
    ]:
        rejects(exercises.check_mmr, wrong, hint)


# --- chapter 3 ---------------------------------------------------------------------
def test_align_labels():
    exercises.check_align_labels(solution("03_ner_finetuning", "my_align"))
    exercises.check_align_labels(ner.align_labels)
    exercises.check_align_labels(lambda ids, labels: tuple(ner.align_labels(ids, labels)))

    def last_piece(ids, labels):
        return [
            -100 if w is None or (j + 1 < len(ids) and ids[j + 1] == w) else labels[w]
            for j, w in enumerate(ids)
        ]

    for wrong, hint in [
        (
            lambda ids, labels: [-100 if w is None else labels[w] for w in ids],
            "every sub-word its word's label",
        ),
        (last_piece, "\\*last\\* sub-word"),
        (
            lambda ids, labels: [labels[j] if j < len(labels) else -100 for j in range(len(ids))],
            "by position",
        ),
        (
            lambda ids, labels: [
                0 if w is None else v for w, v in zip(ids, ner.align_labels(ids, labels))
            ],
            "Special tokens",
        ),
        (lambda ids, labels: ner.align_labels(ids, labels)[1:], "one label per sub-word"),
    ]:
        rejects(exercises.check_align_labels, wrong, hint)


def _entity_counts(gold, pred, pool=False, typed=True):
    gs = [set(ner.spans(s)) for s in gold]
    ps = [set(ner.spans(s)) for s in pred]
    if not typed:
        gs, ps = [{x[1:] for x in a} for a in gs], [{x[1:] for x in a} for a in ps]
    if pool:
        gs, ps = [set().union(*gs)], [set().union(*ps)]
    shared = sum(len(a & b) for a, b in zip(gs, ps))
    return shared, sum(map(len, gs)), sum(map(len, ps))


def test_entity_f1():
    exercises.check_entity_f1(solution("03_ner_finetuning", "my_entity_f1"))

    def f1(shared, n_g, n_p):
        return 2 * shared / (n_g + n_p) if shared else 0.0

    def token_f1(gold, pred):
        g = [t for s in gold for t in s]
        p = [t for s in pred for t in s]
        hits = sum(a == b != "O" for a, b in zip(g, p))
        return 2 * hits / (sum(t != "O" for t in g) + sum(t != "O" for t in p))

    def precision(gold, pred):
        s, _, n_p = _entity_counts(gold, pred)
        return s / n_p if n_p else 0.0

    def recall(gold, pred):
        s, n_g, _ = _entity_counts(gold, pred)
        return s / n_g

    def per_sentence(gold, pred):
        return float(np.mean([f1(*_entity_counts([g], [p])) for g, p in zip(gold, pred)]))

    def unguarded(gold, pred):
        s, n_g, n_p = _entity_counts(gold, pred)
        p, r = s / n_p, s / n_g
        return 2 * p * r / (p + r)

    for wrong, hint in [
        (precision, "precision alone"),
        (recall, "recall alone"),
        (token_f1, "token-level"),
        (per_sentence, "F1 of each sentence"),
        (lambda g, p: f1(*_entity_counts(g, p, pool=True)), "one set"),
        (lambda g, p: f1(*_entity_counts(g, p, typed=False)), "type must match"),
        (unguarded, "With no predicted spans"),
    ]:
        rejects(exercises.check_entity_f1, wrong, hint)


def test_spans():
    exercises.check_spans(solution("03_ner_finetuning", "my_spans"))
    exercises.check_spans(ner.spans)
    exercises.check_spans(lambda tags: [list(s) for s in reversed(ner.spans(tags))])  # order, lists

    def reader(tags, b_restarts=True, stray_i=True, typed_i=True, flush=True):
        out, cur = [], None
        for i, tag in enumerate(list(tags) + (["O"] if flush else [])):
            kind = None if tag == "O" else tag[2:]
            closes = (
                tag == "O"
                or (b_restarts and tag[0] == "B")
                or (typed_i and kind != cur[0] if cur else False)
            )
            if cur and closes:
                out.append((cur[0], cur[1], i))
                cur = None
            if kind and cur is None and (stray_i or tag[0] == "B"):
                cur = (kind, i)
        return out

    exercises.check_spans(reader)  # the reader with every rule on is right
    for wrong, hint in [
        (lambda t: reader(t, b_restarts=False), "B- tag always starts"),
        (lambda t: reader(t, stray_i=False), "no span to continue"),
        (lambda t: reader(t, typed_i=False), "another type"),
        (lambda t: reader(t, flush=False), "still open"),
        (lambda t: [(k, s, e - 1) for k, s, e in ner.spans(t)], "one past the last"),
        (lambda t: [("B-" + k, s, e) for k, s, e in ner.spans(t)], "without its B-/I-"),
    ]:
        rejects(exercises.check_spans, wrong, hint)


# --- chapter 4 ---------------------------------------------------------------------
def test_sgd_step():
    exercises.check_sgd_step(solution("04_matrix_factorization", "sgd_step"))
    right = solution("04_matrix_factorization", "sgd_step")
    exercises.check_sgd_step(
        lambda *a: [list(x) if np.ndim(x) else np.array([x]) for x in right(*a)]
    )

    def step(
        p, q, bu, bi, mu, r, lr, reg, breg, sequential=False, sign=1, lam=None, blam=None, scale=1
    ):
        e = sign * (r - (mu + bu + bi + p @ q))
        lam, blam, lr = reg if lam is None else lam, breg if blam is None else blam, scale * lr
        p2 = p + lr * (e * q - lam * p)
        return (
            p2,
            q + lr * (e * (p2 if sequential else p) - lam * q),
            bu + lr * (e - blam * bu),
            bi + lr * (e - blam * bi),
        )

    for wrong, hint in [
        (lambda *a: step(*a, sequential=True), "\\*new\\* p"),
        (lambda *a: step(*a, sign=-1), "sign of the error"),
        (lambda *a: step(*a, lam=0.0), "not regularised"),
        (lambda *a: step(*a, blam=a[7]), "own regulariser"),
        (lambda *a: step(*a)[:2] + (a[2], a[3]), "biases were not updated"),
        (lambda *a: step(*a, scale=2), "twice too large"),
        (lambda *a: step(*a)[:2], "tuple \\(p, q, bu, bi\\)"),
    ]:
        rejects(exercises.check_sgd_step, wrong, hint)


def test_als_user():
    right = solution("04_matrix_factorization", "solve_user")
    exercises.check_als_user(right)
    exercises.check_als_user(lambda *a: (list(right(*a)[0]), np.array([right(*a)[1]])))

    def solve(
        Q, b_items, items, ratings, mu, reg, breg, n_weight=True, centre_items=True, bias_ridge=None
    ):
        X = np.hstack([Q[items], np.ones((len(items), 1))])
        k = Q.shape[1]
        lam = reg * (len(items) if n_weight else 1)
        target = ratings - mu - (b_items[items] if centre_items else 0)
        b = breg if bias_ridge is None else bias_ridge
        sol = np.linalg.solve(X.T @ X + np.diag([lam] * k + [b]), X.T @ target)
        return sol[:k], sol[k]

    def bias_first(Q, b_items, items, ratings, mu, reg, breg):
        target = ratings - mu - b_items[items]
        b = target.sum() / (len(items) + breg)
        Qu = Q[items]
        return np.linalg.solve(
            Qu.T @ Qu + reg * len(items) * np.eye(Q.shape[1]), Qu.T @ (target - b)
        ), b

    for wrong, hint in [
        (lambda *a: solve(*a, n_weight=False), "n_u"),
        (lambda *a: solve(*a, centre_items=False), "items' biases"),
        (lambda Q, bi, it, r, mu, reg, br: solve(Q, bi, it, r + mu, mu, reg, br), "global mean"),
        (lambda *a: solve(*a, bias_ridge=a[5] * len(a[2])), "own regulariser"),
        (bias_first, "jointly"),
    ]:
        rejects(exercises.check_als_user, wrong, hint)


def test_ease():
    right = solution("04_matrix_factorization", "ease_weights")
    exercises.check_ease(right)

    def ease_identity_form(X, lam):  # I - P diag(1/diag P): the same B
        P = np.linalg.inv(X.T @ X + lam * np.eye(X.shape[1]))
        return np.eye(len(P)) - P / np.diag(P)

    exercises.check_ease(ease_identity_form)

    def ease(X, lam, zero=True, rows=False, sign=-1.0, with_lam=True):
        P = np.linalg.inv(X.T @ X + (lam if with_lam else 0) * np.eye(X.shape[1]))
        B = sign * P / (np.diag(P)[:, None] if rows else np.diag(P))
        if zero:
            np.fill_diagonal(B, 0)
        return B

    for wrong, hint in [
        (lambda X, lam: ease(X, lam, zero=False), "diagonal must be zero"),
        (lambda X, lam: ease(X, lam, rows=True), "\\*row\\*"),
        (lambda X, lam: ease(X, lam, sign=1.0), "sign is flipped"),
        (lambda X, lam: ease(X, lam, with_lam=False), "lam is missing"),
        (lambda X, lam: np.linalg.pinv(X @ X.T + lam * np.eye(len(X))), "users x users"),
    ]:
        rejects(exercises.check_ease, wrong, hint)


# --- chapter 5 ---------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_zscore_rows():
    from llmrec_utils.models import hybrid

    exercises.check_zscore_rows(solution("05_hybrid", "zscore"))
    exercises.check_zscore_rows(hybrid.zscore_rows)

    def z(S, ddof=0, axis=1, centre=True, scale=True):
        mean, sd = S.mean(axis=axis, keepdims=True), S.std(axis=axis, ddof=ddof, keepdims=True)
        return np.divide(
            S - mean if centre else S,
            sd if scale else 1.0,
            out=np.zeros_like(S),
            where=(sd > 0) | (not scale),
        )

    for wrong, hint in [
        (lambda S: (S - S.mean(1, keepdims=True)) / S.std(1, keepdims=True), "NaN or inf"),
        (lambda S: z(S, ddof=1), "ddof=1"),
        (lambda S: z(S, axis=0), "columns"),
        (lambda S: (S - S.mean()) / S.std(), "whole matrix"),
        (lambda S: z(S, centre=False), "subtract the row mean"),
        (lambda S: z(S, scale=False), "divide by the row's standard deviation"),
        (lambda S: (S - S.mean(1)) / 1.0, "keepdims"),
    ]:
        rejects(exercises.check_zscore_rows, wrong, hint)


def test_content_scores():
    exercises.check_content_scores(solution("05_hybrid", "content_scores"))

    def unit(X):
        return X / np.linalg.norm(X, axis=-1, keepdims=True)

    def scores(V, rated, centre=True, rows=True, taste=True, over=None):
        Vc = V - V.mean(axis=0) if centre else V
        Vc = unit(Vc) if rows else Vc
        t = Vc[rated if over is None else slice(None)].mean(axis=0)
        return Vc @ (unit(t) if taste else t)

    for wrong, hint in [
        (lambda V, r: scores(V, r, centre=False), "did not centre"),
        (lambda V, r: scores(V - V.mean(1, keepdims=True), r, centre=False), "own mean"),
        (lambda V, r: scores(V, r, rows=False), "normalise the item rows"),
        (lambda V, r: scores(V, r, taste=False), "normalise the taste"),
        (lambda V, r: scores(V, r, over="all"), "rated rows only"),
        (lambda V, r: scores(V, r)[:5], "shape"),
    ]:
        rejects(exercises.check_content_scores, wrong, hint)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_gated_blend():
    from llmrec_utils.models import hybrid

    right = solution("05_hybrid", "gated_blend", hybrid=hybrid)
    exercises.check_gated_blend(right)
    exercises.check_gated_blend(lambda *a: right(*a).tolist())  # nested lists are fine

    def z(S, axis=1, ddof=0, guard=True):
        mean, sd = S.mean(axis=axis, keepdims=True), S.std(axis=axis, ddof=ddof, keepdims=True)
        if not guard:
            return (S - mean) / sd
        return np.divide(S - mean, sd, out=np.zeros_like(S), where=sd > 0)

    def blend(cf, content, n, weight, beta, zs=z, floor=True, flip=False, gate=None):
        g = beta / (n + beta) if gate is None else gate(n, beta)
        w = weight + (1 - weight) * g if floor else g
        if flip:
            w = 1 - w
        return (1 - w) * zs(cf) + w * zs(content)

    for wrong, hint in [
        (lambda c, t, n, w, b: blend(c, t, n, w, b, zs=lambda S: S), "mixed the raw scores"),
        (lambda c, t, n, w, b: z(blend(c, t, n, w, b, zs=lambda S: S)), "standardised after"),
        (lambda c, t, n, w, b: blend(c, t, n, w, b, zs=lambda S: z(S, axis=0)), "columns"),
        (lambda c, t, n, w, b: blend(c, t, n, w, b, zs=lambda S: z(S, ddof=1)), "ddof=1"),
        (lambda c, t, n, w, b: blend(c, t, n, w, b, zs=lambda S: z(S, guard=False)), "NaN or inf"),
        (lambda c, t, n, w, b: blend(c, t, n, w, b, flip=True), "wrong sides"),
        (lambda c, t, n, w, b: blend(c, t, n, w, b, floor=False), "floor is missing"),
        (lambda c, t, n, w, b: blend(c, t, n, w, b, gate=lambda n, b: n / (n + b)), "upside down"),
        (lambda c, t, n, w, b: blend(c, t, n, w, b, gate=lambda n, b: 0 * n), "one weight"),
        (lambda c, t, n, w, b: blend(c, t, n[:, None], w, b), "broadcast"),
        (lambda c, t, n, w, b: blend(c, t, n, w, b)[:, :3], "shape"),
    ]:
        rejects(exercises.check_gated_blend, wrong, hint)


# --- chapter 6 ---------------------------------------------------------------------
def test_loops():
    right = solution("06_llm_augmentation", "loops")
    exercises.check_loops(right)
    exercises.check_loops(lambda ids, m: np.bool_(right(ids, m)))

    def loops(ids, max_period=12, times=3, at_end=True, fixed=None):
        top = fixed or max_period
        for p in range(1, top + 1):
            for end in [len(ids)] if at_end else range(times * p, len(ids) + 1):
                block = ids[end - p : end]
                if end >= times * p and all(
                    ids[end - (j + 1) * p : end - j * p] == block for j in range(times)
                ):
                    return True
        return False

    for wrong, hint in [
        (lambda ids, m: loops(ids, m, times=2), "only twice"),
        (lambda ids, m: loops(ids, m, at_end=False), "not at the end"),
        (lambda ids, m: loops(ids, m - 1), "exactly max_period"),
        (lambda ids, m: loops(ids, m + 1), "longer than max_period"),
        (lambda ids, m: loops(ids, fixed=12), "max_period passed in"),
        (lambda ids, m: len(ids) >= 3 and len(set(ids[-3:])) == 1, "two-token"),
        (lambda ids, m: "yes" if right(ids, m) else "", "True or False"),
    ]:
        rejects(exercises.check_loops, wrong, hint)


def in_two_orders(lab, para, copies):
    """The augmented set with the copies' texts in the paraphrase dictionary's order
    and their labels in the labelled frame's order."""
    kept = [r for r in lab["review"] if r in para and r not in copies]
    labels = dict(zip(lab["review"], lab["recommended"]))
    texts = [t for r, t in para.items() if r in kept]
    return list(lab[TEXT]) + texts, list(lab["recommended"]) + [labels[r] for r in kept]


def test_augmented_set():
    right = solution("06_llm_augmentation", "augment_reviews", TEXT=TEXT)
    exercises.check_augmented_set(right)

    def build(lab, para, copies, keep=True, label=None, skip=True, position=False,
              lengths=False):  # fmt: skip
        texts = list(lab[TEXT]) if keep else []
        labels = list(lab["recommended"]) if keep else []
        for n, (review, y) in enumerate(zip(lab["review"], lab["recommended"])):
            key = n if position else review
            if key in para and not (skip and review in copies):
                texts.append(para[key])
                labels.append(y if label is None else label)
        return texts, labels[:-1] if lengths else labels

    for wrong, hint in [
        (lambda lab, p, c: build(lab, p, c, keep=False), "dropped the labelled reviews"),
        (lambda lab, p, c: build(lab, p, c, skip=False), "kept the paraphrases in `copies`"),
        (lambda lab, p, c: build(lab, p, c, label=1), "inherits the label"),
        (lambda lab, p, c: build(lab, p, c, position=True), "row position"),
        (lambda lab, p, c: build(lab, p, c, lengths=True), "give each text"),
        (lambda lab, p, c: build(lab, {**p, **{r: p[r] for r in lab["review"]}}, c),
         "no entry in paraphrases"),
        (lambda lab, p, c: list(lab[TEXT]), "Return a tuple"),
        # texts in the dictionary's order, labels in the frame's (pool.sample mixes them)
        (lambda lab, p, c: in_two_orders(lab, p, c), "in the dictionary's order"),
        (lambda lab, p, c: (right(lab, p, c)[0], [str(y) for y in right(lab, p, c)[1]]),
         "labels are strings"),
    ]:
        rejects(exercises.check_augmented_set, wrong, hint)
    # any order of the rows passes
    exercises.check_augmented_set(lambda lab, p, c: tuple(
        reversed(list(zip(*sorted(zip(*right(lab, p, c)), reverse=True))))
    )[::-1])


def test_augmentation_effect():
    right = solution("06_llm_augmentation", "augmentation_effect", evaluation=evaluation)
    exercises.check_augmentation_effect(right)

    def ok(y, p):
        return (np.asarray(p) == y).astype(float)

    for wrong, hint in [
        (lambda y, a, b, s: evaluation.compare(ok(y, b), ok(y, a), seed=s), "reversed"),
        (lambda y, a, b, s: evaluation.compare(a, b, seed=s), "predictions themselves"),
        (lambda y, a, b, s: evaluation.compare(1 - ok(y, a), 1 - ok(y, b), seed=s),
         "compared errors"),
        (lambda y, a, b, s: evaluation.compare(ok(y, a), ok(y, b)), "pass `seed`"),
        (lambda y, a, b, s: evaluation.paired_bootstrap_diff(
            metrics.macro_f1, y, a, b, n_boot=2000, seed=s), "macro-F1"),
        (lambda y, a, b, s: float(np.mean(ok(y, b) - ok(y, a))), "one number"),
        (lambda y, a, b, s: evaluation.compare(ok(y, a), ok(y, a), seed=s), "Not quite"),
    ]:
        rejects(exercises.check_augmentation_effect, wrong, hint)


# --- chapter 8 ---------------------------------------------------------------------
def test_ndcg():
    right = solution("08_evaluation", "ndcg")
    exercises.check_ndcg(right)
    exercises.check_ndcg(lambda h, n, k: np.array([right(h, n, k)]))

    def ndcg(hits, n_rel, k, truncate=True, ideal=None, offset=1, log=np.log2):
        hits = np.asarray(hits, float)[: k if truncate else None]
        disc = 1 / log(np.arange(1, len(hits) + 1) + offset)
        n = {"n": n_rel, "k": k, "hits": int(hits.sum())}.get(ideal, min(k, n_rel))
        best = np.sum(1 / log(np.arange(1, n + 1) + offset))
        return float(np.sum(hits * disc) / best)

    for wrong, hint in [
        (lambda h, n, k: ndcg(h, n, k, truncate=False), "truncate"),
        (lambda h, n, k: ndcg(h, n, k, ideal="n"), "at most k"),
        (lambda h, n, k: ndcg(h, n, k, ideal="k"), "fewer relevant"),
        (lambda h, n, k: ndcg(h, n, k, ideal="hits"), "hits in the list"),
        (lambda h, n, k: ndcg(h, n, k, offset=2), "off by one"),
        (lambda h, n, k: ndcg(h, n, k, offset=0, log=lambda x: x), "1/rank"),
        (
            lambda h, n, k: float(
                np.sum(np.asarray(h)[:k] / np.log2(np.arange(2, min(k, len(h)) + 2)))
            ),
            "DCG alone",
        ),
    ]:
        rejects(exercises.check_ndcg, wrong, hint)
    # natural logs cancel in the ratio: a harmless variant
    exercises.check_ndcg(lambda h, n, k: ndcg(h, n, k, log=np.log))


def test_novelty():
    from llmrec_utils.evaluation import metrics

    exercises.check_novelty(solution("08_evaluation", "novelty"))
    exercises.check_novelty(metrics.novelty)

    def novelty(recs, train, rows=False, denom="users", log=np.log2, sign=-1, distinct_recs=False):
        counts = train.groupby(ITEM).size() if rows else train.groupby(ITEM)[USER].nunique()
        n = {"users": train[USER].nunique(), "rows": len(train), "items": train[ITEM].nunique()}[
            denom
        ]
        p = recs[ITEM].map(counts / n)
        return float(np.mean(sign * log(p.drop_duplicates() if distinct_recs else p)))

    for wrong, hint in [
        (lambda r, t: novelty(r, t, rows=True), "distinct users"),
        (lambda r, t: novelty(r, t, denom="rows"), "number of rows"),
        (lambda r, t: novelty(r, t, denom="items"), "number of items"),
        (lambda r, t: novelty(r, t, log=np.log), "natural logarithm"),
        (lambda r, t: novelty(r, t, log=np.log10), "log base 10"),
        (lambda r, t: novelty(r, t, sign=1), "sign is flipped"),
        (lambda r, t: novelty(r, t, distinct_recs=True), "distinct recommended"),
    ]:
        rejects(exercises.check_novelty, wrong, hint)


def test_sign_flip():
    right = solution("08_evaluation", "sign_flip_p")
    exercises.check_sign_flip(right)
    exercises.check_sign_flip(lambda d, n, s: np.float32(right(d, n, s)))  # float32 is fine

    def other_draws(diffs, n=5000, seed=0):  # other random calls, other layout: also right
        signs = np.random.default_rng(seed).integers(0, 2, (len(diffs), n)) * 2 - 1
        null = np.abs(diffs @ signs / len(diffs))
        return (np.sum(null >= abs(np.mean(diffs))) + 1) / (n + 1)

    exercises.check_sign_flip(other_draws)

    def flips(diffs, n, seed, two_sided=True, plus_one=True, whole=False, fixed_n=None, draw=None):
        diffs = np.asarray(diffs, float)
        n = fixed_n or n
        rng = np.random.default_rng(seed if draw is None else draw)
        signs = rng.choice([-1.0, 1.0], (n, 1 if whole else len(diffs)))
        means = (signs * diffs).mean(axis=1)
        obs = diffs.mean()
        extreme = np.abs(means) >= abs(obs) if two_sided else means >= obs
        return (plus_one + np.sum(extreme)) / (n + plus_one)

    counter = iter(range(10**6))
    for wrong, hint in [
        (lambda d, n, s: flips(d, n, s, two_sided=False), "one-sided"),
        (lambda d, n, s: flips(d, n, s, plus_one=False), "add 1"),
        (lambda d, n, s: flips(d, n, s, whole=True), "each difference"),
        (lambda d, n, s: flips(d, n, s, fixed_n=5000), "the `n` passed in"),
        (lambda d, n, s: flips(d, n, s, draw=next(counter)), "same seed"),
        (lambda d, n, s: 0.5, "not the share"),
        (lambda d, n, s: 1.5, "lies in"),
    ]:
        rejects(exercises.check_sign_flip, wrong, hint)


# --- chapter 9 ---------------------------------------------------------------------
def test_crossover():
    right = solution("09_scaling_with_spark", "crossover")
    exercises.check_crossover(right)
    exercises.check_crossover(
        lambda *a: np.float64(right(*a)) if right(*a) < math.inf else float("inf")
    )

    def guarded(f):
        return lambda a1, b1, a2, b2, w: math.inf if b1 - b2 / w <= 0 else f(a1, b1, a2, b2, w)

    for wrong, hint in [
        (lambda a1, b1, a2, b2, w: (a2 - a1) / b1, "Not quite"),
        (guarded(lambda a1, b1, a2, b2, w: (a2 - a1) / (b1 - b2)), "ignores the workers"),
        (lambda a1, b1, a2, b2, w: (a2 - a1) / (b1 - b2 * w), "multiplied by the workers"),
        (guarded(lambda a1, b1, a2, b2, w: (a1 - a2) / (b1 - b2 / w)), "sign is flipped"),
        (lambda a1, b1, a2, b2, w: abs((a2 - a1) / (b1 - b2 / w)), "never catches up"),
        (guarded(lambda a1, b1, a2, b2, w: (a2 - a1) / (b1 - b2 / w)), "negative size"),
        (lambda a1, b1, a2, b2, w: max(0.0, (a2 - a1) / (b1 - b2 / w)), "not 0"),
        (
            lambda a1, b1, a2, b2, w: (
                math.inf if b1 < b2 / w else max(0.0, (a2 - a1) / (b1 - b2 / w))
            ),
            "same slope",
        ),
    ]:
        rejects(exercises.check_crossover, wrong, hint)


def test_fetch_depth():
    right = solution("09_scaling_with_spark", "fetch_depth")
    exercises.check_fetch_depth(right)
    exercises.check_fetch_depth(lambda seen, k: np.int64(right(seen, k)))
    exercises.check_fetch_depth(lambda seen, k: float(right(seen, k)))

    def most(seen):
        return seen.drop_duplicates().groupby(USER)[ITEM].nunique()

    for wrong, hint in [
        (lambda seen, k: most(seen).max(), "come on top"),
        (lambda seen, k: k + seen.groupby(USER).size().max(), "listed twice"),
        (lambda seen, k: k + most(seen).mean(), "average user"),
        (lambda seen, k: k + math.ceil(most(seen).mean()), "Rounded up"),
        (lambda seen, k: k + len(seen.drop_duplicates()), "all users"),
        (lambda seen, k: k + seen.drop_duplicates().groupby(ITEM).size().max(), "per item"),
        (lambda seen, k: k, "ends up short"),
        (lambda seen, k: k + most(seen).max() - 1, "Not quite"),
        (lambda seen, k: most(seen), "single number"),
    ]:
        rejects(exercises.check_fetch_depth, wrong, hint)


def test_fm_pairwise():
    right = solution("07_knowledge_in_models", "fm_pairwise")
    exercises.check_fm_pairwise(right)
    exercises.check_fm_pairwise(lambda V, X: right(V, X).tolist())  # a list is fine

    def pairs(V, X):  # the slow sum over pairs is also right
        n = V.shape[0]
        return np.array([sum(V[j] @ V[m] * x[j] * x[m] for j in range(n)
                             for m in range(j + 1, n)) for x in X])

    exercises.check_fm_pairwise(pairs)

    def weighted(V, X):
        return X[:, :, None] * V[None]

    for wrong, hint in [
        (lambda V, X: (weighted(V, X).sum(1) ** 2 - (weighted(V, X) ** 2).sum(1)).sum(1),
         "forgot the 1/2"),
        (lambda V, X: 0.5 * (weighted(V, X).sum(1) ** 2).sum(1), "left the diagonal in"),
        (lambda V, X: 0.5 * ((weighted(V, X).sum(1) ** 2).sum(1)
                             - (X[:, :, None] * V[None] ** 2).sum((1, 2))), "first power"),
        (lambda V, X: 0.5 * ((weighted(V, X).sum(1) ** 2) - (weighted(V, X) ** 2).sum(1)),
         "should have shape"),
    ]:
        with pytest.raises(ExerciseError, match=hint):
            exercises.check_fm_pairwise(wrong)


def test_warp_weight():
    right = solution("07_knowledge_in_models", "warp_weight")
    exercises.check_warp_weight(right)
    exercises.check_warp_weight(lambda N, n: [math.log(max(1, (n - 1) // k)) for k in N])
    for wrong, hint in [
        (lambda N, n: np.log(np.maximum(1, (n - 1) / np.asarray(N))), "round the estimated"),
        (lambda N, n: np.log(np.maximum(1, n // np.asarray(N))), "n - 1, not n"),
        (lambda N, n: np.maximum(1, (n - 1) // np.asarray(N)), "logarithm"),
        (lambda N, n: np.log((n - 1) // np.asarray(N)), "counts as 1"),
    ]:
        with np.errstate(divide="ignore"), pytest.raises(ExerciseError, match=hint):
            exercises.check_warp_weight(wrong)


def test_loo_share():
    right = solution("07_knowledge_in_models", "loo_share")
    exercises.check_loo_share(right)

    def by_loop(item, mention):
        item, mention = list(item), list(mention)
        overall = sum(mention) / len(mention)
        out = []
        for r, i in enumerate(item):
            others = [m for k, (j, m) in enumerate(zip(item, mention)) if j == i and k != r]
            out.append(sum(others) / len(others) if others else overall)
        return out

    exercises.check_loo_share(by_loop)

    def frame(item, mention):
        f = pd.DataFrame({"i": item, "m": np.asarray(mention, float)})
        g = f.groupby("i")["m"]
        return f, g.transform("sum"), g.transform("count")

    def leaky(item, mention):
        _, total, count = frame(item, mention)
        return (total / count).to_numpy()

    def no_minus_one(item, mention):
        f, total, count = frame(item, mention)
        return ((total - f["m"]) / count).to_numpy()

    def zero_fallback(item, mention):
        f, total, count = frame(item, mention)
        return ((total - f["m"]) / (count - 1).where(count > 1)).fillna(0.0).to_numpy()

    def nan_fallback(item, mention):
        f, total, count = frame(item, mention)
        return ((total - f["m"]) / (count - 1).where(count > 1)).to_numpy()

    for wrong, hint in [(leaky, "the leak"), (no_minus_one, "number of reviews you divide by"),
                        (zero_fallback, "overall share, not 0"), (nan_fallback, "NaN or inf")]:
        with pytest.raises(ExerciseError, match=hint):
            exercises.check_loo_share(wrong)


# --- fresh cases ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "check",
    [
        "check_mean_pool",
        "check_macro_f1",
        "check_mmr",
        "check_align_labels",
        "check_entity_f1",
        "check_spans",
        "check_zscore_rows",
        "check_content_scores",
        "check_loops",
        "check_augmentation_effect",
        "check_crossover",
    ],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_fresh_cases_are_seeded_and_valid(check):
    """The fresh case changes with the seed, is the same for the same seed (fresh_rng is
    its only source) and never fails the reference, whatever the seed."""
    import joblib

    from llmrec_utils.course import grading

    ex = next(e for c in grading.chapters() for e in grading.exercises_of(c) if e.check == check)
    reference, calls = grading.context().reference(ex), []

    def recorded(*args):
        calls.append(joblib.hash([a.numpy() if hasattr(a, "numpy") else a for a in args]))
        return reference(*args)

    drawn = []
    for seed in [0, 0, *range(1, 6 if check == "check_augmentation_effect" else 40)]:
        calls.clear()
        with common.seeded(seed), common.tally() as record:
            getattr(exercises, check)(recorded)
        assert not any(record), (seed, record)
        drawn.append(calls[-1])  # the last case is a fresh one
    assert drawn[0] == drawn[1] and len(set(drawn)) == len(drawn) - 1
