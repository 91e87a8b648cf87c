"""Checks for the book's coding exercises.

Each ``check_*`` function accepts a correct answer (printing a short
confirmation) and raises :class:`ExerciseError` with a hint for a wrong one.
The reference answer is computed here from the same data, never typed in.
The exercises themselves are in the chapters; see ``book/setup.md`` for the
convention.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from .config import logger
from .data import ITEM, RATING, TIMESTAMP, USER


class ExerciseError(AssertionError):
    """A wrong answer; the message says what is wrong and how to look for it."""


def _ok(message: str) -> None:
    logger().info(f"Correct: {message}")


def _number(answer, name: str) -> float:
    if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        raise ExerciseError(f"{name} should be a single number, got a {type(answer).__name__}.")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise ExerciseError(f"{name} should be a number, got {answer!r}.") from None
    if math.isnan(value):
        raise ExerciseError(f"{name} is NaN; check for a division by zero or missing values.")
    return value


# --- chapter 1 -----------------------------------------------------------------
def check_density(answer: float, ratings: pd.DataFrame) -> None:
    """Exercise 1.1: density of the user-item rating matrix, as a fraction."""
    value = _number(answer, "density")
    n_users, n_items = ratings[USER].nunique(), ratings[ITEM].nunique()
    density = len(ratings) / (n_users * n_items)
    if math.isclose(value, density, rel_tol=1e-6):
        return _ok(f"density = {density:.4f} ({density:.2%} of the cells are observed).")
    if math.isclose(value, 1 - density, rel_tol=1e-6):
        raise ExerciseError("That is the sparsity (the share of empty cells); density is 1 minus it.")
    if math.isclose(value, 100 * density, rel_tol=1e-6):
        raise ExerciseError("That looks like a percentage; give the density as a fraction in [0, 1].")
    if value > 1 or value < 0:
        raise ExerciseError(
            f"A density lies in [0, 1]; you gave {value:g}. Divide the number of ratings "
            "by the number of cells (users x items)."
        )
    raise ExerciseError(
        "Not quite. The matrix has one row per distinct user and one column per distinct "
        "item; density = number of ratings / (rows x columns)."
    )


def check_head_share(answer: float, ratings: pd.DataFrame, head_frac: float = 0.2) -> None:
    """Exercise 1.2: share of all ratings that go to the most-rated 20% of items."""
    value = _number(answer, "head share")
    counts = ratings.groupby(ITEM).size().sort_values(ascending=False)
    n_head = int(math.ceil(head_frac * len(counts)))
    share = counts.iloc[:n_head].sum() / counts.sum()
    if math.isclose(value, share, rel_tol=1e-6):
        return _ok(f"the top {head_frac:.0%} of items ({n_head}) receive {share:.1%} of ratings.")
    if math.isclose(value, 100 * share, rel_tol=1e-6):
        raise ExerciseError("That looks like a percentage; give a fraction in [0, 1].")
    by_mean = ratings.groupby(ITEM)[RATING].mean().sort_values(ascending=False)
    mean_share = counts.loc[by_mean.index[:n_head]].sum() / counts.sum()
    if math.isclose(value, mean_share, rel_tol=1e-6):
        raise ExerciseError("You ranked items by mean rating; popularity means number of ratings.")
    if math.isclose(value, counts.iloc[-n_head:].sum() / counts.sum(), rel_tol=1e-6):
        raise ExerciseError("You took the least-rated items; sort by count in descending order.")
    raise ExerciseError(
        f"Not quite. Count ratings per item, sort descending, take the first "
        f"ceil({head_frac} x number of items) = {n_head} items, and divide their ratings by "
        "all ratings."
    )


def _tiny_log() -> pd.DataFrame:
    """A small log whose answer is known; in its row order no user's latest rating comes last."""
    return pd.DataFrame(
        {
            USER: [1, 2, 3, 1, 2, 1, 3, 2],
            ITEM: [11, 14, 12, 10, 13, 12, 11, 10],
            RATING: [3, 4, 3, 5, 5, 4, 1, 2],
            TIMESTAMP: [100, 60, 20, 300, 70, 200, 10, 50],
        }
    )


def check_leave_last_out(fn: Callable[[pd.DataFrame], tuple]) -> None:
    """Exercise 1.3: ``fn(ratings) -> (train, test)``, each user's latest rating in test."""
    log = _tiny_log()
    try:
        result = fn(log.copy())
    except NotImplementedError:
        raise ExerciseError("Replace the `raise NotImplementedError()` with your code.") from None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise ExerciseError("Return a tuple (train, test) of two DataFrames.")
    train, test = result
    for name, part in (("train", train), ("test", test)):
        if not isinstance(part, pd.DataFrame) or not {USER, ITEM}.issubset(part.columns):
            raise ExerciseError(f"{name} should be a DataFrame with the columns of the input.")
    if len(train) + len(test) != len(log):
        raise ExerciseError(
            f"train and test together have {len(train) + len(test)} rows; the input has "
            f"{len(log)}. Every rating must land in exactly one of them."
        )
    if test[USER].duplicated().any() or set(test[USER]) != set(log[USER]):
        raise ExerciseError("test should hold exactly one rating per user.")
    expected = {(1, 10), (2, 13), (3, 12)}
    got = set(map(tuple, test[[USER, ITEM]].to_numpy().tolist()))
    if got == {(1, 11), (2, 10), (3, 11)}:
        raise ExerciseError("You kept each user's *earliest* rating; sort by time descending.")
    if got != expected:
        raise ExerciseError(
            f"test holds {sorted(got)}, but each user's latest ratings are {sorted(expected)}. "
            "Sort by timestamp within each user; do not rely on row order."
        )
    overlap = train.merge(test, on=[USER, ITEM])
    if len(overlap):
        raise ExerciseError("Some (user, item) pairs are in both train and test.")
    _ok("each user's latest rating is held out, and nothing leaks into train.")


# --- chapter 2 -----------------------------------------------------------------
def _call(fn, *args):
    try:
        return fn(*args)
    except NotImplementedError:
        raise ExerciseError("Replace the `raise NotImplementedError()` with your code.") from None


def check_mean_pool(fn: Callable) -> None:
    """Exercise 2.1: ``fn(token_embeddings, attention_mask)`` -> masked mean, (batch, dim)."""
    import torch

    from .embeddings import mean_pool

    gen = torch.Generator().manual_seed(0)
    tokens = torch.randn(3, 5, 4, generator=gen)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])
    got = _call(fn, tokens, mask)
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"Return a torch.Tensor, got {type(got).__name__}.")
    if tuple(got.shape) != (3, 4):
        raise ExerciseError(f"Expected shape (batch, dim) = (3, 4), got {tuple(got.shape)}.")
    expected = mean_pool(tokens, mask)
    if torch.allclose(got, expected, atol=1e-5):
        return _ok("padding positions are ignored and each text is averaged over its own tokens.")
    if torch.allclose(got, tokens.mean(dim=1), atol=1e-5):
        raise ExerciseError("You averaged over padding positions too; multiply by the mask first.")
    if torch.allclose(got, (tokens * mask.unsqueeze(-1)).sum(1) / tokens.shape[1], atol=1e-5):
        raise ExerciseError("Divide by the number of real tokens of each text (mask.sum), not by the padded length.")
    if torch.allclose(got, tokens[:, 0], atol=1e-5):
        raise ExerciseError("That is CLS pooling (the first token); the exercise asks for the masked mean.")
    raise ExerciseError("Not quite: sum token vectors where the mask is 1, divide by the mask's sum per text.")


def check_macro_f1(fn: Callable) -> None:
    """Exercise 2.2: ``fn(y_true, y_pred)`` -> macro-averaged F1, written by hand."""
    from sklearn.metrics import accuracy_score, f1_score

    rng = np.random.default_rng(0)
    labels = np.array(["negative", "neutral", "positive"])
    y_true = rng.choice(labels, size=200, p=[0.1, 0.15, 0.75])
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.choice(labels, size=200))
    got = _number(_call(fn, y_true, y_pred), "macro-F1")
    expected = f1_score(y_true, y_pred, average="macro")
    if math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
        # A class that is never predicted must count as F1 = 0, not crash.
        edge = _number(_call(fn, np.array(["a", "a", "b"]), np.array(["a", "a", "a"])), "macro-F1")
        if not math.isclose(edge, f1_score(["a", "a", "b"], ["a", "a", "a"], average="macro")):
            raise ExerciseError("When a class is never predicted its precision is 0/0: count its F1 as 0.")
        return _ok(f"macro-F1 = {expected:.4f}, the unweighted mean of the per-class F1.")
    if math.isclose(got, accuracy_score(y_true, y_pred)):
        raise ExerciseError("That is accuracy (= micro-F1 here); macro-F1 averages the per-class F1 scores.")
    if math.isclose(got, f1_score(y_true, y_pred, average="weighted")):
        raise ExerciseError("That is the support-weighted F1; macro-F1 gives every class the same weight.")
    raise ExerciseError(
        "Not quite. For each class c: precision = TP/(TP+FP), recall = TP/(TP+FN), "
        "F1 = 2PR/(P+R); then take the plain mean over classes."
    )


def check_cards_without_year(cards: Sequence[str], items: pd.DataFrame) -> None:
    """Exercise 2.3: item cards that keep title words and genres but drop the year."""
    import re

    if not isinstance(cards, (list, tuple)) or len(cards) != len(items):
        raise ExerciseError(f"Give a list with one card per movie ({len(items)}).")
    with_year = [c for c in cards if re.search(r"\(\d{4}\)", c)]
    if with_year:
        raise ExerciseError(f"{len(with_year)} cards still contain a year, e.g. {with_year[0]!r}.")
    first = items.iloc[0]
    name_words = re.sub(r"\(\d{4}\)", "", first["title"]).split()[:2]
    if not all(w in cards[0] for w in name_words):
        raise ExerciseError(f"Keep the title: the first card {cards[0]!r} lost {name_words}.")
    if first["genres"].split("|")[0] not in cards[0]:
        raise ExerciseError("Keep the genres in the card.")
    _ok("the cards keep title and genres, without the year.")


# --- chapter 3 -----------------------------------------------------------------
def check_align_labels(fn: Callable) -> None:
    """Exercise 3.1: ``fn(word_ids, word_labels)`` -> one label id per sub-word token."""
    from .ner import IGNORE, align_labels

    cases = [
        ([None, 0, 0, 1, 2, 2, 2, None], [4, 0, 7]),
        ([None, 0, 1, 1, None, None], [1, 2]),
        ([None, None], []),
    ]
    for word_ids, labels in cases:
        got = list(_call(fn, list(word_ids), list(labels)))
        expected = align_labels(word_ids, labels)
        if got == expected:
            continue
        if len(got) != len(word_ids):
            raise ExerciseError(f"Return one label per sub-word token ({len(word_ids)}), got {len(got)}.")
        repeated = [IGNORE if w is None else labels[w] for w in word_ids]
        if got == repeated:
            raise ExerciseError(
                "You gave every sub-word its word's label; label only the first sub-word "
                f"and put {IGNORE} on the continuations, so each word counts once."
            )
        if got[0] != IGNORE:
            raise ExerciseError(f"Special tokens (word id None) must get {IGNORE}.")
        raise ExerciseError(f"For word_ids={word_ids} and labels={labels} expected {expected}, got {got}.")
    _ok("first sub-word labelled, continuations and special tokens ignored.")


def check_entity_f1(fn: Callable) -> None:
    """Exercise 3.2: ``fn(gold, pred)`` -> micro entity-level F1 over BIO sentences."""
    from seqeval.metrics import f1_score

    gold = [["B-FIT", "I-FIT", "O", "B-SIZE"], ["O", "B-COLOR", "O"], ["B-FABRIC", "O", "O"]]
    pred = [["B-FIT", "O", "O", "B-SIZE"], ["O", "B-COLOR", "O"], ["O", "O", "B-FABRIC"]]
    got = _number(_call(fn, gold, pred), "entity F1")
    expected = f1_score(gold, pred)
    if math.isclose(got, expected, rel_tol=1e-9):
        return _ok(f"entity-level F1 = {expected:.3f}: a half-found entity counts as a miss.")
    flat_g = [t for s in gold for t in s]
    flat_p = [t for s in pred for t in s]
    hits = sum(a == b != "O" for a, b in zip(flat_g, flat_p))
    token_f1 = 2 * hits / (sum(t != "O" for t in flat_g) + sum(t != "O" for t in flat_p))
    if math.isclose(got, token_f1, rel_tol=1e-9):
        raise ExerciseError(
            "That is a token-level score: it gives credit for the B-FIT of a two-word "
            "FIT span whose I-FIT was missed. Compare whole spans (type, start, end)."
        )
    raise ExerciseError(
        "Not quite. Turn each sentence into a set of (type, start, end) spans; "
        "precision = shared / predicted spans, recall = shared / gold spans, pooled "
        "over all sentences; F1 = 2PR/(P+R)."
    )


def check_spans(fn: Callable) -> None:
    """Exercise 3.3: ``fn(tags)`` -> entity spans ``(type, start, end)`` of a BIO sequence."""
    from .ner import spans

    cases = [
        ["B-FIT", "I-FIT", "O", "B-SIZE"],
        ["B-COLOR", "B-COLOR", "I-COLOR"],
        ["O", "I-FABRIC", "I-FABRIC", "O"],
        ["B-FIT", "I-SIZE"],
        [],
    ]
    for tags in cases:
        got = [tuple(s) for s in _call(fn, list(tags))]
        expected = spans(tags)
        if got == expected:
            continue
        if tags == ["B-COLOR", "B-COLOR", "I-COLOR"]:
            raise ExerciseError("A B- tag always starts a new span, even right after a span of its type.")
        if tags[:2] == ["O", "I-FABRIC"]:
            raise ExerciseError("An I- tag with no span to continue starts a new span (seqeval's lenient reading).")
        if got and any(e <= s for _, s, e in got):
            raise ExerciseError("Use end = one past the last word, so a one-word span has end = start + 1.")
        raise ExerciseError(f"For {tags} expected {expected}, got {got}.")
    _ok("spans read the way seqeval reads them.")


# --- chapter 4: matrix factorisation ----------------------------------------------
def _small_factors(seed: int = 0):
    from .mf import Factors

    rng = np.random.default_rng(seed)
    return Factors(3.5, rng.normal(0, 0.3, 4), rng.normal(0, 0.3, 5),
                   rng.normal(0, 0.5, (4, 3)), rng.normal(0, 0.5, (5, 3)))  # fmt: skip


def check_sgd_step(fn: Callable) -> None:
    """``fn(p, q, bu, bi, mu, r, lr, reg, bias_reg) -> (p, q, bu, bi)``: one SGD step."""
    from .mf import gradients

    f = _small_factors()
    u, i, r, lr, reg, breg = 1, 2, 4.0, 0.05, 0.1, 0.2
    # with one rating, n_u = n_i = 1 and J is exactly that rating's term
    g = gradients(f, np.array([u]), np.array([i]), np.array([r]), reg, breg)
    want = (f.P[u] - lr / 2 * g["P"][u], f.Q[i] - lr / 2 * g["Q"][i],
            f.bu[u] - lr / 2 * g["bu"][u], f.bi[i] - lr / 2 * g["bi"][i])  # fmt: skip
    got = fn(f.P[u].copy(), f.Q[i].copy(), float(f.bu[u]), float(f.bi[i]), f.mu, r, lr, reg, breg)
    if not isinstance(got, tuple) or len(got) != 4:
        raise ExerciseError("return a tuple (p, q, bu, bi) of the updated parameters.")
    for name, a, b in zip(("p", "q", "bu", "bi"), got, want):
        if np.shape(a) != np.shape(b) or not np.allclose(a, b, atol=1e-10):
            hint = (" Did you update q with the *new* p? Both updates use the old values."
                    if name == "q" else " Check the sign of the error e = r - r_hat and the"
                    " regularisation term.")  # fmt: skip
            raise ExerciseError(f"{name} is {np.round(a, 5)}, expected {np.round(b, 5)}.{hint}")
    _ok("your step equals -lr/2 times the exact gradient of the rating's loss term.")


def check_als_user(fn: Callable) -> None:
    """``fn(Q, b_items, items, ratings, mu, reg, bias_reg) -> (p_u, b_u)``."""
    from .mf import als_half_step, rating_matrix

    f = _small_factors(1)
    items, ratings = np.array([0, 2, 3]), np.array([5.0, 3.0, 4.0])
    reg, breg = 0.1, 2.0
    R = rating_matrix(np.zeros(3, int), items, ratings - f.mu, (1, len(f.bi)))
    p_want, b_want = als_half_step(R, f.Q, f.bi, reg, breg)
    got = fn(f.Q, f.bi, items, ratings, f.mu, reg, breg)
    if not isinstance(got, tuple) or len(got) != 2:
        raise ExerciseError("return a tuple (p_u, b_u).")
    p, b = np.asarray(got[0], float).ravel(), float(got[1])
    if p.shape != p_want[0].shape or not np.allclose(p, p_want[0], atol=1e-8):
        raise ExerciseError(
            f"p_u is {np.round(p, 4)}, expected {np.round(p_want[0], 4)}. The ridge on the "
            "factors is reg * n_u (n_u = the user's number of ratings); the bias gets bias_reg."
        )
    if not np.isclose(b, b_want[0], atol=1e-8):
        raise ExerciseError(f"b_u is {b:.4f}, expected {b_want[0]:.4f}: solve p_u and b_u jointly.")
    _ok("the user's factors and bias solve the ridge regression exactly.")


def check_ease(fn: Callable) -> None:
    """``fn(X, lam) -> B``: EASE's item-item weights for a dense 0/1 matrix X."""
    rng = np.random.default_rng(0)
    X = (rng.random((30, 8)) < 0.4).astype(float)
    lam = 5.0
    P = np.linalg.inv(X.T @ X + lam * np.eye(8))
    want = -P / np.diag(P)
    np.fill_diagonal(want, 0.0)
    got = np.asarray(fn(X, lam), float)
    if got.shape != want.shape:
        raise ExerciseError(f"B should be items x items {want.shape}, got {got.shape}.")
    if not np.allclose(np.diag(got), 0):
        raise ExerciseError("B's diagonal must be zero: an item may not predict itself.")
    if not np.allclose(got, want, atol=1e-8):
        raise ExerciseError("B differs from -P / diag(P) with P = (X^T X + lam I)^-1; "
                            "divide each column j by P[j, j].")  # fmt: skip
    _ok("your B matches the closed form, zero diagonal included.")


# --- chapter 5: hybrids -----------------------------------------------------------
def check_zscore_rows(fn: Callable) -> None:
    """``fn(S) -> Z``: standardise each row; a constant row becomes zeros."""
    from .hybrid import zscore_rows

    S = np.array([[1.0, 2.0, 3.0, 6.0], [4.0, 4.0, 4.0, 4.0], [0.0, -1.0, 5.0, 2.0]])
    got = np.asarray(fn(S.copy()), float)
    want = zscore_rows(S)
    if got.shape != want.shape:
        raise ExerciseError(f"Z should have the shape of S {S.shape}, got {got.shape}.")
    if not np.isfinite(got).all():
        raise ExerciseError("Z has NaN or inf: a constant row has standard deviation 0; "
                            "return zeros for it instead of dividing.")  # fmt: skip
    if not np.allclose(got, want):
        raise ExerciseError("Z differs from (S - row mean) / row std; use axis=1 and "
                            "keepdims=True (the population std, ddof=0).")  # fmt: skip
    _ok("rows standardised, constant rows mapped to zeros.")


def check_content_scores(fn: Callable) -> None:
    """``fn(V, rated) -> scores``: centred-cosine content scores for one user."""
    from .hybrid import ContentModel

    rng = np.random.default_rng(3)
    V = rng.normal(size=(12, 5)) + 2.0  # a shared offset, as in real embeddings
    rated = np.array([1, 4, 7])
    model = ContentModel(np.arange(12), V).fit(pd.DataFrame({USER: 0, ITEM: rated}))
    want = model.score([0])[0]
    got = np.asarray(fn(V.copy(), rated), float).ravel()
    if got.shape != want.shape:
        raise ExerciseError(f"return one score per item ({len(want)}), got {got.shape}.")
    if not np.allclose(got, want, atol=1e-8):
        raise ExerciseError(
            "scores differ from the content model's. Steps: subtract the mean item "
            "vector, normalise each row, average the rated rows, normalise that taste "
            "vector, then take its dot product with every item."
        )
    _ok("your scores equal ContentModel's cosine between taste and item vectors.")


# --- chapter 7: evaluation --------------------------------------------------------
def check_ndcg(fn: Callable) -> None:
    """``fn(hits, n_relevant, k) -> float`` against :func:`metrics.ndcg_at_k`."""
    from .data import RANK
    from .metrics import ndcg_at_k

    cases = [([0, 1, 0, 0, 1], 3, 5), ([1, 1, 1], 3, 3), ([0, 0, 0, 1], 1, 4),
             ([1, 0, 1, 0, 0, 0], 10, 6), ([0, 1], 1, 2)]  # fmt: skip
    for hits, n_rel, k in cases:
        items = np.arange(len(hits))
        recs = pd.DataFrame({USER: 0, ITEM: items, RANK: items + 1})
        relevant = list(items[np.asarray(hits) == 1]) + [100 + j for j in range(n_rel - sum(hits))]
        want = ndcg_at_k(recs, pd.DataFrame({USER: 0, ITEM: relevant}), k)
        got = _number(fn(np.array(hits), n_rel, k), "ndcg")
        if not np.isclose(got, want):
            raise ExerciseError(
                f"ndcg({hits}, {n_rel}, {k}) = {got:.4f}, expected {want:.4f}. The ideal "
                "list has min(k, n_relevant) hits; rank 1 is discounted by log2(2) = 1."
            )
    _ok("your NDCG agrees with metrics.ndcg_at_k on five lists.")


def check_novelty(fn: Callable) -> None:
    """``fn(recs, train) -> float`` against :func:`metrics.novelty`."""
    from .metrics import novelty

    rng = np.random.default_rng(4)
    train = pd.DataFrame({USER: rng.integers(0, 30, 300), ITEM: rng.integers(0, 20, 300)})
    train = train.drop_duplicates([USER, ITEM])
    recs = pd.DataFrame({USER: np.repeat(np.arange(5), 4),
                         ITEM: rng.choice(train[ITEM].unique(), 20)})  # fmt: skip
    want = novelty(recs, train)
    got = _number(fn(recs, train), "novelty")
    if not np.isclose(got, want):
        raise ExerciseError(f"novelty is {got:.4f}, expected {want:.4f}: p_i is the share of "
                            "distinct users (not rows) who rated item i; use log base 2.")  # fmt: skip
    _ok("your novelty matches metrics.novelty.")


def check_sign_flip(fn: Callable) -> None:
    """``fn(diffs, n, seed) -> p``: a two-sided sign-flip permutation p-value."""
    rng = np.random.default_rng(5)
    for shift, lo, hi in [(0.0, 0.2, 1.0), (0.5, 0.0, 0.01)]:
        diffs = rng.normal(shift, 1.0, 80)
        if shift == 0.0:
            diffs -= diffs.mean() - 0.02  # a tiny observed mean: p must be large
        p = _number(fn(diffs, 2000, 0), "p")
        if not 0 < p <= 1:
            raise ExerciseError(f"a p-value lies in (0, 1]; got {p}. Add 1 to both counts.")
        if not lo <= p <= hi:
            raise ExerciseError(
                f"p = {p:.4f} for differences with mean {diffs.mean():+.3f}; expected a value "
                f"in [{lo}, {hi}]. Compare |mean| of each flipped sample with the observed |mean|."
            )
    _ok("large p for a null difference, tiny p for a real one.")


# --- chapter 6: LLM augmentation --------------------------------------------------
def check_loops(fn: Callable) -> None:
    """``fn(ids, max_period) -> bool``: does ``ids`` end with a pattern repeated 3 times?"""
    cases = [
        ([1, 2, 3, 7, 7, 7], True, "one token three times (period 1)"),
        ([9, 4, 5, 4, 5, 4, 5], True, "a two-token pattern three times"),
        ([4, 5, 4, 5], False, "a pattern only twice"),
        ([1, 2, 3, 1, 2, 3, 1, 2, 3, 8], False, "a repeat that is not at the end"),
        ([], False, "an empty list"),
        (list(range(13)) * 3, False, "a 13-token pattern (longer than max_period=12)"),
        (list(range(12)) * 3, True, "a 12-token pattern (period = max_period)"),
    ]
    for ids, want, what in cases:
        got = _call(fn, list(ids), 12)
        if bool(got) != want:
            raise ExerciseError(f"{what}: {ids[-14:]} should give {want}, got {got!r}.")
    _ok("loops are detected at the end of the answer, and only there.")


def check_pick_lift(fn: Callable) -> None:
    """``fn(triples, candidates, held_out) -> float``: hit share of picks / of candidates."""
    candidates = pd.DataFrame({USER: [1] * 4 + [2] * 4, ITEM: [10, 11, 12, 13, 10, 11, 12, 13]})
    triples = pd.DataFrame({USER: [1, 2], "positive": [10, 12], "negative": [11, 13]})
    held_out = {(1, 10), (2, 11)}  # picks: 1 of 2 hit (0.5); candidates: 2 of 8 (0.25)
    got = _number(_call(fn, triples, candidates, held_out), "the lift")
    if np.isclose(got, 0.5):
        raise ExerciseError("0.5 is the picks' hit share alone; divide it by the share of "
                            "all candidates that are held out.")  # fmt: skip
    if not np.isclose(got, 2.0):
        raise ExerciseError(f"expected 0.5 / 0.25 = 2.0 on the small example, got {got}.")
    _ok("lift = hit share of the picked positives / hit share of all candidates.")


# --- chapter 8 -------------------------------------------------------------------------
def check_spark_top_k(fn: Callable) -> None:
    """``fn(scores, seen, k) -> Spark DataFrame`` of ``user, item, score, rank``:
    the ``k`` best unseen items per user (``scores``: user, item, score;
    ``seen``: user, item), rank 1 = highest score."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is None:
        raise ExerciseError("no active Spark session: run the chapter's session cell first.")
    scores = pd.DataFrame({USER: [1, 1, 1, 1, 2, 2, 2], ITEM: [10, 11, 12, 13, 10, 11, 12],
                           "score": [0.9, 0.8, 0.7, 0.1, 0.2, 0.6, 0.4]})  # fmt: skip
    seen = pd.DataFrame({USER: [1, 2], ITEM: [10, 11]})
    out = _call(fn, spark.createDataFrame(scores), spark.createDataFrame(seen), 2)
    if not hasattr(out, "toPandas"):
        raise ExerciseError(f"return a Spark DataFrame, got {type(out).__name__}.")
    got = out.toPandas()
    missing = {USER, ITEM, "score", "rank"} - set(got.columns)
    if missing:
        raise ExerciseError(f"the result lacks columns {sorted(missing)}.")
    got = got.sort_values([USER, "rank"])[[USER, ITEM, "rank"]].astype(int).values.tolist()
    expected = [[1, 11, 1], [1, 12, 2], [2, 12, 1], [2, 10, 2]]
    if [row[:2] for row in got] == [[1, 10], [1, 11], [2, 11], [2, 12]]:
        raise ExerciseError("seen items are still there: remove them with a left_anti join "
                            "on (user, item) before ranking.")  # fmt: skip
    if got != expected:
        raise ExerciseError(f"expected (user, item, rank) rows {expected}, got {got}. Rank "
                            "within each user (Window.partitionBy) by descending score.")  # fmt: skip
    _ok("anti-join the seen pairs, then row_number() over a per-user window, keep rank <= k.")


def check_crossover(fn: Callable) -> None:
    """``fn(a1, b1, a2, b2, workers) -> float``: the data size where a cluster of
    ``workers`` (time a2 + b2 n / workers) overtakes one machine (a1 + b1 n)."""
    got = _number(_call(fn, 1.0, 1e-5, 10.0, 4e-5, 8), "the crossover size")
    if np.isclose(got, 9 / 1e-5):
        raise ExerciseError("that ignores the workers: the cluster's per-rating cost is "
                            "b2 / workers.")  # fmt: skip
    if not np.isclose(got, 9 / (1e-5 - 4e-5 / 8)):
        raise ExerciseError(f"expected (a2 - a1) / (b1 - b2 / workers) = 1,800,000, got {got:,.0f}.")
    never = _call(fn, 1.0, 1e-5, 10.0, 4e-5, 2)
    if not (isinstance(never, float) and math.isinf(never) and never > 0):
        raise ExerciseError("with 2 workers the cluster's slope (2e-5) is steeper than one "
                            f"machine's (1e-5): it never catches up; return math.inf, got {never!r}.")
    _ok("n* = (a2 - a1) / (b1 - b2 / workers) when the cluster's slope is smaller, else never.")
