"""Chapter 2's exercise checks (``notebooks/02_text_embeddings.ipynb``): masked mean
pooling, macro-F1 by hand and item cards without the year."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .common import ExerciseError, array, call, checked, fresh_rng, judge, number, ok, over


@checked
def check_mean_pool(fn: Callable) -> None:
    """Exercise 2.1: ``fn(token_embeddings, attention_mask)`` -> masked mean, (batch, dim)."""
    import torch

    from ...text.embeddings import mean_pool

    gen, fresh = torch.Generator().manual_seed(0), fresh_rng()
    # a fresh batch: right-padded rows of varied lengths, each with a real token, one
    # full row and one padded; values on a 1/16 grid, so any order of summing is exact
    b, t, d = (int(x) for x in fresh.integers([2, 3, 2], [6, 9, 7]))
    lengths = fresh.integers(1, t + 1, b)
    lengths[:2] = t, fresh.integers(1, t)
    cases = [
        (torch.randn(3, 5, 4, generator=gen),
         torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])),
        (torch.randn(2, 6, 3, generator=gen) + 1.0,
         torch.tensor([[1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]])),
        (torch.from_numpy(np.round(fresh.normal(size=(b, t, d)) * 16) / 16).float(),
         torch.from_numpy((np.arange(t) < lengths[fresh.permutation(b), None]).astype(np.int64))),
    ]  # fmt: skip

    def check_one(case) -> None:
        tokens, mask = case
        got = call(fn, tokens.clone(), mask.clone())
        if not isinstance(got, (torch.Tensor, np.ndarray)):
            raise ExerciseError(f"Return a torch.Tensor, got {type(got).__name__}.")
        got = array(got, "the pooled batch", (tokens.shape[0], tokens.shape[2]))
        m = mask.unsqueeze(-1).float()
        want = mean_pool(tokens, mask)
        judge(got, want.numpy(), [
            ("You averaged over padding positions too; padded tokens must not count.",
             tokens.mean(dim=1).numpy()),
            (("You divided by the padded length; divide by each text's number of real tokens "
              "(mask.sum)."), ((tokens * m).sum(1) / tokens.shape[1]).numpy()),
            ("That is a masked *sum*: divide by the number of real tokens.",
             (tokens * m).sum(1).numpy()),
            ("That is CLS pooling (the first token); the exercise asks for the masked mean.",
             tokens[:, 0].numpy()),
            ("That is max pooling; the exercise asks for the masked mean.",
             tokens.masked_fill(m == 0, -1e9).max(dim=1).values.numpy()),
            ("You L2-normalised the mean; the exercise asks for the mean itself.",
             torch.nn.functional.normalize(want, dim=1).numpy()),
        ], "Not quite: average each text's token vectors over its real tokens only.")  # fmt: skip

    over(cases, check_one)
    ok("padding positions are ignored and each text is averaged over its own tokens.")


def _per_class(y_true, y_pred, classes):
    """Precision, recall and F1 per class, 0 where a ratio is 0/0."""
    out = []
    for c in classes:
        tp = np.sum((y_pred == c) & (y_true == c))
        fp = np.sum((y_pred == c) & (y_true != c))
        fn = np.sum((y_pred != c) & (y_true == c))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out.append((p, r, 2 * tp / (2 * tp + fp + fn) if tp else 0.0))
    return np.array(out)


def _random_labels(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fresh ``(y_true, y_pred)``: mostly right predictions, the first class true but
    never predicted, the last one predicted but never true."""
    names = rng.choice(["bad", "fine", "good", "great", "poor", "mixed", "okay"],
                       int(rng.integers(4, 7)), replace=False)  # fmt: skip
    n = int(rng.integers(20, 60))
    y_true = rng.choice(names[:-1], n)
    y_true[:2] = names[0]
    guess = rng.choice(names[1:], n)
    y_pred = np.where((rng.random(n) < 0.6) & (y_true != names[0]), y_true, guess)
    y_pred[rng.choice(n, 2, replace=False)] = names[-1]
    return y_true, y_pred


@checked
def check_macro_f1(fn: Callable) -> None:
    """Exercise 2.2: ``fn(y_true, y_pred)`` -> macro-averaged F1, written by hand."""
    rng = np.random.default_rng(0)
    labels = np.array(["negative", "neutral", "positive"])
    y_true = rng.choice(labels, size=200, p=[0.1, 0.15, 0.75])
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.choice(labels, size=200))
    cases = [
        (y_true, y_pred),
        # "c" is never predicted (precision 0/0), "d" is predicted but never true
        (np.array(["a", "a", "b", "b", "c", "a"]), np.array(["a", "d", "b", "b", "a", "a"])),
        _random_labels(fresh_rng()),
    ]

    def check_one(case) -> None:
        t, p = case
        never = "a class that is never predicted has precision 0/0: count its F1 as 0."
        got = number(call(fn, t.copy(), p.copy(), errors={ZeroDivisionError: never.capitalize()}),
                      "macro-F1", nan=never)  # fmt: skip
        union = np.union1d(t, p)
        scores = _per_class(t, p, union)
        support = np.array([np.sum(t == c) for c in union])
        mp, mr = scores[:, 0].mean(), scores[:, 1].mean()
        judge(got, scores[:, 2].mean(), [
            ("That is accuracy (= micro-F1 here); macro-F1 averages the per-class F1 scores.",
             np.mean(t == p)),
            ("That is the support-weighted F1; macro-F1 gives every class the same weight.",
             np.sum(scores[:, 2] * support) / support.sum()),
            (("You averaged over the classes of y_true only; a class that is only predicted "
              "counts too (its F1 is 0)."), _per_class(t, p, np.unique(t))[:, 2].mean()),
            (("You took the F1 of the averaged precision and recall; average the per-class "
              "F1 scores instead."), 2 * mp * mr / (mp + mr)),
            ("That is the macro-averaged precision, not F1.", mp),
            ("That is the macro-averaged recall, not F1.", mr),
        ], "Not quite: compute F1 for each class that occurs in either array, then take "
           "their plain mean.")  # fmt: skip

    over(cases, check_one)
    ok("macro-F1 is the unweighted mean of the per-class F1, 0 for a class never hit.")


@checked
def check_cards_without_year(cards: Sequence[str], items: pd.DataFrame) -> None:
    """Exercise 2.3: item cards that keep title words and genres but drop the year."""
    if cards is None or cards is Ellipsis:
        raise ExerciseError("cards_no_year is not computed yet: replace the `...` with your code.")
    if isinstance(cards, (pd.Series, np.ndarray)):
        cards = list(cards)
    if not isinstance(cards, (list, tuple)) or len(cards) != len(items):
        raise ExerciseError(
            f"Give a list with one card per movie, in the order of `items` ({len(items)}).")
    if not all(isinstance(c, str) for c in cards):
        raise ExerciseError("Every card should be a string.")
    for card, title, genres in zip(cards, items["title"], items["genres"]):
        words = set(re.findall(r"\w+", card.lower()))
        years = re.findall(r"\((\d{4})\)", title)
        kept = re.sub(r"\(\d{4}\)", " ", title)
        if re.search(r"\(\d{4}\)", card) or any(y in card and y not in kept for y in years):
            raise ExerciseError(f"Some cards still contain a year, e.g. {card!r}; remove every "
                                "(YYYY), wherever it is in the title.")  # fmt: skip
        missing = [w for w in re.findall(r"\w+", kept.lower()) if w not in words]
        if missing:
            raise ExerciseError(f"The card {card!r} lost the title words {missing}: remove only "
                                "the year, and keep the cards in the order of `items`.")
        lost = [g for g in str(genres).split("|") if g.lower() not in card.lower()]
        if lost:
            raise ExerciseError(f"The card {card!r} lost its genres {lost}; keep the genres.")
    ok("every card keeps its title words and genres, without the year.")

