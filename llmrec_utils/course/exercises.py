"""Checks for the book's coding exercises.

Each ``check_*`` function accepts a correct answer (printing a short
confirmation) and raises :class:`ExerciseError` with a hint for a wrong one.

How a check holds:

* a check that takes a function runs it on at least two cases, one of them
  built so that each common mistake for the exercise gives a different answer
  from the correct one; the hint then names the mistake;
* hints never print the expected value or the formula: they name what went
  wrong (the success message may confirm the idea);
* the student's function is called through :func:`_call`, so a stub
  (``raise NotImplementedError()``, ``...``, ``pass``) or a crash becomes a
  hint rather than a traceback;
* harmless differences pass: a NumPy scalar, 0-d or one-element array for a
  number, int for float, list for tuple, spans in any order.

The reference answer is computed here from the same data, never typed in.
The exercises themselves are in the chapters; see ``book/setup.md`` for the
convention.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..config import logger
from ..data.columns import ITEM, RATING, TIMESTAMP, USER


class ExerciseError(AssertionError):
    """A wrong answer; the message says what is wrong and how to look for it."""


# --- shared helpers -------------------------------------------------------------------
def _ok(message: str) -> None:
    logger().info(f"Correct: {message}")


def _call(fn: Callable, *args, errors: dict | None = None):
    """``fn(*args)``, with a stub or an exception turned into a hint.

    ``errors`` maps an exception type to a hint for the mistake that usually
    raises it (e.g. ``ZeroDivisionError`` when an edge case is not handled).
    """
    if not callable(fn):
        raise ExerciseError(
            f"Pass your function itself (not its result); got a {type(fn).__name__}.")
    try:
        out = fn(*args)
    except ExerciseError:
        raise
    except NotImplementedError:
        raise ExerciseError("Your function still raises NotImplementedError: "
                            "replace that line with your code.") from None  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - any crash becomes a hint
        name = type(exc).__name__
        for kind, hint in (errors or {}).items():
            if isinstance(exc, kind):
                raise ExerciseError(f"Your function raised {name} ({exc}). {hint}") from None
        raise ExerciseError(f"Your function raised {name}: {str(exc).rstrip('.')}. Call it "
                            "yourself on a small input to see which line fails.") from None
    if out is None or out is Ellipsis:
        raise ExerciseError("Your function returned None: it still ends in `...` or `pass`, "
                            "or a `return` is missing.")  # fmt: skip
    return out


def _number(answer, name: str, nan: str = "look for a 0/0 or a missing value.") -> float:
    """A float from a number, a NumPy scalar, a 0-d or one-element array or list."""
    if answer is None or answer is Ellipsis:
        raise ExerciseError(f"{name} is not computed yet: replace the `...` with your code.")
    if isinstance(answer, (str, bytes)):
        raise ExerciseError(f"{name} should be a number, got the text {answer!r}.")
    if hasattr(answer, "detach"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        values = np.asarray(answer, dtype=object).ravel()
        if values.size != 1:
            raise ExerciseError(f"{name} should be a single number, got {values.size} values "
                                f"(a {type(answer).__name__}).")  # fmt: skip
        answer = values[0]
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise ExerciseError(f"{name} should be a number, got {answer!r}.") from None
    if math.isnan(value):
        raise ExerciseError(f"{name} is NaN; {nan}")
    return value


def _array(answer, name: str, shape: tuple | None = None) -> np.ndarray:
    """A float array from an array, a tensor or nested lists, of ``shape`` if given."""
    if hasattr(answer, "detach"):
        answer = answer.detach().cpu().numpy()
    try:
        arr = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        kind = type(answer).__name__
        raise ExerciseError(f"{name} should be an array of numbers, got a {kind}.") from None
    if shape is not None and arr.shape != tuple(shape):
        squeezed = tuple(d for d in shape if d != 1)
        if arr.size == math.prod(shape) and arr.squeeze().shape == squeezed:
            return arr.reshape(shape)  # (n, 1) or (1, n) for (n,): harmless
        raise ExerciseError(f"{name} should have shape {tuple(shape)}, got {arr.shape}.")
    return arr


def _same(got, want, tol: float = 1e-6) -> bool:
    """Numbers or arrays equal within a relative tolerance (inf equals inf)."""
    try:
        g, w = np.asarray(got, float), np.asarray(want, float)
    except (TypeError, ValueError):
        return False
    if g.shape != w.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(g, w, rtol=tol, atol=1e-9, equal_nan=False))


def _judge(got, want, mistakes: Iterable[tuple[str, object]], otherwise: str, same=_same) -> bool:
    """True if ``got`` is right; else raise the hint of the first mistake it equals.

    ``mistakes`` holds ``(hint, wrong answer)`` pairs computed on the same input.
    """
    if same(got, want):
        return True
    for hint, wrong in mistakes:
        if wrong is not None and same(got, wrong):
            raise ExerciseError(hint)
    raise ExerciseError(otherwise)


def _ratio(a, b):
    """``a / b``, or None where a mistake's formula divides by zero on this input."""
    return None if b == 0 else a / b


# --- chapter 1 -----------------------------------------------------------------
_STUB = "Your function still raises NotImplementedError: replace that line with your code."


def _contract_frame(**changes) -> pd.DataFrame:
    """A small ratings frame that holds the contract; ``changes`` overwrite columns."""
    df = pd.DataFrame({
        USER: [3, 1, 3, 2, 1],
        ITEM: [10, 10, 11, 12, 13],
        RATING: [5.0, 1.0, 4.0, 3.0, 2.0],
        TIMESTAMP: [50, 10, 40, 30, 20],
        "title": ["a", None, "c", "d", "e"],
    }, index=[7, 3, 9, 1, 4])  # fmt: skip
    return df.assign(**changes)


def _rejects(fn: Callable, df: pd.DataFrame, what: str, accepted: str) -> None:
    """``fn(df)`` must raise ValueError; ``accepted`` is the hint if it does not."""
    try:
        fn(df)
    except ValueError:
        return
    except NotImplementedError:
        raise ExerciseError(_STUB) from None
    except Exception as exc:  # noqa: BLE001 - any other crash becomes a hint
        raise ExerciseError(
            f"On {what}, your function raised {type(exc).__name__} ({exc}). Raise a "
            "ValueError that says what is wrong, so a caller gets one kind of error; "
            "check that a column exists before you use it.") from None  # fmt: skip
    raise ExerciseError(f"Your function accepted {what}. {accepted}")


def check_validate(fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Exercise 1.1: ``fn(df)`` returns ``df`` if it holds the column contract,
    else raises ``ValueError``."""
    if not callable(fn):
        _call(fn)
    clean = [
        (_contract_frame(), {ValueError: (
            "That frame holds the contract: ratings of exactly 1 and 5 are on the "
            "scale, a user may rate several items and an item may be rated by several "
            "users, and a missing value outside user, item and rating does not matter.")}),
        (_contract_frame()[[RATING, ITEM, USER]].astype({RATING: int}).reset_index(drop=True),
         {ValueError: ("That frame holds the contract (integer ratings, the columns in "
                       "another order, no timestamp): only user, item and rating are "
                       "required.")}),
    ]  # fmt: skip
    for df, errors in clean:
        out = _call(fn, df.copy(), errors=errors)
        if not isinstance(out, pd.DataFrame) or len(out) != len(df):
            raise ExerciseError("When the frame holds the contract, return it unchanged "
                                "(the same rows), so calls can be chained.")  # fmt: skip
    bad = _contract_frame()
    _rejects(fn, bad.drop(columns=[RATING]), "a frame without a `rating` column",
             "Check that user, item and rating are all present.")
    _rejects(fn, bad.assign(**{ITEM: [10, np.nan, 11, 12, 13]}), "a missing item id",
             "Look for missing values in the contract's columns.")
    _rejects(fn, bad.assign(**{RATING: [5.0, 0.0, 4.0, 3.0, 2.0]}), "a rating of 0",
             "Ratings are stars from 1 to 5.")
    _rejects(fn, bad.assign(**{RATING: [6.0, 1.0, 4.0, 3.0, 2.0]}), "a rating of 6",
             "Ratings are stars from 1 to 5.")
    _rejects(fn, bad.assign(**{ITEM: [10, 10, 10, 12, 13]}),
             "a (user, item) pair that appears twice",
             "Each user rates an item at most once: look for repeated (user, item) pairs.")
    _ok("the contract is checked, and a frame that holds it passes unchanged.")


def _ranked_lists() -> list[tuple[pd.DataFrame, pd.DataFrame, int]]:
    """``(recs, truth, k)`` cases whose rows are not in rank order.

    Lists are longer than ``k``; one truth user has no list, one listed user no
    truth, one truth user more relevant items than ``k``, one hit sits at rank k.
    """
    first = pd.DataFrame([
        (1, 14, 4), (1, 11, 1), (1, 12, 2), (1, 13, 3), (1, 15, 5),
        (2, 23, 3), (2, 21, 1), (2, 22, 2), (2, 24, 4),
        (4, 41, 1), (4, 42, 2), (4, 43, 3), (6, 61, 1), (6, 62, 2),
        (5, 51, 2), (5, 50, 1), (5, 52, 3), (5, 53, 4),
    ], columns=[USER, ITEM, "rank"])  # fmt: skip
    truth1 = pd.DataFrame([(1, 11), (1, 14), (2, 23), (3, 31), (5, 50), (5, 51),
                           (5, 53), (5, 59)], columns=[USER, ITEM])  # fmt: skip
    second = pd.DataFrame([
        (7, 72, 2), (7, 71, 1), (7, 73, 3), (8, 82, 2), (8, 81, 1), (8, 83, 3),
    ], columns=[USER, ITEM, "rank"])  # fmt: skip
    truth2 = pd.DataFrame([(7, 72), (7, 73), (8, 83), (9, 91)], columns=[USER, ITEM])
    return [(first, truth1, 3), (second, truth2, 2)]


def _recall(recs, truth, k, *, cut=True, strict=False, by_row=False, denom="relevant",
            users="truth", any_hit=False) -> float:  # fmt: skip
    """Recall@k and its usual mistakes (the keyword arguments)."""
    rel = truth.groupby(USER)[ITEM].apply(set)
    ordered = recs if by_row else recs.sort_values([USER, "rank"])
    values = {}
    for user, group in ordered.groupby(USER, sort=False):
        top = list(group[ITEM])
        if cut:
            top = top[: k - 1] if strict else top[:k]
        found = rel.get(user, set())
        hits = sum(i in found for i in top)
        size = {"relevant": len(found), "k": k, "min": min(k, len(found))}[denom]
        values[user] = float(hits > 0) if any_hit else (hits / size if size else 0.0)
    listed = set(recs[USER])
    pool = {"truth": rel.index, "both": [u for u in rel.index if u in listed],
            "listed": sorted(listed)}[users]  # fmt: skip
    return float(np.mean([values.get(u, 0.0) for u in pool]))


def check_recall(fn: Callable) -> None:
    """Exercise 1.2: ``fn(recs, truth, k) -> float``, mean Recall@k over truth users."""
    for recs, truth, k in _ranked_lists():
        got = _number(_call(fn, recs.copy(), truth.copy(), k), "recall")
        _judge(got, _recall(recs, truth, k), [
            ("You did not cut the lists at k: only the first k items count.",
             _recall(recs, truth, k, cut=False)),
            ("You kept the first k-1 items: ranks start at 1, so rank k is in the top k.",
             _recall(recs, truth, k, strict=True)),
            (("You took each user's first rows, not the best ranks: the rows are not in "
              "rank order, so sort by rank first."), _recall(recs, truth, k, by_row=True)),
            (("You divided by k: that is precision; recall divides by the user's relevant "
             "items."), _recall(recs, truth, k, denom="k")),
            (("You capped the denominator at k; recall divides by all of the user's "
              "relevant items."), _recall(recs, truth, k, denom="min")),
            ("You counted a user as 1 if any item is found: that is the hit rate.",
             _recall(recs, truth, k, any_hit=True)),
            (("You averaged only over users who have a list: a user with relevant items "
              "but no list scores 0 and still counts."), _recall(recs, truth, k, users="both")),
            (("You averaged over the users who have a list; average over the users in "
              "truth (a user with no relevant items has no recall)."),
             _recall(recs, truth, k, users="listed")),
        ], "Not quite: for each user in truth, count their relevant items among their k "
           "best-ranked, divide by their number of relevant items, then average.")  # fmt: skip
    _ok("Recall@k: top k by rank, over each user's relevant items, averaged over users.")


def _tiny_logs() -> list[pd.DataFrame]:
    """Small logs in scrambled order whose answers are known.

    In the first, no user's latest rating is their last row, their first row,
    their highest item id or their highest rating; the second has a scrambled,
    non-default index.
    """
    first = pd.DataFrame({
        USER: [1, 2, 3, 1, 2, 1, 3, 2],
        ITEM: [12, 14, 13, 10, 11, 15, 11, 10],
        RATING: [3, 4, 5, 2, 1, 4, 1, 2],
        TIMESTAMP: [100, 60, 20, 300, 70, 200, 10, 50],
    })  # fmt: skip
    second = pd.DataFrame({
        USER: [7, 5, 5, 9, 7, 5, 9],
        ITEM: [3, 1, 2, 4, 1, 5, 2],
        RATING: [4, 5, 3, 2, 1, 4, 5],
        TIMESTAMP: [900, 400, 800, 1000, 700, 600, 950],
    }, index=[40, 12, 3, 25, 8, 31, 17])  # fmt: skip
    return [first, second]


def _latest(log: pd.DataFrame, by: str = TIMESTAMP, last: bool = True) -> set:
    rows = log.sort_values([USER, by]).groupby(USER).tail(1) if last else \
        log.sort_values([USER, by]).groupby(USER).head(1)
    return set(map(tuple, rows[[USER, ITEM]].to_numpy().tolist()))


def check_leave_last_out(fn: Callable[[pd.DataFrame], tuple]) -> None:
    """Exercise 1.3: ``fn(ratings) -> (train, test)``, each user's latest rating in test."""
    for log in _tiny_logs():
        result = _call(fn, log.copy())
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise ExerciseError("Return a tuple (train, test) of two DataFrames.")
        train, test = result
        for name, part in (("train", train), ("test", test)):
            if not isinstance(part, pd.DataFrame) or not {USER, ITEM}.issubset(part.columns):
                raise ExerciseError(f"{name} should be a DataFrame with the columns of the input.")
        if len(train) + len(test) != len(log):
            raise ExerciseError(
                f"train and test together have {len(train) + len(test)} rows; the input has "
                f"{len(log)}. Every rating must land in exactly one of them.")  # fmt: skip
        if test[USER].duplicated().any() or set(test[USER]) != set(log[USER]):
            raise ExerciseError("test should hold exactly one rating per user, for every user.")
        got = set(map(tuple, test[[USER, ITEM]].to_numpy().tolist()))
        row_order = set(map(tuple, log.groupby(USER).tail(1)[[USER, ITEM]].to_numpy().tolist()))
        _judge(got, _latest(log), [
            ("You kept each user's *earliest* rating; the latest has the largest timestamp.",
             _latest(log, last=False)),
            (("You took each user's last *row*: the rows are not in time order, so sort by "
              "timestamp first."), row_order),
            ("You sorted by item id, not by timestamp.", _latest(log, ITEM)),
            ("You sorted by rating, not by timestamp.", _latest(log, RATING)),
        ], "test does not hold each user's most recent rating. Sort by timestamp within "
           "each user; do not rely on row order.", same=lambda a, b: a == b)  # fmt: skip
        pairs = set(map(tuple, train[[USER, ITEM]].to_numpy().tolist()))
        if pairs & got or pairs | got != set(map(tuple, log[[USER, ITEM]].to_numpy().tolist())):
            raise ExerciseError("train should hold every rating that is not in test, and only "
                                "those.")
    _ok("each user's latest rating is held out, and nothing leaks into train.")


# --- chapter 2 -----------------------------------------------------------------
def check_mean_pool(fn: Callable) -> None:
    """Exercise 2.1: ``fn(token_embeddings, attention_mask)`` -> masked mean, (batch, dim)."""
    import torch

    from ..text.embeddings import mean_pool

    gen = torch.Generator().manual_seed(0)
    cases = [
        (torch.randn(3, 5, 4, generator=gen),
         torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])),
        (torch.randn(2, 6, 3, generator=gen) + 1.0,
         torch.tensor([[1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]])),
    ]  # fmt: skip
    for tokens, mask in cases:
        got = _call(fn, tokens.clone(), mask.clone())
        if not isinstance(got, (torch.Tensor, np.ndarray)):
            raise ExerciseError(f"Return a torch.Tensor, got {type(got).__name__}.")
        got = _array(got, "the pooled batch", (tokens.shape[0], tokens.shape[2]))
        m = mask.unsqueeze(-1).float()
        want = mean_pool(tokens, mask)
        _judge(got, want.numpy(), [
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
    _ok("padding positions are ignored and each text is averaged over its own tokens.")


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
    ]
    for t, p in cases:
        never = "a class that is never predicted has precision 0/0: count its F1 as 0."
        got = _number(_call(fn, t.copy(), p.copy(), errors={ZeroDivisionError: never.capitalize()}),
                      "macro-F1", nan=never)  # fmt: skip
        union = np.union1d(t, p)
        scores = _per_class(t, p, union)
        support = np.array([np.sum(t == c) for c in union])
        mp, mr = scores[:, 0].mean(), scores[:, 1].mean()
        _judge(got, scores[:, 2].mean(), [
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
    _ok("macro-F1 is the unweighted mean of the per-class F1, 0 for a class never hit.")


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
    _ok("every card keeps its title words and genres, without the year.")


# --- chapter 3 -----------------------------------------------------------------
def check_align_labels(fn: Callable) -> None:
    """Exercise 3.1: ``fn(word_ids, word_labels)`` -> one label id per sub-word token."""
    from ..text.ner import IGNORE, align_labels

    cases = [
        ([None, 0, 0, 1, 2, 2, 2, None], [4, 0, 7]),
        ([None, 0, 1, 1, 2, None, None], [1, 2, 3]),
        ([None, None], []),
    ]
    for word_ids, labels in cases:
        got = _call(fn, list(word_ids), list(labels))
        try:
            got = [int(x) for x in got]
        except (TypeError, ValueError):
            raise ExerciseError("Return a list of integer label ids, one per token.") from None
        if len(got) != len(word_ids):
            raise ExerciseError(
                f"Return one label per sub-word token ({len(word_ids)}), got {len(got)}.")
        nxt = word_ids[1:] + [None]
        last = [IGNORE if w is None or w == after else labels[w]
                for w, after in zip(word_ids, nxt)]  # fmt: skip
        _judge(got, align_labels(word_ids, labels), [
            (("You gave every sub-word its word's label; label only the first sub-word and "
              f"put {IGNORE} on the continuations, so each word counts once."),
             [IGNORE if w is None else labels[w] for w in word_ids]),
            ("You labelled the *last* sub-word of each word; label the first one.", last),
            (("You matched labels to tokens by position (padding the word labels); look each "
              "token's word up through its word id."),
             [labels[j] if j < len(labels) else IGNORE for j in range(len(word_ids))]),
            (f"Special tokens (word id None) must get {IGNORE}, not a label.",
             [0 if w is None else v for w, v in zip(word_ids, align_labels(word_ids, labels))]),
        ], "Not quite: compare each token's word id with the previous token's.",
           same=lambda a, b: list(a) == list(b))  # fmt: skip
    _ok("first sub-word labelled, continuations and special tokens ignored.")


def _f1(shared: int, n_gold: int, n_pred: int) -> float:
    return 2 * shared / (n_gold + n_pred) if shared else 0.0


def check_entity_f1(fn: Callable) -> None:
    """Exercise 3.2: ``fn(gold, pred)`` -> micro entity-level F1 over BIO sentences."""
    from ..text.ner import spans

    gold = [["B-FIT", "I-FIT", "O", "B-SIZE"], ["O", "B-COLOR", "O"], ["B-FABRIC", "O", "O"],
            ["B-SIZE", "O"], ["B-SIZE", "O"], ["O", "B-COLOR"]]  # fmt: skip
    pred = [["B-FIT", "O", "O", "B-SIZE"], ["O", "B-COLOR", "O"], ["O", "O", "B-FABRIC"],
            ["B-SIZE", "O"], ["B-SIZE", "B-FIT"], ["O", "B-FIT"]]  # fmt: skip
    cases = [(gold, pred), (gold[:3], [["O"] * len(s) for s in gold[:3]]), (gold[1:2], gold[1:2])]
    for g, p in cases:
        got = _number(_call(fn, [list(s) for s in g], [list(s) for s in p], errors={
            ZeroDivisionError: "With no predicted spans precision is 0/0: the F1 is then 0."}),
            "entity F1")  # fmt: skip
        gs = [set(spans(s)) for s in g]
        ps = [set(spans(s)) for s in p]
        shared = sum(len(a & b) for a, b in zip(gs, ps))
        n_g, n_p = sum(map(len, gs)), sum(map(len, ps))
        flat_g, flat_p = [t for s in g for t in s], [t for s in p for t in s]
        hits = sum(a == b != "O" for a, b in zip(flat_g, flat_p))
        pooled_g, pooled_p = set().union(*gs), set().union(*ps)
        untyped = sum(len({x[1:] for x in a} & {x[1:] for x in b}) for a, b in zip(gs, ps))
        per_sentence = [_f1(len(a & b), len(a), len(b)) for a, b in zip(gs, ps)]
        _judge(got, _f1(shared, n_g, n_p), [
            ("That is the precision alone (shared / predicted spans); F1 combines it with recall.",
             shared / n_p if n_p else None),
            ("That is the recall alone (shared / gold spans); F1 combines it with precision.",
             shared / n_g if n_g else None),
            (("That is a token-level score: it gives credit for the B-FIT of a two-word FIT span "
              "whose I-FIT was missed. Compare whole spans (type, start, end)."),
             _f1(hits, sum(t != "O" for t in flat_g), sum(t != "O" for t in flat_p))),
            (("You averaged the F1 of each sentence; pool the span counts over all sentences "
              "first (micro average)."), float(np.mean(per_sentence))),
            (("You put the spans of all sentences into one set, so equal spans of different "
              "sentences collapse; count shared spans sentence by sentence."),
             _f1(len(pooled_g & pooled_p), len(pooled_g), len(pooled_p))),
            ("You matched spans on their boundaries only; the entity type must match too.",
             _f1(untyped, n_g, n_p)),
        ], "Not quite: compare the spans of gold and pred sentence by sentence, pool the "
           "counts, then combine precision and recall.")  # fmt: skip
    _ok("entity-level F1 pools whole spans over sentences: a half-found entity is a miss.")


def _read_spans(tags, b_restarts=True, stray_i=True, typed_i=True, flush=True) -> list:
    """Spans of a BIO sequence, sorted; each flag switched off is one usual mistake."""
    out, current = [], None  # current: (type, start) of the open span
    for i, tag in enumerate(list(tags) + (["O"] if flush else [])):
        kind = None if tag == "O" else tag[2:]
        if current is not None and (tag == "O" or (b_restarts and tag[0] == "B")
                                    or (typed_i and kind != current[0])):  # fmt: skip
            out.append((current[0], current[1], i))
            current = None
        if kind and current is None and (stray_i or tag[0] == "B"):
            current = (kind, i)
    return sorted(out)


def check_spans(fn: Callable) -> None:
    """Exercise 3.3: ``fn(tags)`` -> entity spans ``(type, start, end)`` of a BIO sequence."""
    from ..text.ner import spans

    cases = [
        ["B-FIT", "I-FIT", "O", "B-SIZE"],
        ["B-COLOR", "B-COLOR", "I-COLOR", "O", "B-FIT"],
        ["O", "I-FABRIC", "I-FABRIC", "O", "B-SIZE", "I-SIZE"],
        ["B-FIT", "I-SIZE", "I-SIZE", "O", "B-COLOR"],
        ["O", "B-SIZE", "O", "B-FIT", "I-FIT", "I-FIT"],
        [],
    ]
    for tags in cases:
        got = _call(fn, list(tags))
        try:
            got = sorted((str(t), int(s), int(e)) for t, s, e in got)
        except (TypeError, ValueError):
            raise ExerciseError("Return a list of (type, start, end) tuples.") from None
        want = sorted(spans(tags))
        _judge(got, want, [
            ("The type of a span is the tag without its B-/I- prefix.",
             sorted((tags[s][:2] + t, s, e) for t, s, e in want)),
            ("Use end = one past the last word, so a one-word span has end = start + 1.",
             [(t, s, e - 1) for t, s, e in want]),
            ("A B- tag always starts a new span, even right after a span of its type.",
             _read_spans(tags, b_restarts=False)),
            ("An I- tag with no span to continue starts a new span (seqeval's lenient reading).",
             _read_spans(tags, stray_i=False)),
            ("An I- tag of another type cannot continue a span: it starts a new one.",
             _read_spans(tags, typed_i=False)),
            ("Close the span that is still open when the tags end.",
             _read_spans(tags, flush=False)),
        ], f"For the tags {tags} your spans differ from seqeval's reading: B- starts a span, "
           "I- continues one of its type.", same=lambda a, b: list(a) == list(b))  # fmt: skip
    _ok("spans read the way seqeval reads them.")


# --- chapter 4: matrix factorisation ----------------------------------------------
def _small_factors(seed: int = 0):
    from ..models.mf import Factors

    rng = np.random.default_rng(seed)
    return Factors(3.5, rng.normal(0, 0.3, 4), rng.normal(0, 0.3, 5),
                   rng.normal(0, 0.5, (4, 3)), rng.normal(0, 0.5, (5, 3)))  # fmt: skip


def _sgd_variant(p, q, bu, bi, mu, r, lr, reg, breg, *, sign=1.0, sequential=False,
                 factor_reg=True, bias_reg=None, biases=True):  # fmt: skip
    """One SGD step, with one of the usual mistakes switched on."""
    e = sign * (r - (mu + bu + bi + p @ q))
    lam = reg if factor_reg else 0.0
    breg = breg if bias_reg is None else bias_reg
    p_new = p + lr * (e * q - lam * p)
    q_new = q + lr * (e * (p_new if sequential else p) - lam * q)
    if not biases:
        return p_new, q_new, bu, bi
    return p_new, q_new, bu + lr * (e - breg * bu), bi + lr * (e - breg * bi)


def check_sgd_step(fn: Callable) -> None:
    """``fn(p, q, bu, bi, mu, r, lr, reg, bias_reg) -> (p, q, bu, bi)``: one SGD step."""
    from ..models.mf import gradients

    for seed, (u, i, r, lr, reg, breg) in [(0, (1, 2, 4.0, 0.05, 0.1, 0.2)),
                                           (3, (2, 4, 1.0, 0.1, 0.3, 0.05))]:  # fmt: skip
        f = _small_factors(seed)
        # with one rating, n_u = n_i = 1 and J is exactly that rating's term
        g = gradients(f, np.array([u]), np.array([i]), np.array([r]), reg, breg)
        want = [f.P[u] - lr / 2 * g["P"][u], f.Q[i] - lr / 2 * g["Q"][i],
                f.bu[u] - lr / 2 * g["bu"][u], f.bi[i] - lr / 2 * g["bi"][i]]  # fmt: skip
        args = (f.P[u].copy(), f.Q[i].copy(), float(f.bu[u]), float(f.bi[i]), f.mu,
                r, lr, reg, breg)  # fmt: skip
        got = _call(fn, *args)
        if not isinstance(got, (tuple, list)) or len(got) != 4:
            raise ExerciseError("Return a tuple (p, q, bu, bi) of the updated parameters.")
        got = [_array(got[0], "p", (3,)), _array(got[1], "q", (3,)),
               _number(got[2], "bu"), _number(got[3], "bi")]  # fmt: skip

        def same(a, b):
            return all(_same(x, y, 1e-8) for x, y in zip(a, b))

        _judge(got, want, [
            ("You updated q with the *new* p; both updates use the old values.",
             _sgd_variant(*args, sequential=True)),
            ("Check the sign of the error: e = r - r_hat (the rating minus the prediction).",
             _sgd_variant(*args, sign=-1.0)),
            ("The factors are not regularised: shrink p and q by reg as well.",
             _sgd_variant(*args, factor_reg=False)),
            ("The biases use `reg`; they have their own regulariser, `bias_reg`.",
             _sgd_variant(*args, bias_reg=reg)),
            ("The biases were not updated; update bu and bi too.",
             _sgd_variant(*args, biases=False)),
            ("Your step is twice too large: the update uses lr, not 2 lr.",
             [2 * b - a for a, b in zip(args[:4], want)]),
        ], "Not quite: compute the error once with the old parameters, then move each "
           "parameter along it, minus its regularisation.", same=same)  # fmt: skip
    _ok("your step equals -lr/2 times the exact gradient of the rating's loss term.")


def _ridge_user(Q, b_items, items, ratings, mu, reg, breg, *, n_weight=True, centre_items=True,
                centre_mu=True, joint=True):  # fmt: skip
    """The user's (p_u, b_u), with one of the usual mistakes switched on."""
    d = Q.shape[1]
    target = ratings - (mu if centre_mu else 0.0) - (b_items[items] if centre_items else 0.0)
    lam = reg * (len(items) if n_weight else 1)
    if not joint:  # the bias first, as a regularised mean, then the factors
        b = target.sum() / (len(items) + breg)
        Qu = Q[items]
        return np.linalg.solve(Qu.T @ Qu + lam * np.eye(d), Qu.T @ (target - b)), b
    X = np.hstack([Q[items], np.ones((len(items), 1))])
    sol = np.linalg.solve(X.T @ X + np.diag([lam] * d + [breg]), X.T @ target)
    return sol[:d], sol[d]


def check_als_user(fn: Callable) -> None:
    """``fn(Q, b_items, items, ratings, mu, reg, bias_reg) -> (p_u, b_u)``."""
    from ..models.mf import als_half_step, rating_matrix

    cases = [(1, [0, 2, 3], [5.0, 3.0, 4.0], 0.1, 2.0),
             (2, [1, 2, 3, 4], [2.0, 4.0, 1.0, 5.0], 0.3, 0.5)]  # fmt: skip
    for seed, items, ratings, reg, breg in cases:
        f = _small_factors(seed)
        items, ratings = np.array(items), np.array(ratings)
        R = rating_matrix(np.zeros(len(items), int), items, ratings - f.mu, (1, len(f.bi)))
        p_want, b_want = als_half_step(R, f.Q, f.bi, reg, breg)
        args = (f.Q.copy(), f.bi.copy(), items.copy(), ratings.copy(), f.mu, reg, breg)
        got = _call(fn, *args)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise ExerciseError("Return a tuple (p_u, b_u).")
        got = (_array(got[0], "p_u", (f.Q.shape[1],)), _number(got[1], "b_u"))

        def same(a, b):
            # the package accumulates in float32
            return _same(a[0], b[0], 1e-5) and _same(a[1], b[1], 1e-5)

        _judge(got, (p_want[0], b_want[0]), [
            ("The ridge on the factors is reg times n_u, the user's number of ratings.",
             _ridge_user(*args, n_weight=False)),
            ("Subtract the items' biases from the ratings before solving.",
             _ridge_user(*args, centre_items=False)),
            ("Subtract the global mean mu from the ratings before solving.",
             _ridge_user(*args, centre_mu=False)),
            ("The bias has its own regulariser, bias_reg, not reg times n_u.",
             _ridge_user(*args[:6], reg * len(items))),
            (("You fitted the bias first and the factors after; solve p_u and b_u jointly "
              "(one system with a column of ones)."), _ridge_user(*args, joint=False)),
        ], "Not quite: stack [q_i; 1] for the user's items and solve the regularised normal "
           "equations for [p_u; b_u].", same=same)  # fmt: skip
    _ok("the user's factors and bias solve the ridge regression exactly.")


def _zero_diagonal(B: np.ndarray) -> np.ndarray:
    np.fill_diagonal(B, 0.0)
    return B


def check_ease(fn: Callable) -> None:
    """``fn(X, lam) -> B``: EASE's item-item weights for a dense 0/1 matrix X."""
    rng = np.random.default_rng(0)
    for n_users, n_items, lam in [(30, 8, 5.0), (12, 6, 0.5)]:
        X = (rng.random((n_users, n_items)) < 0.4).astype(float)
        G = X.T @ X
        P = np.linalg.inv(G + lam * np.eye(n_items))
        want = _zero_diagonal(-P / np.diag(P))
        got = _array(_call(fn, X.copy(), lam), "B")
        if got.shape == (n_users, n_users):
            raise ExerciseError("B is users x users: the Gram matrix is X^T X (items x items).")
        if got.shape != want.shape:
            raise ExerciseError(f"B should be items x items {want.shape}, got {got.shape}.")
        singular = np.linalg.matrix_rank(G) < n_items
        no_lam = None if singular else _zero_diagonal(-np.linalg.inv(G) / np.diag(np.linalg.inv(G)))
        _judge(got, want, [
            ("B's diagonal must be zero: an item may not predict itself.", -P / np.diag(P)),
            ("You divided each *row* by its diagonal entry; divide each column j by P[j, j].",
             _zero_diagonal(-P / np.diag(P)[:, None])),
            ("The sign is flipped: B is minus P over its diagonal.", -want),
            ("lam is missing: add lam to the diagonal of X^T X before inverting.", no_lam),
        ], "Not quite: invert the regularised Gram matrix, scale its columns, zero the "
           "diagonal.")  # fmt: skip
    _ok("your B matches the closed form, zero diagonal included.")


# --- chapter 5: hybrids -----------------------------------------------------------
def check_zscore_rows(fn: Callable) -> None:
    """``fn(S) -> Z``: standardise each row; a constant row becomes zeros."""
    from ..models.hybrid import zscore_rows

    cases = [
        np.array([[1.0, 2.0, 3.0, 6.0], [4.0, 4.0, 4.0, 4.0], [0.0, -1.0, 5.0, 2.0]]),
        np.array([[-3.0, 0.5, 2.0], [0.0, 0.0, 0.0], [10.0, 12.0, 17.0], [-1.0, -4.0, -2.0]]),
    ]
    for S in cases:
        with np.errstate(all="ignore"):
            got = _array(_call(fn, S.copy(), errors={ValueError: (
                "Shapes do not broadcast: keep the row axis (keepdims=True) so each row "
                "uses its own mean and std.")}), "Z", S.shape)
        if not np.isfinite(got).all():
            raise ExerciseError("Z has NaN or inf: a constant row has standard deviation 0; "
                                "return zeros for it instead of dividing.")  # fmt: skip
        # constant rows stay zeros in each mistake, as the exercise asks, so one mistake shows
        mean, sd = S.mean(axis=1, keepdims=True), S.std(axis=1, keepdims=True)
        safe = np.where(sd > 0, sd, 1.0)
        sample_sd = np.where(sd > 0, S.std(axis=1, ddof=1, keepdims=True), 1.0)
        _judge(got, zscore_rows(S), [
            ("You used the sample standard deviation (ddof=1); use the population one (ddof=0).",
             np.where(sd > 0, (S - mean) / sample_sd, 0.0)),
            ("You standardised the columns (axis=0); standardise each row (axis=1).",
             (S - S.mean(axis=0)) / S.std(axis=0)),
            ("You used the mean and std of the whole matrix; use each row's own.",
             (S - S.mean()) / S.std()),
            ("You did not subtract the row mean.", np.where(sd > 0, S / safe, 0.0)),
            ("You did not divide by the row's standard deviation.", S - mean),
        ], "Not quite: subtract each row's mean and divide by that row's standard "
           "deviation.")  # fmt: skip
    _ok("rows standardised, constant rows mapped to zeros.")


def check_content_scores(fn: Callable) -> None:
    """``fn(V, rated) -> scores``: centred-cosine content scores for one user."""
    from ..models.hybrid import ContentModel

    def unit(X):
        return X / np.linalg.norm(X, axis=-1, keepdims=True)

    rng = np.random.default_rng(3)
    for n, dim, rated in [(12, 5, [1, 4, 7]), (9, 4, [2, 3, 5, 8])]:
        V = rng.normal(size=(n, dim)) * rng.uniform(0.5, 2.0, size=(n, 1)) + 2.0  # shared offset
        rated = np.array(rated)
        model = ContentModel(np.arange(n), V).fit(pd.DataFrame({USER: 0, ITEM: rated}))
        want = model.score([0])[0]
        got = _array(_call(fn, V.copy(), rated.copy()), "scores", want.shape)
        Vc, Vr = V - V.mean(axis=0), V - V.mean(axis=1, keepdims=True)
        _judge(got, want, [
            (("You did not centre V: subtract the mean item vector first (embeddings share an "
              "offset that makes every cosine large)."), unit(V) @ unit(unit(V)[rated].mean(0))),
            ("You centred each row on its own mean; centre on the mean item vector (axis=0).",
             unit(Vr) @ unit(unit(Vr)[rated].mean(0))),
            ("You did not normalise the item rows; cosines need unit vectors.",
             Vc @ unit(Vc[rated].mean(0))),
            ("You did not normalise the taste vector, so the scores are not cosines.",
             unit(Vc) @ unit(Vc)[rated].mean(0)),
            ("Your taste vector averages all items; average the rated rows only.",
             unit(Vc) @ unit(unit(Vc).mean(0))),
        ], "Not quite: centre, normalise rows, average the rated rows, normalise, "
           "dot.")  # fmt: skip
    _ok("your scores equal ContentModel's cosine between taste and item vectors.")


def check_gated_blend(fn: Callable) -> None:
    """``fn(cf, content, n_ratings, weight, beta) -> scores``: per-user z-scores of
    both score matrices mixed with the gate's content weight per item."""
    from ..models.hybrid import GatedBlend, zscore_rows

    def gate(n, weight, beta):  # the library's content weight per item
        blend = GatedBlend(None, None, beta=beta, weight=weight)  # type: ignore[arg-type]
        blend.counts_ = np.asarray(n, dtype=float)
        return blend.content_weight()

    def z(S, axis=1, ddof=0):
        mean, sd = S.mean(axis=axis, keepdims=True), S.std(axis=axis, keepdims=True)
        sd_used = S.std(axis=axis, ddof=ddof, keepdims=True) if ddof else sd
        return np.divide(S - mean, sd_used, out=np.zeros_like(S), where=sd > 0)

    rng = np.random.default_rng(5)
    cases = []
    for users, n, weight, beta in [
        (3, [0, 2, 40, 7, 0, 300], 0.2, 3.0),
        (4, [12, 0, 1, 5, 90], 0.5, 10.0),
    ]:  # fmt: skip
        n = np.array(n)
        cf = rng.normal(2.0, 3.0, size=(users, len(n))) * (n > 0)  # cold items: CF says 0
        cf[-1] = 0.0  # a user CF knows nothing about: a constant row
        content = rng.uniform(0.1, 0.9, size=(users, len(n)))  # cosines, another scale
        cases.append((cf, content, n, weight, beta))
    for cf, content, n, weight, beta in cases:
        with np.errstate(all="ignore"):
            out = _call(fn, cf.copy(), content.copy(), n.copy(), weight, beta, errors={
                ValueError: ("Shapes do not broadcast: the gate has one weight per item "
                             "(a column), shared by every user."),
            })  # fmt: skip
        got = _array(out, "the blended scores", cf.shape)
        if not np.isfinite(got).all():
            raise ExerciseError("Your scores have NaN or inf: a user whose CF scores are all "
                                "equal has standard deviation 0; give that row zeros.")  # fmt: skip
        w = gate(n, weight, beta)
        zc, zt = zscore_rows(cf), zscore_rows(content)
        beta_only = beta / (n + beta)
        _judge(got, (1 - w) * zc + w * zt, [
            (("You mixed the raw scores: z-score each user's row of both matrices first, "
              "so CF scores and cosines are on one scale."), (1 - w) * cf + w * content),
            ("You mixed first and standardised after; standardise each matrix, then mix.",
             zscore_rows((1 - w) * cf + w * content)),
            ("You standardised the columns (items); standardise each user's row.",
             (1 - w) * z(cf, axis=0) + w * z(content, axis=0)),
            ("You used the sample standard deviation (ddof=1); use the population one.",
             (1 - w) * z(cf, ddof=1) + w * z(content, ddof=1)),
            (("The weights are on the wrong sides: the gate's weight goes to the content "
              "scores, and a cold item should be scored by content alone."),
             w * zc + (1 - w) * zt),
            (("The floor is missing: every item, however many ratings it has, keeps at "
              "least `weight` on content."), (1 - beta_only) * zc + beta_only * zt),
            ("The gate is upside down: the more ratings an item has, the less it needs text.",
             (1 - (weight + (1 - weight) * (1 - beta_only))) * zc
             + (weight + (1 - weight) * (1 - beta_only)) * zt),
            ("You used one weight for every item; the gate's weight depends on n_i.",
             (1 - weight) * zc + weight * zt),
        ], "Not quite: z-score each row of both matrices, then mix them with the content "
           "weight of each item.")  # fmt: skip
    _ok("both matrices on one per-user scale, and each item's content weight grows as its "
        "ratings shrink: a cold item is scored by text alone.")


# --- chapter 8: evaluation --------------------------------------------------------
def _dcg(hits, discount=lambda rank: 1 / np.log2(rank + 1)) -> float:
    hits = np.asarray(hits, float)
    return float(np.sum(hits * discount(np.arange(1, len(hits) + 1))))


def check_ndcg(fn: Callable) -> None:
    """``fn(hits, n_relevant, k) -> float`` against :func:`metrics.ndcg_at_k`."""
    from ..data.columns import RANK
    from ..evaluation.metrics import ndcg_at_k

    # the first list is longer than k with a hit beyond k, and n_relevant lies
    # between the hits in the list and k; the second has n_relevant > k
    cases = [([0, 1, 0, 0, 1, 1, 0], 4, 5), ([1, 0, 1, 0, 0, 0], 10, 4), ([0, 0, 0, 1], 1, 4),
             ([1, 1, 1], 3, 3), ([0, 0, 0], 2, 3)]  # fmt: skip
    for hits, n_rel, k in cases:
        items = np.arange(len(hits))
        recs = pd.DataFrame({USER: 0, ITEM: items, RANK: items + 1})
        relevant = list(items[np.asarray(hits) == 1]) + [100 + j for j in range(n_rel - sum(hits))]
        want = ndcg_at_k(recs, pd.DataFrame({USER: 0, ITEM: relevant}), k)
        got = _number(_call(fn, np.array(hits), n_rel, k), "ndcg")
        top, best = hits[:k], np.ones(min(k, n_rel))
        shifted, harmonic = (lambda r: 1 / np.log2(r + 2)), (lambda r: 1 / r)
        _judge(got, want, [
            ("You scored the whole list; NDCG@k only looks at the first k positions (truncate).",
             _ratio(_dcg(hits), _dcg(best))),
            ("Your ideal list has n_relevant hits; it can hold at most k of them.",
             _ratio(_dcg(top), _dcg(np.ones(n_rel)))),
            ("Your ideal list has k hits; a user with fewer relevant items cannot fill it.",
             _ratio(_dcg(top), _dcg(np.ones(k)))),
            (("Your ideal list is built from the hits in the list; it should count all the "
              "user's relevant items (up to k)."), _ratio(_dcg(top), _dcg(np.ones(sum(top))))),
            ("The discount is off by one: rank 1 is divided by log2(2) = 1.",
             _ratio(_dcg(top, shifted), _dcg(best, shifted))),
            ("That is a 1/rank discount; NDCG discounts by a logarithm of the rank.",
             _ratio(_dcg(top, harmonic), _dcg(best, harmonic))),
            ("That is the DCG alone; divide it by the DCG of the ideal list.", _dcg(top)),
        ], "Not quite: the DCG of the first k positions over the DCG of the best possible "
           "list.")  # fmt: skip
    _ok("your NDCG agrees with metrics.ndcg_at_k, truncation and ideal list included.")


def check_novelty(fn: Callable) -> None:
    """``fn(recs, train) -> float`` against :func:`metrics.novelty`."""
    from ..evaluation.metrics import novelty

    rng = np.random.default_rng(4)
    for n_users, n_items, n_rows in [(30, 20, 300), (12, 8, 60)]:
        # repeated (user, item) rows, as in a log of events: p_i counts distinct users
        train = pd.DataFrame({USER: rng.integers(0, n_users, n_rows),
                              ITEM: rng.integers(0, n_items, n_rows)})  # fmt: skip
        recs = pd.DataFrame({USER: np.repeat(np.arange(5), 4),
                             ITEM: rng.choice(train[ITEM].unique(), 20)})  # fmt: skip
        got = _number(_call(fn, recs.copy(), train.copy()), "novelty")
        users, rows = train.groupby(ITEM)[USER].nunique(), train.groupby(ITEM).size()
        p = recs[ITEM].map(users / train[USER].nunique())
        _judge(got, novelty(recs, train), [
            ("You counted rows, not distinct users: a user who rated an item twice counts once.",
             float(np.mean(-np.log2(recs[ITEM].map(rows / train[USER].nunique()))))),
            ("You divided by the number of rows; p_i is a share of *users*.",
             float(np.mean(-np.log2(recs[ITEM].map(users / len(train)))))),
            ("You divided by the number of items; p_i is a share of users.",
             float(np.mean(-np.log2(recs[ITEM].map(users / train[ITEM].nunique()))))),
            ("That is the natural logarithm; use log base 2 (bits).", float(np.mean(-np.log(p)))),
            ("That is log base 10; use log base 2 (bits).", float(np.mean(-np.log10(p)))),
            ("The sign is flipped: self-information is -log2 p, a positive number.",
             float(np.mean(np.log2(p)))),
            ("You averaged over distinct recommended items; average over all recommended rows.",
             float(np.mean(-np.log2(p.drop_duplicates())))),
        ], "Not quite: p_i is the share of training users who rated item i; average the "
           "self-information over the recommended rows.")  # fmt: skip
    _ok("your novelty matches metrics.novelty.")


def _sign_flip(diffs, n, seed, one_sided=False):
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], (n, len(diffs)))
    means = (signs * diffs).mean(axis=1)
    if one_sided:
        return (1 + np.sum(means >= diffs.mean())) / (n + 1)
    return (1 + np.sum(np.abs(means) >= abs(diffs.mean()))) / (n + 1)


def check_sign_flip(fn: Callable) -> None:
    """``fn(diffs, n, seed) -> p``: a two-sided sign-flip permutation p-value.

    A student's random draws differ from ours, so the p-value is compared with a
    reference from many more flips, within a Monte-Carlo tolerance; exact
    properties (a multiple of 1/(n+1), the same p for the same seed) are exact.
    """
    rng = np.random.default_rng(5)
    null = rng.normal(0.0, 1.0, 80)
    null += 0.03 - null.mean()  # a tiny observed mean: p is large
    negative = rng.normal(0.0, 1.0, 60)
    negative += -0.24 - negative.mean()  # a clear negative mean: p is small, near 0.06
    strong = rng.normal(0.8, 1.0, 50)  # no flip comes close: p is the smallest possible
    n = 4999
    for diffs in (null, negative, strong):
        p = _number(_call(fn, diffs.copy(), n, 0), "p")
        if p == 0:
            raise ExerciseError("p = 0: count the observed sample among the flips (add 1 to "
                                "numerator and denominator).")  # fmt: skip
        if not 0 < p <= 1:
            raise ExerciseError(f"A p-value lies in (0, 1]; got {p:g}.")
        if not math.isclose(p * (n + 1), round(p * (n + 1)), abs_tol=1e-3):  # float32 is fine
            if math.isclose(p * n, round(p * n), abs_tol=1e-3):
                raise ExerciseError("Count the observed sample among the flips: add 1 to the "
                                    "numerator *and* to the denominator.")  # fmt: skip
            raise ExerciseError("p should be a count of flips over n + 1; did you use the `n` "
                                "passed in?")
        want = _sign_flip(diffs, 100_000, 1)
        if abs(p - want) <= 0.015 + 0.1 * want:
            continue
        if p == 1.0:
            raise ExerciseError("p = 1 for a clear difference: flip the sign of each "
                                "difference independently, not the whole sample at once "
                                "(or shuffle).")  # fmt: skip
        if abs(p - _sign_flip(diffs, 100_000, 1, one_sided=True)) <= 0.02:
            raise ExerciseError("That is a one-sided test (it ignores the sign of the effect); "
                                "compare absolute means, so both directions count.")  # fmt: skip
        if abs(p - want / 2) <= 0.01:
            raise ExerciseError("p is about half what it should be: count flips whose |mean| is "
                                "at least the observed |mean| (both tails).")  # fmt: skip
        raise ExerciseError(f"p = {p:.4f} is not the share of random sign flips at least as "
                            "extreme as the observed mean.")  # fmt: skip
    if _number(_call(fn, null.copy(), 999, 7), "p") != _number(_call(fn, null.copy(), 999, 7), "p"):
        raise ExerciseError("Two calls with the same seed gave different p-values: draw the "
                            "signs from np.random.default_rng(seed).")  # fmt: skip
    _ok("large p for a null difference, small for a real one in either direction.")


# --- chapter 6: LLM augmentation --------------------------------------------------
def check_loops(fn: Callable) -> None:
    """``fn(ids, max_period) -> bool``: does ``ids`` end with a pattern repeated 3 times?"""
    cases = [
        ([1, 2, 3, 7, 7, 7], 12, True, "One token three times at the end is a loop (period 1)."),
        ([9, 4, 5, 4, 5, 4, 5], 12, True, "A two-token pattern three times at the end is a loop."),
        ([7, 7, 7, 7, 7], 12, True, "More than three repeats is still a loop."),
        ([4, 5, 4, 5], 12, False, "A pattern seen only twice is not a loop yet: it takes three."),
        ([1, 2, 3, 1, 2, 3, 1, 2, 3, 8], 12, False, ("A repeat that is not at the end is not a "
                                                    "loop: only the end of the answer counts.")),
        ([3, 1, 2, 1, 2, 3, 1, 2], 12, False, ("Three occurrences that are not back to back are "
                                              "not a loop.")),
        ([], 12, False, "An empty list has no loop (and must not crash)."),
        ([5, 5], 12, False, "Two tokens cannot hold three repeats."),
        (list(range(13)) * 3, 12, False, "A pattern longer than max_period does not count."),
        (list(range(12)) * 3, 12, True, ("A pattern of exactly max_period tokens counts (period "
                                        "1 to max_period, both included).")),
        ([8, 1, 2, 3, 4] * 3, 3, False, "Use the max_period passed in, not a fixed 12."),
    ]  # fmt: skip
    for ids, max_period, want, hint in cases:
        got = _call(fn, list(ids), max_period)
        if not isinstance(got, (bool, np.bool_, int, np.integer)):
            raise ExerciseError(f"Return True or False, got a {type(got).__name__}.")
        if bool(got) != want:
            raise ExerciseError(f"{hint} (ids ending {ids[-12:]}, max_period={max_period})")
    _ok("loops are detected at the end of the answer, and only there.")


def _review_cases() -> list[tuple[pd.DataFrame, dict, set]]:
    """``(labelled, paraphrases, copies)``: review ids that are not row positions,
    both labels, a review without a paraphrase and one whose paraphrase is a copy."""
    first = pd.DataFrame({
        "review": [42, 7, 19, 3],
        "text": ["runs small", "lovely soft fabric", "pilled after a wash", "fits well"],
        "recommended": [0, 1, 0, 1],
    }, index=[5, 2, 8, 0])  # fmt: skip
    para1 = {42: "it is a small fit", 7: "the fabric is soft and lovely",
             3: "the fit is good", 0: "not in the labelled set"}  # fmt: skip
    second = pd.DataFrame({
        "review": [11, 12, 13],
        "text": ["great colour", "too long", "cheap zip"],
        "recommended": [1, 0, 0],
    })  # fmt: skip
    para2 = {11: "lovely colour", 12: "far too long", 13: "the zip feels cheap", 1: "x"}
    return [(first, para1, {7}), (second, para2, {12})]


def _augmented(labelled, paraphrases, copies, *, keep=True, label=None, skip=True,
               only=False, by_position=False) -> list[tuple[str, int]]:
    """The (text, label) pairs of the augmented set, and its usual mistakes."""
    rows = list(zip(labelled["text"], labelled["recommended"])) if keep else []
    for n, (review, y) in enumerate(zip(labelled["review"], labelled["recommended"])):
        key = n if by_position else review
        if key not in paraphrases or (skip and review in copies):
            continue
        if only and review not in copies:
            continue
        rows.append((paraphrases[key], y if label is None else label))
    return rows


def _pairs(answer) -> list[tuple[str, int]]:
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        raise ExerciseError("Return a tuple (texts, labels): a list of texts and their labels.")
    texts, labels = answer
    texts, labels = list(texts), list(np.asarray(labels).ravel())
    if len(texts) != len(labels):
        raise ExerciseError(f"texts has {len(texts)} entries and labels {len(labels)}: give "
                            "each text, original or copy, its label.")  # fmt: skip
    if not all(isinstance(t, str) for t in texts):
        raise ExerciseError("texts should be strings (the reviews and their paraphrases).")
    return sorted((t, int(y)) for t, y in zip(texts, labels))


def check_augmented_set(fn: Callable) -> None:
    """Exercise 6.2: ``fn(labelled, paraphrases, copies) -> (texts, labels)``."""
    for labelled, paraphrases, copies in _review_cases():
        got = _pairs(_call(fn, labelled.copy(), dict(paraphrases), set(copies), errors={
            KeyError: ("A review whose paraphrase was rejected has no entry in "
                       "paraphrases: it adds no copy.")}))  # fmt: skip
        args = (labelled, paraphrases, copies)
        _judge(got, sorted(_augmented(*args)), [
            (("You dropped the labelled reviews: the copies are added to them, not used "
             "instead of them."), sorted(_augmented(*args, keep=False))),
            ("You kept the paraphrases in `copies`; the filter leaves them out.",
             sorted(_augmented(*args, skip=False))),
            ("You kept only the paraphrases in `copies`; the filter leaves *those* out.",
             sorted(_augmented(*args, skip=False, only=True))),
            (("Every copy got the label 1; a copy inherits the label of the review it "
             "rewrites."), sorted(_augmented(*args, label=1))),
            (("Every copy got the label 0; a copy inherits the label of the review it "
             "rewrites."), sorted(_augmented(*args, label=0))),
            (("You looked paraphrases up by row position; they are keyed by the review id "
              "(the `review` column)."), sorted(_augmented(*args, by_position=True))),
        ], "Not quite: keep every labelled review, then add each paraphrase that exists and "
           "is not in `copies`, with its review's label.", same=lambda a, b: a == b)  # fmt: skip
    _ok("the labelled reviews plus their kept paraphrases, each with its review's label.")


def _effect_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """``(y, without, with_, seed)``: the augmentation fixes some reviews and breaks
    others, and changes predictions where the label does not move; the last case is
    large enough for the seed to move the interval."""
    y = np.array([1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1])
    without = np.array([1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1])
    with_ = np.array([1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1])
    y2 = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    without2 = np.array([1, 1, 0, 0, 0, 0, 1, 1])
    with2 = np.array([0, 1, 1, 1, 1, 0, 1, 0])
    rng = np.random.default_rng(0)  # a larger case, where the seed moves the interval
    y3 = rng.integers(0, 2, 300)
    without3 = np.where(rng.random(300) < 0.7, y3, 1 - y3)
    with3 = np.where(rng.random(300) < 0.75, y3, 1 - y3)
    return [(y, without, with_, 11), (y2, without2, with2, 5), (y3, without3, with3, 3)]


def _bounds(answer) -> tuple[float, float, float]:
    """(estimate, low, high) of a Comparison or an Interval."""
    est = getattr(answer, "diff", getattr(answer, "estimate", None))
    if est is None or not hasattr(answer, "low") or not hasattr(answer, "high"):
        raise ExerciseError("Return what evaluation.compare gives (a Comparison): the "
                            "difference comes with its interval.")  # fmt: skip
    return (_number(est, "the difference"), _number(answer.low, "low"),
            _number(answer.high, "high"))  # fmt: skip


def check_augmentation_effect(fn: Callable) -> None:
    """Exercise 6.3: ``fn(y, pred_without, pred_with, seed)``: the paired comparison of
    per-review correctness, with minus without."""
    from ..evaluation.metrics import macro_f1
    from ..evaluation.uncertainty import compare, paired_bootstrap_diff

    for y, without, with_, seed in _effect_cases():
        answer = _call(fn, y.copy(), without.copy(), with_.copy(), seed)
        if isinstance(answer, (int, float, np.number)):
            raise ExerciseError("You returned one number; return the Comparison from "
                                "evaluation.compare, so the difference has an interval.")
        got = _bounds(answer)
        ok0, ok1 = (without == y).astype(float), (with_ == y).astype(float)

        def triple(c):
            return (c.diff, c.low, c.high)

        f1 = paired_bootstrap_diff(macro_f1, y, without, with_, n_boot=2000, seed=seed)
        _judge(got, triple(compare(ok0, ok1, seed=seed)), [
            (("The sign is reversed (or you compared errors, not correctness): the effect is "
              "with the augmentation minus without it."),
             triple(compare(ok1, ok0, seed=seed))),
            (("You compared the predictions themselves; compare whether each prediction is "
              "right (per-review correctness)."), triple(compare(without, with_, seed=seed))),
            ("The difference is right but the interval is not: pass `seed` to compare.",
             triple(compare(ok0, ok1))),
            (("That is the macro-F1 difference; the exercise compares per-review "
             "correctness with evaluation.compare."), (f1.estimate, f1.low, f1.high)),
        ], "Not quite: score each review 1 if its prediction is right, else 0, for both "
           "models, and give the two aligned score arrays to evaluation.compare "
           "(without first).")  # fmt: skip
    _ok("a paired comparison over reviews: with minus without, with its interval.")


# --- chapter 9 -------------------------------------------------------------------------
def _top_k_rows(frame: pd.DataFrame, k: int | None, ascending=False, by_user=True) -> list:
    """Sorted (user, item, rank) rows of the top k per user (all rows if k is None), in pandas."""
    frame = frame.sort_values([USER, "score"], ascending=[True, ascending])
    if by_user:
        rank = frame.groupby(USER).cumcount() + 1
    else:
        rank = frame["score"].rank(ascending=ascending).astype(int)
    frame = frame.assign(rank=rank)
    frame = frame if k is None else frame[frame["rank"] <= k]
    return sorted(map(tuple, frame[[USER, ITEM, "rank"]].astype(int).to_numpy().tolist()))


def check_spark_top_k(fn: Callable) -> None:
    """``fn(scores, seen, k) -> Spark DataFrame`` of ``user, item, score, rank``:
    the ``k`` best unseen items per user (``scores``: user, item, score;
    ``seen``: user, item), rank 1 = highest score."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is None:
        raise ExerciseError("no active Spark session: run the chapter's session cell first.")
    # user 3 has seen everything; user 2 has fewer unseen items than k = 3
    scores = pd.DataFrame({USER: [1, 1, 1, 1, 1, 2, 2, 2, 3],
                           ITEM: [10, 11, 12, 13, 14, 10, 11, 12, 10],
                           "score": [0.9, 0.8, 0.7, 0.1, 0.5, 0.2, 0.6, 0.4, 0.3]})  # fmt: skip
    seen = pd.DataFrame({USER: [1, 2, 3, 1], ITEM: [10, 11, 10, 99]})
    for k in (2, 3):
        out = _call(fn, spark.createDataFrame(scores), spark.createDataFrame(seen), k)
        if not hasattr(out, "toPandas"):
            raise ExerciseError(f"return a Spark DataFrame, got {type(out).__name__}.")
        got = out.toPandas()
        missing = {USER, ITEM, "score", "rank"} - set(got.columns)
        if missing:
            raise ExerciseError(f"the result lacks columns {sorted(missing)}.")
        rows = sorted(map(tuple, got[[USER, ITEM, "rank"]].astype(int).to_numpy().tolist()))
        unseen = scores.merge(seen, on=[USER, ITEM], how="left", indicator=True)
        unseen = unseen[unseen["_merge"] == "left_only"]
        _judge(rows, _top_k_rows(unseen, k), [
            (("Seen items are still there: remove them with a left_anti join on (user, item) "
              "before ranking."), _top_k_rows(scores, k)),
            ("Rank 1 went to the lowest score; order the window by descending score.",
             _top_k_rows(unseen, k, ascending=True)),
            ("The ranks run over all users at once; partition the window by user.",
             _top_k_rows(unseen, k, by_user=False)),
            ("Every unseen item is still there: keep only rank <= k.", _top_k_rows(unseen, None)),
        ], "Not quite: drop the seen pairs, rank each user's remaining items by score, keep "
           "the first k.", same=lambda a, b: a == b)  # fmt: skip
    _ok("anti-join the seen pairs, then row_number() over a per-user window, keep rank <= k.")


def check_fetch_depth(fn: Callable) -> None:
    """``fn(seen, k) -> int``: the smallest ``n`` for ``recommendForAllUsers(n)``
    that leaves every user ``k`` unseen items once the seen pairs are removed."""
    # one user has seen the most distinct items and lists one of them twice; the
    # others have seen fewer; each mistake below gives another depth in both cases
    cases = [
        (pd.DataFrame({USER: [1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 4, 4, 2, 4],
                       ITEM: [10, 11, 12, 10, 13, 14, 15, 16, 17, 19, 10, 18, 13, 11]}),
         5),
        (pd.DataFrame({USER: [7, 7, 8, 8, 8, 8, 9, 9, 8],
                       ITEM: [30, 31, 30, 32, 33, 34, 36, 35, 33]}),
         3),
    ]  # fmt: skip
    for seen, k in cases:
        got = _number(_call(fn, seen.copy(), k), "the depth")
        distinct = seen.drop_duplicates()
        per_user = distinct.groupby(USER).size()
        _judge(got, k + per_user.max(), [
            ("That is the most any user has seen; the k unseen items come on top of it.",
             per_user.max()),
            (("A pair listed twice takes one place in the list, not two: count each user's "
              "distinct items."), k + seen.groupby(USER).size().max()),
            (("With the average user's history, the users who have seen the most would get "
              "fewer than k; one depth serves every user."), k + per_user.mean()),
            ("Rounded up, the average is still too small for the users who have seen the most.",
             k + math.ceil(per_user.mean())),
            (("You counted the seen pairs of all users; only one user's seen items can sit in "
              "that user's list."), k + len(distinct)),
            ("You counted per item; a user's list loses one place per item that user has seen.",
             k + distinct.groupby(ITEM).size().max()),
            ("That fetches k per user only: a user who has seen the top items ends up short.",
             k),
        ], "Not quite: in the worst case all of a user's seen items rank first; fetch enough "
           "for the user who has seen the most.", same=lambda a, b: a == b)  # fmt: skip
    _ok("k plus the most distinct items any user has seen: even if they all rank first, "
        "k unseen remain.")


def check_crossover(fn: Callable) -> None:
    """``fn(a1, b1, a2, b2, workers) -> float``: the data size where a cluster of
    ``workers`` (time a2 + b2 n / workers) overtakes one machine (a1 + b1 n)."""

    def solve(a1, b1, a2, b2, w):
        slope = b1 - b2 / w
        return math.inf if slope <= 0 else max(0.0, (a2 - a1) / slope)

    cases = [(1.0, 1e-5, 10.0, 4e-5, 8), (2.0, 3e-4, 30.0, 1e-3, 5),  # the cluster catches up
             (1.0, 1e-5, 10.0, 4e-5, 2),  # its slope is steeper: never
             (1.0, 0.5, 10.0, 2.0, 4),  # equal slopes: never, and no division by zero
             (5.0, 1e-5, 2.0, 4e-5, 8)]  # cheaper start and flatter line: faster from n = 0
    errors = {ZeroDivisionError: "When the two lines have the same slope the cluster never "
                                 "catches up; test for that before dividing."}  # fmt: skip
    for args in cases:
        got = _number(_call(fn, *args, errors=errors), "the crossover size")
        a1, b1, a2, b2, w = args
        unguarded = _ratio(a2 - a1, b1 - b2 / w)
        _judge(got, solve(*args), [
            ("That ignores the workers: the cluster's cost per rating is shared among them.",
             _ratio(a2 - a1, b1 - b2)),
            ("You multiplied by the workers; the cluster's cost per rating is divided among them.",
             _ratio(a2 - a1, b1 - b2 * w)),
            (("A negative size: when the cluster's line is steeper it never catches up (math.inf); "
              "when it starts cheaper and grows slower it is faster from the first rating."),
             unguarded),
            (("The cluster never catches up here: its time grows at least as fast as one "
              "machine's. Return math.inf."), None if unguarded is None else abs(unguarded)),
            ("The cluster never catches up here, so the answer is not 0: return math.inf.",
             0.0 if math.isinf(solve(*args)) else None),
            ("The sign is flipped: the cluster's fixed cost is the larger one.",
             _ratio(a1 - a2, b1 - b2 / w)),
        ], "Not quite: set the two times equal and solve for n; return math.inf when the "
           "cluster never catches up.", same=lambda g, x: g == x or _same(g, x))  # fmt: skip
    _ok("n* = (a2 - a1) / (b1 - b2 / workers) when the cluster's slope is smaller, else never.")


# --- chapter 8: knowledge inside the model ------------------------------------------------
def check_fm_pairwise(fn: Callable) -> None:
    """``fn(V, X) -> one number per row``: the FM's pairwise term
    :math:`\\sum_{j<l} \\langle v_j, v_l\\rangle x_j x_l` of each row of ``X``."""
    import torch

    from ..ctr.nets import pairwise_interaction

    rng = np.random.default_rng(7)
    for n, k, rows in ((5, 3, 4), (7, 2, 3)):
        V = rng.normal(size=(n, k))
        X = rng.normal(size=(rows, n)) * (rng.random((rows, n)) < 0.7)  # some zeros
        X[0] = 0.0
        X[0, 1] = 2.0  # one feature alone: no pair, so the term is 0
        got = _array(_call(fn, V.copy(), X.copy(), errors={ValueError: (
            "Shapes do not broadcast: weight each feature's vector by its value, "
            "x_j v_j, giving rows x features x k.")}), "the pairwise terms", (rows,))
        A = X[:, :, None] * V[None, :, :]
        want = pairwise_interaction(torch.tensor(A)).numpy()
        sq_sum, sum_sq = (A.sum(1) ** 2).sum(1), (A ** 2).sum(1).sum(1)
        _judge(got, want, [
            ("You forgot the 1/2: the square of the sum counts every pair twice.",
             sq_sum - sum_sq),
            ("You left the diagonal in: subtract the sum of the squares sum_j ||x_j v_j||^2.",
             0.5 * sq_sum),
            (("The diagonal term needs x_j squared: subtract sum_j x_j^2 ||v_j||^2, not "
              "sum_j x_j ||v_j||^2."),
             0.5 * (sq_sum - (X[:, :, None] * V[None] ** 2).sum((1, 2)))),
            ("You summed the vectors without weighting them by the feature values x_j.",
             0.5 * (((X != 0)[:, :, None] * V[None]).sum(1) ** 2
                    - ((X != 0)[:, :, None] * V[None] ** 2).sum(1)).sum(1)),
        ], "Not quite: 1/2 [ ||sum_j x_j v_j||^2 - sum_j ||x_j v_j||^2 ] for each row.")
    _ok("the pairwise term in O(kn), equal to the sum over pairs.")


def check_warp_weight(fn: Callable) -> None:
    """``fn(N, n_items) -> weights``: WARP's ``ln(max(1, floor((n - 1) / N)))``."""
    from ..models.feature_mf import warp_weights

    for N, n in (([1, 2, 3, 7, 10], 50), ([1, 4, 9, 10, 30], 11), ([5, 6], 1682)):
        N = np.array(N)
        got = _array(_call(fn, N.copy(), n, errors={ValueError: (
            "log of a non-positive number: a positive whose estimated rank is 0 or 1 "
            "gets weight ln(1) = 0; take max(1, rank) first.")}), "the weights", N.shape)
        if not np.isfinite(got).all():
            raise ExerciseError("Some weights are -inf or NaN: when (n - 1) // N is 0 the "
                                "log is undefined; take max(1, rank) before the log.")
        rank = (n - 1) / N
        _judge(got, warp_weights(N, n), [
            ("You did not round the estimated rank down: use floor((n - 1) / N).",
             np.log(np.maximum(1.0, rank))),
            ("Use n - 1, not n: the positive itself is not one of its negatives.",
             np.log(np.maximum(1.0, np.floor(n / N)))),
            ("You returned the rank; WARP weights by its logarithm.", np.maximum(1.0, np.floor(rank))),
        ], "Not quite: ln(max(1, floor((n_items - 1) / N))) for each N.")
    _ok("WARP's weight grows with the estimated rank, and is 0 at rank 1 or 0.")


def check_loo_share(fn: Callable) -> None:
    """``fn(item, mention) -> share``: the share of the *other* reviews of the
    same item that mention the aspect (the overall share where there is none)."""
    cases = [(["a", "a", "a", "b", "b", "c"], [1, 0, 1, 0, 1, 1]),
             ([3, 1, 3, 3, 2, 1, 1], [0, 1, 1, 1, 0, 0, 1])]
    for item, mention in cases:
        item_s, m = pd.Series(item), pd.Series(mention, dtype=float)
        got = _array(_call(fn, np.array(item), np.array(mention)), "the shares", (len(item),))
        if not np.isfinite(got).all():
            raise ExerciseError("Some shares are NaN or inf: an item with one review has no "
                                "other review; give it the share over all reviews.")
        total, count = m.groupby(item_s).transform("sum"), m.groupby(item_s).transform("count")
        others = count - 1
        want = ((total - m) / others.where(others > 0)).fillna(m.mean()).to_numpy()
        _judge(got, want, [
            (("Your profile includes the review's own mention: that is the leak. Leave the "
              "review out of its own item's share."), (total / count).to_numpy()),
            (("You took the review out of the sum but still divide by all the item's "
              "reviews; divide by the others (count - 1)."), ((total - m) / count).to_numpy()),
            ("An item with no other review should get the overall share, not 0.",
             ((total - m) / others.where(others > 0)).fillna(0.0).to_numpy()),
            ("The fallback is the share over all reviews, not 0.5.",
             ((total - m) / others.where(others > 0)).fillna(0.5).to_numpy()),
        ], "Not quite: (the item's mentions - the review's own) / (the item's reviews - 1).")
    _ok("each review's profile leaves out its own label.")
