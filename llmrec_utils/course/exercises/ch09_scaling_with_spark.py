"""Chapter 9's exercise checks (``notebooks/09_scaling_with_spark.ipynb``): top k unseen
per user in Spark, the fetch depth and the cluster's crossover size."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from ...data.columns import ITEM, USER
from .common import ExerciseError, call, checked, fresh_rng, judge, number, ok, over, ratio, same


def _top_k_rows(frame: pd.DataFrame, k: int | None, ascending=False, by_user=True,
                ties="row") -> list:  # fmt: skip
    """Sorted (user, item, rank) rows of the top k per user (all rows if k is None), in
    pandas; among equal scores the smaller item id ranks first. ``ties`` "rank" and
    "dense" give equal scores one rank, "item" breaks ties by the larger item id."""
    frame = frame.sort_values([USER, "score", ITEM],
                              ascending=[True, ascending, ties != "item"])  # fmt: skip
    if not by_user:
        rank = frame["score"].rank(ascending=ascending, method="first").astype(int)
    elif ties in ("rank", "dense"):
        rank = frame.groupby(USER)["score"].rank(
            ascending=ascending, method="min" if ties == "rank" else "dense").astype(int)
    else:
        rank = frame.groupby(USER).cumcount() + 1
    frame = frame.assign(rank=rank)
    frame = frame if k is None else frame[frame["rank"] <= k]
    return sorted(map(tuple, frame[[USER, ITEM, "rank"]].astype(int).to_numpy().tolist()))


def _random_scores(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Fresh ``(scores, seen, k)``: scores on a coarse grid, so that some tie."""
    n_users, n_items = int(rng.integers(2, 5)), int(rng.integers(4, 8))
    pairs = [(u, i) for u in range(1, n_users + 1) for i in range(10, 10 + n_items)
             if rng.random() < 0.85]  # fmt: skip
    scores = pd.DataFrame(pairs, columns=[USER, ITEM])
    scores["score"] = rng.integers(1, 6, len(scores)) / 10
    seen = scores.sample(frac=0.3, random_state=rng)[[USER, ITEM]]
    return scores.sample(frac=1, random_state=rng), seen, int(rng.integers(2, 4))


@checked
def check_spark_top_k(fn: Callable) -> None:
    """``fn(scores, seen, k) -> Spark DataFrame`` of ``user, item, score, rank``:
    the ``k`` best unseen items per user (``scores``: user, item, score;
    ``seen``: user, item), rank 1 = highest score, ties to the smaller item id."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is None:
        raise ExerciseError("no active Spark session: run the chapter's session cell first.")
    # user 3 has seen everything; user 2 has fewer unseen items than k = 3 and a tie
    # at rank k = 2; user 1 has a tie at the top
    scores = pd.DataFrame({USER: [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3],
                           ITEM: [10, 12, 11, 13, 14, 10, 11, 13, 12, 15, 10],
                           "score": [0.9, 0.8, 0.8, 0.1, 0.5, 0.6, 0.6, 0.4, 0.4, 0.2,
                                     0.3]})  # fmt: skip
    seen = pd.DataFrame({USER: [1, 2, 3, 1, 2], ITEM: [10, 11, 10, 99, 15]})
    cases = [(scores, seen, 2), (scores, seen, 3), _random_scores(fresh_rng())]

    def check_one(case) -> None:
        scores, seen, k = case
        out = call(fn, spark.createDataFrame(scores), spark.createDataFrame(seen), k)
        if not hasattr(out, "toPandas"):
            raise ExerciseError(f"return a Spark DataFrame, got {type(out).__name__}.")
        got = out.toPandas()
        missing = {USER, ITEM, "score", "rank"} - set(got.columns)
        if missing:
            raise ExerciseError(f"the result lacks columns {sorted(missing)}.")
        rows = sorted(map(tuple, got[[USER, ITEM, "rank"]].astype(int).to_numpy().tolist()))
        unseen = scores.merge(seen, on=[USER, ITEM], how="left", indicator=True)
        unseen = unseen[unseen["_merge"] == "left_only"]
        judge(rows, _top_k_rows(unseen, k), [
            (("Seen items are still there: remove them with a left_anti join on (user, item) "
              "before ranking."), _top_k_rows(scores, k)),
            ("Rank 1 went to the lowest score; order the window by descending score.",
             _top_k_rows(unseen, k, ascending=True)),
            ("The ranks run over all users at once; partition the window by user.",
             _top_k_rows(unseen, k, by_user=False)),
            (("Items with equal scores got the same rank, as rank() gives them; "
              "number the rows with row_number(), so each user gets exactly k."),
             _top_k_rows(unseen, k, ties="rank")),
            (("Items with equal scores got the same rank, as dense_rank() gives them; "
              "number the rows with row_number(), so each user gets exactly k."),
             _top_k_rows(unseen, k, ties="dense")),
            (("Among equal scores the larger item id came first; the exercise breaks ties "
              "by the smaller item id (order the window by item too)."),
             _top_k_rows(unseen, k, ties="item")),
            ("Every unseen item is still there: keep only rank <= k.", _top_k_rows(unseen, None)),
        ], "Not quite: some users' lists hold other items or ranks than they should; "
           "compare yours with a small case worked out by hand.",
           same=lambda a, b: a == b)  # fmt: skip

    over(cases, check_one)
    ok("anti-join the seen pairs, then row_number() over a per-user window, keep rank <= k.")


@checked
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
    rng = fresh_rng()
    n = int(rng.integers(8, 20))
    fresh = pd.DataFrame({USER: rng.integers(1, 6, n), ITEM: rng.integers(10, 25, n)})
    fresh = pd.concat([fresh, fresh.iloc[[0, 1]]]).sample(frac=1, random_state=rng)
    k = int(rng.integers(2, 8))
    cases.append((fresh.reset_index(drop=True), k))
    # the same log with a new film for its heaviest user: the depth grows by one
    heaviest = fresh.drop_duplicates().groupby(USER).size().idxmax()
    more = pd.concat([fresh, pd.DataFrame({USER: [heaviest], ITEM: [99]})])
    cases.append((more.sample(frac=1, random_state=rng).reset_index(drop=True), k))

    def check_one(case) -> None:
        seen, k = case
        got = number(call(fn, seen.copy(), k), "the depth")
        distinct = seen.drop_duplicates()
        per_user = distinct.groupby(USER).size()
        judge(got, k + per_user.max(), [
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
        ], "Not quite: think of the worst case, where every item a user has seen ranks "
           "above all the others, for every user.", same=lambda a, b: a == b)  # fmt: skip

    over(cases, check_one)
    ok("k plus the most distinct items any user has seen: even if they all rank first, "
        "k unseen remain.")


@checked
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
    # fresh: a cluster that starts dearer and grows slower, so it catches up
    fresh = fresh_rng()
    a1, b1, w = fresh.uniform(0, 10), fresh.uniform(1e-5, 1e-3), int(fresh.integers(2, 17))
    a2, b2 = a1 + fresh.uniform(1, 50), b1 * w * fresh.uniform(0.1, 0.9)
    cases.append((float(a1), float(b1), float(a2), float(b2), w))
    errors = {ZeroDivisionError: "When the two lines have the same slope the cluster never "
                                 "catches up; test for that before dividing."}  # fmt: skip

    def check_one(args) -> None:
        got = number(call(fn, *args, errors=errors), "the crossover size")
        a1, b1, a2, b2, w = args
        unguarded = ratio(a2 - a1, b1 - b2 / w)
        judge(got, solve(*args), [
            ("That ignores the workers: the cluster's cost per rating is shared among them.",
             ratio(a2 - a1, b1 - b2)),
            ("You multiplied by the workers; the cluster's cost per rating is divided among them.",
             ratio(a2 - a1, b1 - b2 * w)),
            (("A negative size: when the cluster's line is steeper it never catches up (math.inf); "
              "when it starts cheaper and grows slower it is faster from the first rating."),
             unguarded),
            (("The cluster never catches up here: its time grows at least as fast as one "
              "machine's. Return math.inf."), None if unguarded is None else abs(unguarded)),
            ("The cluster never catches up here, so the answer is not 0: return math.inf.",
             0.0 if math.isinf(solve(*args)) else None),
            ("The sign is flipped: the cluster's fixed cost is the larger one.",
             ratio(a1 - a2, b1 - b2 / w)),
        ], "Not quite: set the two times equal and solve for n; return math.inf when the "
           "cluster never catches up.", same=lambda g, x: g == x or same(g, x))  # fmt: skip

    over(cases, check_one)
    ok("n* = (a2 - a1) / (b1 - b2 / workers) when the cluster's slope is smaller, else never.")

