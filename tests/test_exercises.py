"""Exercise checks accept the reference answers and explain wrong ones."""

from __future__ import annotations

import math

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


def test_chapter2_checks_accept_references_and_explain_mistakes():
    import torch

    from llmrec_utils import embeddings, metrics

    exercises.check_mean_pool(embeddings.mean_pool)
    with pytest.raises(ExerciseError, match="padding positions too"):
        exercises.check_mean_pool(lambda h, m: h.mean(dim=1))
    with pytest.raises(ExerciseError, match="CLS pooling"):
        exercises.check_mean_pool(lambda h, m: h[:, 0])
    with pytest.raises(ExerciseError, match="mask.sum"):
        exercises.check_mean_pool(lambda h, m: (h * m.unsqueeze(-1)).sum(1) / h.shape[1])
    with pytest.raises(ExerciseError, match="torch.Tensor"):
        exercises.check_mean_pool(lambda h, m: h.numpy())
    del torch

    exercises.check_macro_f1(metrics.macro_f1)
    with pytest.raises(ExerciseError, match="accuracy"):
        exercises.check_macro_f1(lambda t, p: float(np.mean(np.asarray(t) == np.asarray(p))))


def test_cards_without_year_check():
    items = data.load_ml100k_items()
    good = items["title"].str.replace(r"\s*\(\d{4}\)", "", regex=True) + ". " + items["genres"]
    exercises.check_cards_without_year(good.tolist(), items)
    with pytest.raises(ExerciseError, match="still contain a year"):
        exercises.check_cards_without_year((items["title"] + items["genres"]).tolist(), items)
    with pytest.raises(ExerciseError, match="one card per movie"):
        exercises.check_cards_without_year(good.tolist()[:5], items)


def test_chapter3_checks():
    from llmrec_utils import ner

    exercises.check_align_labels(ner.align_labels)
    with pytest.raises(ExerciseError, match="every sub-word its word's label"):
        exercises.check_align_labels(lambda ids, labels: [-100 if w is None else labels[w] for w in ids])

    def entity_f1(gold, pred):
        shared = n_g = n_p = 0
        for g, p in zip(gold, pred):
            gs, ps = set(ner.spans(g)), set(ner.spans(p))
            shared, n_g, n_p = shared + len(gs & ps), n_g + len(gs), n_p + len(ps)
        prec, rec = shared / n_p, shared / n_g
        return 2 * prec * rec / (prec + rec)

    exercises.check_entity_f1(entity_f1)

    def token_f1(gold, pred):
        g = [t for s in gold for t in s]
        p = [t for s in pred for t in s]
        hits = sum(a == b != "O" for a, b in zip(g, p))
        return 2 * hits / (sum(t != "O" for t in g) + sum(t != "O" for t in p))

    with pytest.raises(ExerciseError, match="token-level"):
        exercises.check_entity_f1(token_f1)


def test_spans_check():
    from llmrec_utils import ner

    exercises.check_spans(ner.spans)

    def b_only(tags):
        return [(t[2:], i, i + 1) for i, t in enumerate(tags) if t.startswith("B-")]

    with pytest.raises(ExerciseError):
        exercises.check_spans(b_only)


def test_chapter4_checks():
    def sgd_step(p, q, bu, bi, mu, r, lr, reg, bias_reg):
        e = r - (mu + bu + bi + p @ q)
        return (p + lr * (e * q - reg * p), q + lr * (e * p - reg * q),
                bu + lr * (e - bias_reg * bu), bi + lr * (e - bias_reg * bi))

    def sgd_step_sequential(p, q, bu, bi, mu, r, lr, reg, bias_reg):
        e = r - (mu + bu + bi + p @ q)
        p = p + lr * (e * q - reg * p)
        return p, q + lr * (e * p - reg * q), bu, bi

    exercises.check_sgd_step(sgd_step)
    with pytest.raises(ExerciseError, match="new"):
        exercises.check_sgd_step(sgd_step_sequential)

    def solve_user(Q, b_items, items, ratings, mu, reg, bias_reg, n_weight=True):
        X = np.hstack([Q[items], np.ones((len(items), 1))])
        k = Q.shape[1]
        lam = reg * (len(items) if n_weight else 1)
        sol = np.linalg.solve(X.T @ X + np.diag([lam] * k + [bias_reg]),
                              X.T @ (ratings - mu - b_items[items]))
        return sol[:k], sol[k]

    exercises.check_als_user(solve_user)
    with pytest.raises(ExerciseError, match="n_u"):
        exercises.check_als_user(lambda *a: solve_user(*a, n_weight=False))

    def ease(X, lam, zero_diag=True):
        P = np.linalg.inv(X.T @ X + lam * np.eye(X.shape[1]))
        B = -P / np.diag(P)
        if zero_diag:
            np.fill_diagonal(B, 0)
        return B

    exercises.check_ease(ease)
    with pytest.raises(ExerciseError, match="diagonal"):
        exercises.check_ease(lambda X, lam: ease(X, lam, zero_diag=False))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_chapter5_checks():
    def zscore(S, ddof=0):
        sd = S.std(axis=1, ddof=ddof, keepdims=True)
        return np.divide(S - S.mean(axis=1, keepdims=True), sd, out=np.zeros_like(S),
                         where=sd > 0)

    exercises.check_zscore_rows(zscore)
    with pytest.raises(ExerciseError, match="NaN or inf"):
        exercises.check_zscore_rows(lambda S: (S - S.mean(1, keepdims=True)) / S.std(1, keepdims=True))
    with pytest.raises(ExerciseError, match="ddof"):
        exercises.check_zscore_rows(lambda S: zscore(S, ddof=1))

    def content_scores(V, rated, center=True):
        Vc = V - V.mean(axis=0) if center else V
        Vc = Vc / np.linalg.norm(Vc, axis=1, keepdims=True)
        taste = Vc[rated].mean(axis=0)
        return Vc @ (taste / np.linalg.norm(taste))

    exercises.check_content_scores(content_scores)
    with pytest.raises(ExerciseError, match="subtract the mean"):
        exercises.check_content_scores(lambda V, r: content_scores(V, r, center=False))


def test_chapter7_checks():
    def ndcg(hits, n_relevant, k):
        hits = np.asarray(hits, float)[:k]
        dcg = np.sum(hits / np.log2(np.arange(2, len(hits) + 2)))
        return dcg / np.sum(1 / np.log2(np.arange(2, min(k, n_relevant) + 2)))

    exercises.check_ndcg(ndcg)
    with pytest.raises(ExerciseError, match="min\\(k, n_relevant\\)"):
        exercises.check_ndcg(lambda h, n, k: ndcg(h, k, k))

    def novelty(recs, train, distinct=True):
        counts = train.groupby(ITEM)[USER].nunique() if distinct else train.groupby(ITEM).size()
        share = counts / train[USER].nunique()
        return float(np.mean(-np.log2(recs[ITEM].map(share))))

    exercises.check_novelty(novelty)
    with pytest.raises(ExerciseError, match="log base 2"):
        exercises.check_novelty(lambda r, t: novelty(r, t) * np.log(2))

    def sign_flip_p(diffs, n=5000, seed=0):
        signs = np.random.default_rng(seed).choice([-1.0, 1.0], (n, len(diffs)))
        null = np.abs((signs * diffs).mean(axis=1))
        return (1 + np.sum(null >= abs(np.mean(diffs)))) / (n + 1)

    exercises.check_sign_flip(sign_flip_p)
    with pytest.raises(ExerciseError, match="expected a value"):
        exercises.check_sign_flip(lambda d, n, s: 0.5)


def test_chapter6_checks():
    def loops(ids, max_period=12):
        return any(len(ids) >= 3 * p and ids[-p:] == ids[-2 * p : -p] == ids[-3 * p : -2 * p]
                   for p in range(1, max_period + 1))  # fmt: skip

    exercises.check_loops(loops)
    with pytest.raises(ExerciseError, match="only twice"):  # two repeats are not a loop yet
        exercises.check_loops(lambda ids, m: any(
            len(ids) >= 2 * p and ids[-p:] == ids[-2 * p : -p] for p in range(1, m + 1)))
    with pytest.raises(ExerciseError, match="max_period"):  # off by one in the range
        exercises.check_loops(lambda ids, m: loops(ids, m - 1))

    def pick_lift(triples, candidates, held_out):
        def share(users, films):
            return np.mean([(u, i) in held_out for u, i in zip(users, films)])

        return share(triples[USER], triples["positive"]) / share(candidates[USER], candidates[ITEM])

    exercises.check_pick_lift(pick_lift)
    with pytest.raises(ExerciseError, match="divide it"):
        exercises.check_pick_lift(lambda t, c, h: np.mean(
            [(u, i) in h for u, i in zip(t[USER], t["positive"])]))


def test_chapter8_crossover_check():
    def crossover(a1, b1, a2, b2, workers):
        slope = b1 - b2 / workers
        return math.inf if slope <= 0 else max(0.0, (a2 - a1) / slope)

    exercises.check_crossover(crossover)
    with pytest.raises(ExerciseError, match="ignores the workers"):
        exercises.check_crossover(lambda a1, b1, a2, b2, w: (a2 - a1) / b1)
    with pytest.raises(ExerciseError, match="never catches up"):
        exercises.check_crossover(lambda a1, b1, a2, b2, w: abs((a2 - a1) / (b1 - b2 / w)))
