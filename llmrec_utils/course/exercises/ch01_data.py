"""Chapter 1's exercise checks (``notebooks/01_data.ipynb``): the ratings contract,
Recall@k and the leave-last-out split."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ...data.columns import ITEM, RATING, TIMESTAMP, USER
from .common import STUB, ExerciseError, call, checked, fresh_rng, judge, number, ok, over


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
        raise ExerciseError(STUB) from None
    except Exception as exc:  # noqa: BLE001 - any other crash becomes a hint
        raise ExerciseError(
            f"On {what}, your function raised {type(exc).__name__} ({exc}). Raise a "
            "ValueError that says what is wrong, so a caller gets one kind of error; "
            "check that a column exists before you use it.") from None  # fmt: skip
    raise ExerciseError(f"Your function accepted {what}. {accepted}")


def _random_contract_frame(rng: np.random.Generator) -> pd.DataFrame:
    """A fresh frame that holds the contract: distinct pairs, stars 1 to 5, rows and
    index in no particular order, an extra column."""
    n_users, n_items = rng.integers(3, 7), rng.integers(4, 9)
    pairs = rng.permutation(n_users * n_items)[: rng.integers(6, 14)]
    return pd.DataFrame({
        ITEM: pairs % n_items + 100, USER: pairs // n_items,
        RATING: rng.integers(1, 6, len(pairs)).astype(float),
        TIMESTAMP: rng.permutation(len(pairs)) * 10,
        "genre": rng.choice(["a", "b", None], len(pairs)),
    }, index=rng.permutation(len(pairs)) + 20)  # fmt: skip


def _unchanged(out, df: pd.DataFrame) -> None:
    """``out`` must be ``df`` as it came in; the hint names what changed."""
    if not isinstance(out, pd.DataFrame) or len(out) != len(df):
        raise ExerciseError("When the frame holds the contract, return it unchanged "
                            "(the same rows), so calls can be chained.")  # fmt: skip
    if list(out.columns) != list(df.columns):
        raise ExerciseError("When the frame holds the contract, return it unchanged: you "
                            "dropped, added or reordered columns.")  # fmt: skip
    if out.index.equals(df.index):
        if not out.equals(df):
            raise ExerciseError("When the frame holds the contract, return it unchanged: "
                                "you changed some values (or their types).")  # fmt: skip
        return
    if sorted(out.index) == sorted(df.index):
        raise ExerciseError("When the frame holds the contract, return it unchanged: you "
                            "re-sorted its rows; keep them in their order.")  # fmt: skip
    raise ExerciseError("When the frame holds the contract, return it unchanged: you reset "
                        "or replaced its index.")  # fmt: skip


@checked
def check_validate(fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Exercise 1.1: ``fn(df)`` returns ``df`` unchanged if it holds the column contract,
    else raises ``ValueError``."""
    if not callable(fn):
        call(fn)
    fine = ("That frame holds the contract: ratings of exactly 1 and 5 are on the scale, "
            "a user may rate several items and an item may be rated by several users, "
            "and a missing value outside user, item and rating does not matter.")
    bad = _contract_frame()
    cases = [
        ("clean", _contract_frame(), {ValueError: fine}),
        ("clean", _contract_frame()[[RATING, ITEM, USER]].astype({RATING: int})
         .reset_index(drop=True),
         {ValueError: ("That frame holds the contract (integer ratings, the columns in "
                       "another order, no timestamp): only user, item and rating are "
                       "required.")}),
        ("bad", bad.drop(columns=[RATING]), "a frame without a `rating` column",
         "Check that user, item and rating are all present."),
        ("bad", bad.assign(**{ITEM: [10, np.nan, 11, 12, 13]}), "a missing item id",
         "Look for missing values in the contract's columns."),
        ("bad", bad.assign(**{RATING: [5.0, 0.0, 4.0, 3.0, 2.0]}), "a rating of 0",
         "Ratings are stars from 1 to 5."),
        ("bad", bad.assign(**{RATING: [6.0, 1.0, 4.0, 3.0, 2.0]}), "a rating of 6",
         "Ratings are stars from 1 to 5."),
        ("bad", bad.assign(**{ITEM: [10, 10, 10, 12, 13]}),
         "a (user, item) pair that appears twice",
         "Each user rates an item at most once: look for repeated (user, item) pairs."),
    ]  # fmt: skip
    rng = fresh_rng()
    fresh = _random_contract_frame(rng)
    cases.append(("clean", fresh, {ValueError: fine}))
    broken = fresh.copy()
    row = broken.index[rng.integers(len(broken))]
    broken.loc[row, RATING] = rng.choice([0.0, 6.0, 7.0, -1.0])
    cases.append(("bad", broken, "a rating outside 1 to 5", "Ratings are stars from 1 to 5."))

    def check_one(case) -> None:
        if case[0] == "clean":
            _, df, errors = case
            _unchanged(call(fn, df.copy(), errors=errors), df)
        else:
            _, df, what, accepted = case
            _rejects(fn, df.copy(), what, accepted)

    over(cases, check_one)
    ok("the contract is checked, and a frame that holds it passes unchanged.")


def _ranked_lists() -> list[tuple[pd.DataFrame, pd.DataFrame, int]]:
    """``(recs, truth, k)`` cases whose rows are not in rank order.

    Lists are longer than ``k``; one truth user has no list, one listed user no
    truth, one truth user more relevant items than ``k``, one hit sits at rank k.
    In the third, users share items: an item relevant to one user sits in another
    user's top k.
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
    shared = pd.DataFrame([
        (1, 101, 1), (1, 103, 3), (1, 102, 2), (2, 103, 2), (2, 101, 1), (2, 104, 3),
        (3, 104, 1), (3, 102, 2), (3, 105, 3),
    ], columns=[USER, ITEM, "rank"])  # fmt: skip
    truth3 = pd.DataFrame([(1, 102), (1, 104), (2, 103), (2, 105), (3, 101)],
                          columns=[USER, ITEM])  # fmt: skip
    return [(first, truth1, 3), (second, truth2, 2), (shared, truth3, 2)]


def _random_lists(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """A fresh ``(recs, truth, k)``: users share items, rows in no order, some truth
    users without a list and some listed users without truth."""
    n_users, n_items, k = int(rng.integers(4, 8)), int(rng.integers(6, 12)), int(rng.integers(2, 5))
    users = rng.permutation(n_users) + 1
    listed, known = users[: n_users - 1], users[1:]
    recs = [(u, i, r + 1) for u in listed
            for r, i in enumerate(rng.choice(n_items, rng.integers(k, n_items + 1),
                                             replace=False))]  # fmt: skip
    truth = [(u, i) for u in known
             for i in rng.choice(n_items, rng.integers(1, min(n_items, k + 3)), replace=False)]
    recs = pd.DataFrame(recs, columns=[USER, ITEM, "rank"]).sample(frac=1, random_state=rng)
    truth = pd.DataFrame(truth, columns=[USER, ITEM]).sample(frac=1, random_state=rng)
    return recs.reset_index(drop=True), truth.reset_index(drop=True), k


def _recall(recs, truth, k, *, cut=True, strict=False, by_row=False, denom="relevant",
            users="truth", any_hit=False, pooled=False) -> float:  # fmt: skip
    """Recall@k and its usual mistakes (the keyword arguments)."""
    rel = truth.groupby(USER)[ITEM].apply(set)
    every = set(truth[ITEM])
    ordered = recs if by_row else recs.sort_values([USER, "rank"])
    values = {}
    for user, group in ordered.groupby(USER, sort=False):
        top = list(group[ITEM])
        if cut:
            top = top[: k - 1] if strict else top[:k]
        found = rel.get(user, set())
        hits = sum(i in (every if pooled else found) for i in top)
        size = {"relevant": len(found), "k": k, "min": min(k, len(found))}[denom]
        values[user] = float(hits > 0) if any_hit else (hits / size if size else 0.0)
    listed = set(recs[USER])
    pool = {"truth": rel.index, "both": [u for u in rel.index if u in listed],
            "listed": sorted(listed)}[users]  # fmt: skip
    return float(np.mean([values.get(u, 0.0) for u in pool]))


@checked
def check_recall(fn: Callable) -> None:
    """Exercise 1.2: ``fn(recs, truth, k) -> float``, mean Recall@k over truth users."""

    def check_one(case) -> None:
        recs, truth, k = case
        got = number(call(fn, recs.copy(), truth.copy(), k), "recall")
        judge(got, _recall(recs, truth, k), [
            (("You matched items against the relevant items of all users together (an `isin` "
              "over the whole of truth): an item relevant to another user is not a hit. "
              "Match on (user, item) pairs."), _recall(recs, truth, k, pooled=True)),
            ("You did not cut the lists at k: only the first k items count.",
             _recall(recs, truth, k, cut=False)),
            ("You kept the first k-1 items: ranks start at 1, so rank k is in the top k.",
             _recall(recs, truth, k, strict=True)),
            (("You took each user's first rows, not the best ranks: the rows are not in "
              "rank order, so sort by rank first."), _recall(recs, truth, k, by_row=True)),
            (("You divided by k: that is precision; recall is a share of the user's "
              "relevant items."), _recall(recs, truth, k, denom="k")),
            (("You capped the denominator at k; recall is a share of all of the user's "
              "relevant items."), _recall(recs, truth, k, denom="min")),
            ("You counted a user as 1 if any item is found: that is the hit rate.",
             _recall(recs, truth, k, any_hit=True)),
            (("You averaged only over users who have a list: a user with relevant items "
              "but no list scores 0 and still counts."), _recall(recs, truth, k, users="both")),
            (("You averaged over the users who have a list; average over the users in "
              "truth (a user with no relevant items has no recall)."),
             _recall(recs, truth, k, users="listed")),
        ], "Not quite: recall is computed per user of truth, from that user's own k best "
           "ranks and relevant items, then averaged. Try your function on one user by "
           "hand.")  # fmt: skip

    fresh = fresh_rng()  # two fresh cases: no one answer fits both and a designed one
    over([*_ranked_lists(), _random_lists(fresh), _random_lists(fresh)], check_one)
    ok("Recall@k: top k by rank, over each user's relevant items, averaged over users.")


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


def _random_log(rng: np.random.Generator) -> pd.DataFrame:
    """A fresh log in scrambled order: distinct timestamps, a scrambled index, at
    least three users with two ratings or more each (as every split requires)."""
    n_users = int(rng.integers(3, 6))
    n = 2 * n_users + int(rng.integers(2, 8))
    users = np.concatenate([np.repeat(np.arange(1, n_users + 1), 2),
                            rng.integers(1, n_users + 1, n - 2 * n_users)])
    log = pd.DataFrame({
        USER: users, ITEM: np.arange(n) + 10 * rng.integers(1, 4),
        RATING: rng.integers(1, 6, n), TIMESTAMP: rng.permutation(n) * 7 + 100,
    }, index=rng.permutation(n) * 3 + 5)  # fmt: skip
    return log.sample(frac=1, random_state=rng)


def _latest(log: pd.DataFrame, by: str = TIMESTAMP, last: bool = True) -> set:
    rows = log.sort_values([USER, by]).groupby(USER).tail(1) if last else \
        log.sort_values([USER, by]).groupby(USER).head(1)
    return set(map(tuple, rows[[USER, ITEM]].to_numpy().tolist()))


@checked
def check_leave_last_out(fn: Callable[[pd.DataFrame], tuple]) -> None:
    """Exercise 1.3: ``fn(ratings) -> (train, test)``, each user's latest rating in test."""
    def check_one(log: pd.DataFrame) -> None:
        result = call(fn, log.copy())
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise ExerciseError("Return a tuple (train, test) of two DataFrames.")
        train, test = result
        for name, part in (("train", train), ("test", test)):
            if not isinstance(part, pd.DataFrame):
                raise ExerciseError(f"{name} should be a DataFrame with the columns of the input.")
            if set(part.columns) != set(log.columns):
                lost = sorted(set(log.columns) - set(part.columns))
                detail = f"you dropped {lost}." if lost else "you added columns."
                raise ExerciseError(
                    f"{name} should be a DataFrame with the columns of the input; {detail}")
        if len(train) + len(test) != len(log):
            raise ExerciseError(
                f"train and test together have {len(train) + len(test)} rows; the input has "
                f"{len(log)}. Every rating must land in exactly one of them.")  # fmt: skip
        if test[USER].duplicated().any() or set(test[USER]) != set(log[USER]):
            raise ExerciseError("test should hold exactly one rating per user, for every user.")
        got = set(map(tuple, test[[USER, ITEM]].to_numpy().tolist()))
        row_order = set(map(tuple, log.groupby(USER).tail(1)[[USER, ITEM]].to_numpy().tolist()))
        judge(got, _latest(log), [
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

    over([*_tiny_logs(), _random_log(fresh_rng())], check_one)
    ok("each user's latest rating is held out, and nothing leaks into train.")

