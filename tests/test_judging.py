"""Chapter 8's LLM judge: the pairs, the prompts, malformed answers, the other
judges, position bias, swap consistency, the cost per judgement, replay, and the
exercise check on swap consistency."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.chapters import judging
from llmrec_utils.course import exercises
from llmrec_utils.course.exercises import ExerciseError
from llmrec_utils.data import ITEM, RATING, TITLE, USER
from llmrec_utils.text import llm

ROOT = Path(__file__).resolve().parents[1]


def toy():
    """Users 1-3 and films 1-30; film f has f training ratings from other users
    (100 + f ...), so popularity is the film's number. Test films: user 1 liked
    film 20 (and disliked 21), user 2 liked film 5, user 3 liked none."""
    rows = [(100 + j, f, 3.0) for f in range(1, 31) for j in range(f)]
    rows += [(1, 1, 5.0), (1, 2, 4.0), (2, 3, 5.0), (2, 19, 4.0), (3, 4, 5.0)]
    train = pd.DataFrame(rows, columns=[USER, ITEM, RATING])
    test = pd.DataFrame([(1, 20, 5.0), (1, 21, 1.0), (2, 5, 4.0), (3, 6, 2.0)],
                        columns=[USER, ITEM, RATING])
    items = pd.DataFrame({ITEM: range(1, 31), TITLE: [f"Film {f} (1990)" for f in range(1, 31)]})
    return train, test, items


def test_pairs_hold_out_a_liked_film_against_a_popularity_matched_unrated_one():
    train, test, items = toy()
    pairs, skipped = judging.judge_pairs(train, test, [1, 2, 3], items[ITEM], match=4)
    assert skipped.reasons == {3: "no test film rated 4 or more"}
    p = pairs.set_index(USER)
    assert p.loc[1, "held_out"] == 20 and p.loc[2, "held_out"] == 5  # the only liked ones
    # the 4 never-rated films nearest in training ratings: 18, 19, 22, 23 for film 20
    # (21 is user 1's own test film); 4, 6, 7 and 2 or 8 for film 5
    assert p.loc[1, "other"] in {18, 19, 22, 23}
    assert p.loc[2, "other"] in {2, 4, 6, 7, 8}  # 2 and 8 are equally near: a tie
    assert p.loc[1, "other_ratings"] == p.loc[1, "other"]  # counts read from training
    assert p.loc[1, "held_out_ratings"] == 20 + 0  # user 1 did not rate it in training
    # seeded per user: the same pair whatever the other users
    alone, _ = judging.judge_pairs(train, test, [1], items[ITEM], match=4)
    pd.testing.assert_frame_equal(alone, pairs.iloc[:1])
    # match=1: the single nearest never-rated film; None: any never-rated film
    nearest, _ = judging.judge_pairs(train, test, [1], items[ITEM], match=1)
    assert nearest["other"].item() == 19  # user 2's rating gives it as many as film 20
    seen = {1, 2, 20, 21}
    others = {judging.judge_pairs(train, test, [1], items[ITEM], match=None, seed=s)[0]["other"]
              .item() for s in range(40)}  # fmt: skip
    assert not others & seen and len(others) > 10
    with pytest.raises(ValueError, match="at least 1"):
        judging.judge_pairs(train, test, [1], items[ITEM], match=0)


def test_prompts_show_the_history_and_both_orders():
    train, test, items = toy()
    pairs, _ = judging.judge_pairs(train, test, [1, 2], items[ITEM], match=4)
    history = {1: ["Film 1 (1990)", "Film 2 (1990)"]}  # user 2: none
    jobs, shown, skipped = judging.pair_jobs(pairs, history, items)
    assert skipped.reasons == {2: "no training history to prompt with"}
    assert list(jobs) == ["1:as drawn", "1:swapped"]
    other = int(pairs.loc[pairs[USER] == 1, "other"].item())
    drawn, swapped = (jobs[j][1]["content"] for j in jobs)
    assert "- Film 1 (1990)\n- Film 2 (1990)" in drawn
    assert f"1. Film 20 (1990)\n2. Film {other} (1990)" in drawn
    assert f"1. Film {other} (1990)\n2. Film 20 (1990)" in swapped
    assert jobs["1:as drawn"][-1] == {"role": "assistant", "content": '{"preferred": '}
    assert shown[["first", "second"]].values.tolist() == [[20, other], [other, 20]]
    with pytest.raises(ValueError, match="history"):
        judging.pair_prompt([], "A", "B")
    with pytest.raises(ValueError, match="differ"):
        judging.pair_prompt(["C"], "A", "A")


@pytest.mark.parametrize("value, fragment", [
    (3, "not one of the 2 films shown: 3"), (0, "not one of the 2 films shown: 0"),
    ("1", "not a film number"), (True, "not a film number"), (None, "not a film number"),
])  # fmt: skip
def test_a_pick_outside_the_films_shown_is_rejected_with_its_reason(value, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        judging.check_pick(value)
    assert judging.check_pick(2) == 2 and judging.check_pick(np.int64(1)) == 1


class Scripted(llm.Generator):
    """Answers by rule: ``"first"`` (always 1), ``"oracle"`` (the held-out film,
    whose title it is told), or a fixed text for the users in ``fixed``."""

    model_id = "scripted"

    def __init__(self, rule: str, held_out_titles: dict, fixed: dict | None = None):
        self.rule, self.titles, self.fixed, self.calls = rule, held_out_titles, fixed or {}, 0

    def generate(self, prompts, decoding=None, batch_size=8, progress=True):
        self.calls += len(prompts)
        out = []
        for p in prompts:
            ask = p[1]["content"]
            user = next(u for u, t in self.titles.items() if f"- History of {u}\n" in ask)
            if user in self.fixed:
                text = self.fixed[user]
            elif self.rule == "first":
                text = '{"preferred": 1}'
            else:
                text = '{"preferred": %d}' % (1 if f"1. {self.titles[user]}\n" in ask else 2)
            out.append(llm.Completion(text, 40 + user, 3))
        return out


def scripted_run(tmp_path, rule, fixed=None, n_users=12, retries=1):
    rng = np.random.default_rng(0)
    held = {u: int(f) for u, f in zip(range(1, n_users + 1), rng.permutation(100)[:n_users] + 1)}
    other = {u: 200 + u for u in held}
    pairs = pd.DataFrame({USER: list(held), "held_out": list(held.values()),
                          "other": list(other.values())})  # fmt: skip
    items = pd.DataFrame({ITEM: range(1, 300), TITLE: [f"Film {i}" for i in range(1, 300)]})
    history = {u: [f"History of {u}"] for u in held}
    jobs, shown, _ = judging.pair_jobs(pairs, history, items)
    titles = {u: f"Film {f}" for u, f in held.items()}
    gen = Scripted(rule, titles, fixed)
    cache = llm.GenerationCache(tmp_path / "judge.jsonl")
    judged, summary = judging.judge_answers(gen, shown, jobs, cache, retries=retries)
    # training ratings: the held-out films are more popular for the odd users only
    counts = {**{f: 5 if u % 2 else 1 for u, f in held.items()}, **{o: 3 for o in other.values()}}
    train = pd.DataFrame([(1000 + j, item, 4.0) for item, n in counts.items() for j in range(n)],
                         columns=[USER, ITEM, RATING])  # fmt: skip
    return judged, summary, train, jobs, shown, gen


def test_a_judge_that_always_answers_1_is_exposed(tmp_path):
    judged, summary, train, *_ = scripted_run(tmp_path, "first")
    report = judging.judge_report(judged, train)
    assert report["accuracy"] == 0.5  # both orders asked: position bias cannot score
    assert report["first_share"] == 1.0 and report["first_vs_half"].low > 0
    assert report["swap_consistency"] == 0.0 and report["pairs_both_valid"] == 12
    assert report["vs_coin"].n == report["users"] == 12
    assert report["popularity"] == 0.5  # right for the odd users, wrong for the even
    assert report["rejected"] == 0 and summary.generated == 24


def test_an_oracle_beats_the_coin_and_popularity_and_is_consistent(tmp_path):
    judged, _, train, *_ = scripted_run(tmp_path, "oracle", n_users=30)
    report = judging.judge_report(judged, train)
    assert report["accuracy"] == 1.0 and report["swap_consistency"] == 1.0
    assert report["first_share"] == 0.5
    assert report["first_vs_half"].low <= 0 <= report["first_vs_half"].high
    assert report["vs_coin"].low > 0 and report["vs_popularity"].low > 0
    assert math.isclose(report["vs_coin"].diff, 1.0 - report["coin"])


def test_malformed_answers_are_rejected_counted_and_cost_their_retries(tmp_path):
    fixed = {1: '{"preferred": 3}', 2: "I would pick the first one.", 3: '{"film": 1}'}
    judged, summary, train, jobs, shown, gen = scripted_run(tmp_path, "oracle", fixed)
    report = judging.judge_report(judged, train)
    assert report["rejected"] == 6 and report["valid"] == 18 and report["judgements"] == 24
    assert report["reasons"] == {"not one of the 2 films shown": 2,
                                 "parser: no JSON object in the answer": 2,
                                 "parser: schema: preferred: Field required": 2}
    bad = judged[judged[USER].isin([1, 2, 3])]
    assert bad["pick_position"].isna().all() and (bad["pick"] == -1).all()
    assert bad["correct"].isna().all()
    # the parser's rejections were retried once (two attempts, both paid for);
    # a valid JSON object with a wrong number is not retried by the parser
    assert bad.set_index(USER)["attempts"].groupby(level=0).first().to_dict() == {1: 1, 2: 2, 3: 2}
    tokens = judged.set_index("job")
    assert tokens.loc["2:as drawn", "prompt_tokens"] == 2 * 42
    assert tokens.loc["2:as drawn", "answer_tokens"] == 2 * 3
    assert tokens.loc["5:swapped", "prompt_tokens"] == 45
    assert report["users"] == 9 and report["pairs_both_valid"] == 9
    assert report["tokens"] == pytest.approx((judged["prompt_tokens"]
                                              + judged["answer_tokens"]).mean())
    # replay: the same judgements from the cache, with no model
    cache = llm.GenerationCache(tmp_path / "judge.jsonl")
    again, summary2 = judging.judge_answers(llm.CacheOnly("scripted"), shown, jobs, cache)
    pd.testing.assert_frame_equal(again, judged)
    assert summary2.generated == 0
    with pytest.raises(llm.LLMError, match="missing from the cache"):
        judging.judge_answers(llm.CacheOnly("another model"), shown, jobs, cache)


def test_the_coin_and_popularity_judges():
    judged = pd.DataFrame({USER: [1, 1, 2, 2], "order": ["as drawn", "swapped"] * 2,
                           "first": [10, 20, 30, 40], "second": [20, 10, 40, 30]})
    coin = judging.coin_judge(judged)
    assert set(coin) <= {1, 2} and coin.equals(judging.coin_judge(judged))
    # a judgement's coin does not depend on the other judgements
    assert judging.coin_judge(judged.iloc[2:]).equals(coin.iloc[2:])
    coins = pd.concat([judging.coin_judge(judged, seed=s) for s in range(200)])
    assert 0.4 < (coins == 1).mean() < 0.6
    train = pd.DataFrame({USER: range(7), ITEM: [10, 10, 10, 20, 30, 40, 99]})
    pop = judging.popularity_judge(judged, train)
    assert pop.iloc[:2].tolist() == [1, 2]  # film 10 (3 ratings) over film 20 (1)
    assert set(pop.iloc[2:]) <= {1, 2}  # films 30 and 40 tie: a coin


def test_per_user_accuracy_pairs_every_judge_on_the_same_judgements():
    judged = pd.DataFrame({USER: [1, 1, 2, 2], "first": [5, 6, 7, 7], "second": [6, 5, 8, 8],
                           "held_out": [5, 5, 7, 7], "pick_position": [1.0, 1.0, np.nan, 2.0],
                           "correct": [1.0, 0.0, np.nan, 0.0]})  # fmt: skip
    assert judging.per_user_accuracy(judged).to_dict() == {1: 0.5, 2: 0.0}
    always_first = pd.Series(1, index=judged.index)
    # user 2's first judgement was rejected: no judge is scored on it
    assert judging.per_user_accuracy(judged, always_first).to_dict() == {1: 0.5, 2: 1.0}


def test_swap_consistency_counts_the_same_film_not_the_same_position():
    nan = np.nan
    assert judging.swap_consistency([1, 1, 1], [1, 1, 1]) == 0.0  # always the first shown
    assert judging.swap_consistency([1, 2, 1], [2, 1, 2]) == 1.0
    assert judging.swap_consistency([1, 2, nan, 1], [2, 2, 1, nan]) == 0.5
    assert math.isnan(judging.swap_consistency([nan, 1], [2, nan]))
    with pytest.raises(ValueError, match="same length"):
        judging.swap_consistency([1, 2], [1])


# --- the committed answers ----------------------------------------------------------------
def test_the_committed_answers_are_the_default_models_and_replay(tmp_path):
    """The default model's file is complete for the chapter's protocol (replay
    loads no model) and every record belongs to this template."""
    path = ROOT / "data" / "generations" / "smollm2-135m" / judging.JUDGE_FILE
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert {r["template"] for r in records} == {judging.JUDGE_TEMPLATE_VERSION}
    assert {r["model"] for r in records} == {llm.default_model_id()}
    run = judging.judge_experiment(replay=True)
    assert run.summary.generated == 0 and run.report["judgements"] == 2 * len(run.pairs)
    assert len(records) == sum(run.judged["attempts"])


# --- the exercise ------------------------------------------------------------------------
def notebook_solution():
    cells = json.loads((ROOT / "notebooks" / "08_evaluation.ipynb").read_text())["cells"]
    src = next("".join(c["source"]) for c in cells if c["cell_type"] == "code"
               and "### BEGIN SOLUTION" in "".join(c["source"])
               and "def swap_consistency(" in "".join(c["source"]))  # fmt: skip
    ns = {"np": np, "pd": pd}
    exec(compile(src, "08_evaluation:swap_consistency", "exec"), ns)  # noqa: S102
    return ns["swap_consistency"]


def _positions(mistake):
    def answer(a, b):
        a, b = np.asarray(a, float), np.asarray(b, float)
        both = ~np.isnan(a) & ~np.isnan(b)
        return mistake(a, b, both)
    return answer


@pytest.mark.parametrize("wrong, hint", [
    (_positions(lambda a, b, both: np.mean(a[both] == b[both])), "same \\*position\\*"),
    (_positions(lambda a, b, both: np.mean(a == b)), "same \\*position\\*"),
    (_positions(lambda a, b, both: np.sum(a[both] != b[both]) / len(a)), "in your denominator"),
    (_positions(lambda a, b, both: np.mean(a != b)), "count as consistent"),
    (_positions(lambda a, b, both: np.mean(a[~np.isnan(a)] != b[~np.isnan(a)])),
     "first order only"),
    (_positions(lambda a, b, both: np.sum(a[both] != b[both])), "return the share"),
    (_positions(lambda a, b, both: 0.3), "Not quite"),
])  # fmt: skip
def test_the_swap_consistency_check_names_each_mistake(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        exercises.check_swap_consistency(wrong)


@pytest.mark.parametrize("fn, hint", [
    (lambda a, b: (_ for _ in ()).throw(NotImplementedError()), "still raises NotImplementedError"),
    (lambda a, b: None, "returned None"),
    (lambda a, b: [][1], "raised IndexError"),
    (42, "Pass your function itself"),
])  # fmt: skip
def test_the_swap_consistency_check_turns_stubs_and_crashes_into_hints(fn, hint):
    with pytest.raises(ExerciseError, match=hint):
        exercises.check_swap_consistency(fn)


def test_the_swap_consistency_check_accepts_right_answers():
    exercises.check_swap_consistency(judging.swap_consistency)
    exercises.check_swap_consistency(notebook_solution())
    # lists in, a NumPy scalar or a one-element array out: harmless
    exercises.check_swap_consistency(lambda a, b: np.array([judging.swap_consistency(a, b)]))
    exercises.check_swap_consistency(
        lambda a, b: pd.Series(a).ne(pd.Series(b))[pd.Series(a).notna()
                                                   & pd.Series(b).notna()].mean())
    for seed in range(30):  # the fresh cases never fail the reference
        with exercises.common.seeded(seed):
            exercises.check_swap_consistency(judging.swap_consistency)
