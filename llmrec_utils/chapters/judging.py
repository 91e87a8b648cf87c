r"""Chapter 8's LLM judge: does a language model know which of two films a user prefers?

Taught in ``notebooks/08_evaluation.ipynb`` ("Can a language model judge
recommendations?"). The protocol, on the book's data, in the pieces below:

1. **Users** (:func:`judge_experiment`): a seeded sample of the test users of
   ``data.standard_split(split)`` (:func:`reranking.sample_users`).
2. **Pairs** (:func:`judge_pairs`): for each user, the *held-out* film, drawn
   (seeded per user) from the user's test films rated :data:`LIKED` or more,
   against an *other* film the user never rated (neither in training nor in
   the test part), **popularity-matched**: drawn uniformly among the
   :data:`MATCH` never-rated films whose number of training ratings is nearest
   the held-out film's (on a log scale). Uniform negatives would be mostly
   obscure films, so any judge that knows what is popular would pick the
   held-out film (the "sampled negatives" trap of the same chapter); matched
   negatives ask about the user's taste, not the film's fame.
3. **Prompts** (:func:`pair_prompt`, :func:`pair_jobs`): the user's history
   as chapter 7 shows it (:func:`rerank.histories`: the five best-rated
   training films), the two films numbered 1 and 2, the answer a JSON object
   (:class:`Preference`). Each pair is asked **twice**, in the order drawn
   (held-out film first) and swapped, so that a judge that always answers 1
   scores exactly one half, whatever its position bias.
4. **Answers** (:func:`judge_answers`) through :func:`llm.generate_structured`
   and its :class:`llm.GenerationCache` (``data/generations/<model's
   folder>/judge-pairs.jsonl``, replayed with :class:`llm.CacheOnly` as
   chapter 7's listwise ranking is). An answer the parser rejects, or a number
   that is not 1 or 2 (:func:`check_pick`), is rejected with its reason and
   counted; it is no judgement.
5. **Measures** (:func:`judge_report`): pairwise accuracy (the share of valid
   judgements that pick the held-out film), per user and paired with the
   same judgements of a seeded coin (:func:`coin_judge`) and of a popularity
   judge (:func:`popularity_judge`, the film with more training ratings)
   through :func:`evaluation.compare`; position bias (the share of
   first-shown picks, paired against one half); swap consistency
   (:func:`swap_consistency`); and the cost of a judgement in prompt and
   answer tokens, over every attempt (:func:`job_tokens`).

``python -m llmrec_utils.chapters.judging --model <hub id>`` asks a larger
model the same questions (its answers go to its own folder) and prints the
report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic

from ..config import SEED
from ..data.columns import ITEM, RATING, TITLE, USER
from ..text import llm
from ..text.rerank import Skipped, display_title

__all__ = ['JUDGE_DECODING', 'JUDGE_FILE', 'JUDGE_TEMPLATE_VERSION', 'LIKED', 'MATCH', 'JudgeRun', 'Preference', 'check_pick', 'coin_judge', 'judge_answers', 'judge_experiment', 'judge_pairs', 'judge_report', 'job_tokens', 'pair_jobs', 'pair_prompt', 'per_user_accuracy', 'popularity_judge', 'swap_consistency']  # fmt: skip


LIKED = 4  # the held-out film is one the user rated this many stars or more
MATCH = 10  # the other film is drawn among this many never-rated films nearest in popularity
JUDGE_FILE = "judge-pairs.jsonl"  # the answers, in data/generations/<model's folder>/
JUDGE_TEMPLATE_VERSION = "judge-pair-v1"
JUDGE_DECODING = llm.Decoding(max_new_tokens=12, stop_at_json=True)  # '1}' is two tokens
ORDERS = ("as drawn", "swapped")  # held-out film shown first, then second


# --- 1. the pairs ----------------------------------------------------------------------
def judge_pairs(train: pd.DataFrame, test: pd.DataFrame, users: Sequence,
                catalogue: Sequence | None = None, liked: float = LIKED,
                match: int | None = MATCH,
                seed: int = SEED) -> tuple[pd.DataFrame, Skipped]:  # fmt: skip
    """One pair per user: ``user, held_out, other, held_out_ratings, other_ratings``.

    ``held_out`` is drawn uniformly (generator seeded by ``(seed, user)``, so a
    user's pair does not depend on the other users) from the user's ``test``
    films rated ``liked`` or more. ``other`` is drawn uniformly among the
    ``match`` films the user never rated (in ``train`` or ``test``) whose
    number of training ratings is nearest the held-out film's, by
    :math:`|\\log(1 + n_o) - \\log(1 + n_h)|` (ties by item id);
    ``match=None`` draws it uniformly among all of them (uniform negatives).
    ``catalogue`` holds the item ids (every id in ``train`` or ``test``
    when None). Users with no liked test film, or fewer than
    ``match`` never-rated films, are skipped with the reason.
    """
    if match is not None and match < 1:
        raise ValueError("match must be at least 1 (None: uniform over never-rated films).")
    counts = train.groupby(ITEM).size()
    catalogue = np.sort(np.asarray(catalogue if catalogue is not None else
                                   pd.concat([train[ITEM], test[ITEM]]).unique()))  # fmt: skip
    log_n = np.log1p(counts.reindex(catalogue, fill_value=0).to_numpy(float))
    seen = pd.concat([train[[USER, ITEM]], test[[USER, ITEM]]]).groupby(USER)[ITEM].agg(set)
    liked_test = test[test[RATING] >= liked].groupby(USER)[ITEM].agg(sorted)
    rows, skipped = [], Skipped()
    for u in sorted(int(u) for u in users):
        if u not in liked_test.index:
            skipped.add(u, f"no test film rated {liked:g} or more")
            continue
        rng = np.random.default_rng([seed, u])
        held = int(rng.choice(liked_test[u]))
        unseen = ~np.isin(catalogue, list(seen.get(u, set())))
        if unseen.sum() < (match or 1):
            skipped.add(u, f"fewer than {match or 1} films never rated")
            continue
        distance = np.abs(log_n[unseen] - np.log1p(counts.get(held, 0)))
        nearest = catalogue[unseen][np.lexsort((catalogue[unseen], distance))[:match]]
        other = int(rng.choice(nearest))
        rows.append((u, held, other, int(counts.get(held, 0)), int(counts.get(other, 0))))
    pairs = pd.DataFrame(rows, columns=[USER, "held_out", "other", "held_out_ratings",
                                        "other_ratings"])  # fmt: skip
    return pairs, skipped


# --- 2. the prompts -------------------------------------------------------------------
class Preference(pydantic.BaseModel):
    """The judge's answer: the number of the film (as shown, 1 or 2) the user
    would enjoy more."""

    preferred: int


_ASK = (
    "Films this person loved:\n{history}\n\nWhich of these two films would this person "
    "enjoy more?\n1. {first}\n2. {second}\n\n"
    'Answer with a JSON object whose key "preferred" holds the number of that film, '
    "1 or 2."
)


def pair_prompt(history: Sequence[str], first: str, second: str) -> list[dict]:
    """The chat asking which of ``first`` (shown as 1) and ``second`` (2) the
    person with ``history`` would enjoy more; the answer is started
    (``{"preferred": ``) to fix its format without an example, as chapter 7's
    listwise prompt does."""
    if not history:
        raise ValueError("a judge needs the user's history to judge from.")
    if first == second:
        raise ValueError("the two films must differ.")
    ask = _ASK.format(history="\n".join(f"- {t}" for t in history), first=first,
                      second=second)  # fmt: skip
    return [{"role": "system", "content": "You recommend films. You answer with one JSON "
                                          "object."},
            {"role": "user", "content": ask},
            {"role": "assistant", "content": '{"preferred": '}]  # fmt: skip


def pair_jobs(pairs: pd.DataFrame, history: dict, items: pd.DataFrame
              ) -> tuple[dict, pd.DataFrame, Skipped]:  # fmt: skip
    """Two jobs per pair, ``"<user>:as drawn"`` (held-out film shown first) and
    ``"<user>:swapped"``. Returns ``(jobs, shown, skipped)``: job id -> chat;
    ``shown`` one row per job (``job, user, order, first, second, held_out``);
    users with no history, skipped with the reason."""
    title = dict(zip(items[ITEM], items[TITLE].map(display_title)))
    jobs, rows, skipped = {}, [], Skipped()
    for p in pairs.itertuples(index=False):
        u = int(getattr(p, USER))
        if not history.get(u):
            skipped.add(u, "no training history to prompt with")
            continue
        for order, (first, second) in zip(ORDERS, ((p.held_out, p.other), (p.other, p.held_out))):
            job = f"{u}:{order}"
            jobs[job] = pair_prompt(history[u], title[first], title[second])
            rows.append((job, u, order, int(first), int(second), int(p.held_out)))
    shown = pd.DataFrame(rows, columns=["job", USER, "order", "first", "second", "held_out"])
    return jobs, shown, skipped


# --- 3. the answers -------------------------------------------------------------------
def check_pick(value, n: int = 2) -> int:
    """The film number a valid answer names: an integer from 1 to ``n``, else a
    ValueError that says what was wrong (as :func:`rerank.check_ranking` does)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"not a film number: {value!r}")
    if not 1 <= int(value) <= n:
        raise ValueError(f"not one of the {n} films shown: {int(value)}")
    return int(value)


def job_tokens(cache: llm.GenerationCache, model_id: str, jobs: dict, attempts: pd.Series,
               template: str = JUDGE_TEMPLATE_VERSION,
               decoding: llm.Decoding = JUDGE_DECODING) -> pd.DataFrame:  # fmt: skip
    """Prompt and answer tokens (and the recorded seconds) of each job, summed
    over every attempt it took (``attempts``: job id -> attempts), read from the
    cache records: the cost of a judgement, retries included."""
    rows = {}
    for job, messages in jobs.items():
        prompt = answer = 0
        seconds = 0.0
        for attempt in range(int(attempts[job])):
            dec = llm.attempt_decoding(decoding, attempt)
            record = cache.get(llm.cache_key(model_id, template, messages, dec))
            if record is None:
                raise KeyError(f"no cache record for job {job!r}, attempt {attempt}.")
            prompt += int(record["prompt_tokens"])
            answer += int(record["completion_tokens"])
            seconds += float(record.get("seconds") or 0.0)
        rows[job] = (prompt, answer, seconds)
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["prompt_tokens", "answer_tokens", "seconds"])


def judge_answers(generator: llm.Generator, shown: pd.DataFrame, jobs: dict,
                  cache: llm.GenerationCache, decoding: llm.Decoding = JUDGE_DECODING,
                  retries: int = 1, batch_size: int = 8,
                  progress: bool = False) -> tuple[pd.DataFrame, llm.RunSummary]:  # fmt: skip
    """Ask every job through ``cache`` and read each answer.

    Returns ``shown`` plus ``status``, ``text`` (the answer) and ``reason``
    (empty when valid),
    ``pick_position`` (1 or 2; NaN when rejected), ``pick`` (the film; -1 when
    rejected), ``correct`` (the held-out film picked; NaN when rejected),
    ``attempts``, ``prompt_tokens``, ``answer_tokens`` and ``seconds``, and the
    run's :class:`llm.RunSummary`.
    """
    results, summary = llm.generate_structured(generator, jobs, Preference, cache,
                                               JUDGE_TEMPLATE_VERSION, decoding, retries,
                                               batch_size, progress)  # fmt: skip
    out = shown.set_index("job").copy()
    positions, reasons = [], []
    for job in out.index:
        r = results.loc[job]
        position, reason = np.nan, ""
        if r["status"] == "rejected":
            reason = f"parser: {r['reason']}"
        else:
            try:
                position = float(check_pick(r["value"]["preferred"]))
            except ValueError as exc:
                reason = str(exc)
        positions.append(position)
        reasons.append(reason)
    out["status"] = [results.loc[j, "status"] for j in out.index]
    out["text"] = [results.loc[j, "text"] for j in out.index]  # the last attempt's answer
    out["reason"] = reasons
    out["pick_position"] = positions
    valid = out["pick_position"].notna()
    out["pick"] = np.where(out["pick_position"] == 1, out["first"],
                           np.where(out["pick_position"] == 2, out["second"], -1))
    out["correct"] = (out["pick"] == out["held_out"]).astype(float).where(valid)
    out["attempts"] = results["attempts"].reindex(out.index).to_numpy(int)
    cost = job_tokens(cache, generator.model_id, jobs, out["attempts"], JUDGE_TEMPLATE_VERSION,
                      decoding)  # fmt: skip
    out = out.join(cost)
    return out.reset_index(), summary


# --- 4. the other judges and the measures ----------------------------------------------
def coin_judge(judged: pd.DataFrame, seed: int = SEED) -> pd.Series:
    """A random judge: a fair coin per judgement (1 or 2), seeded by ``(seed,
    user, order)`` so that a judgement's coin does not depend on the others."""
    return pd.Series([int(np.random.default_rng([seed, int(u), ORDERS.index(o)]).integers(1, 3))
                      for u, o in zip(judged[USER], judged["order"])],
                     index=judged.index, name="coin")  # fmt: skip


def popularity_judge(judged: pd.DataFrame, train: pd.DataFrame, seed: int = SEED) -> pd.Series:
    """The popularity judge: the position (1 or 2) of the film with more
    training ratings; a tie is a seeded coin (:func:`coin_judge`)."""
    counts = train.groupby(ITEM).size()
    first = judged["first"].map(counts).fillna(0).to_numpy()
    second = judged["second"].map(counts).fillna(0).to_numpy()
    coin = coin_judge(judged, seed + 1).to_numpy()
    return pd.Series(np.where(first > second, 1, np.where(second > first, 2, coin)),
                     index=judged.index, name="popularity")  # fmt: skip


def per_user_accuracy(judged: pd.DataFrame, positions: pd.Series | None = None) -> pd.Series:
    """Each user's share of valid judgements (a valid LLM answer) whose pick is
    the held-out film: the LLM's own picks, or ``positions`` (1 or 2 per row,
    e.g. :func:`coin_judge`) on the same judgements, so the users and the
    judgements are the same for every judge (a paired comparison)."""
    valid = judged["pick_position"].notna()
    if positions is None:
        hit = judged["correct"]
    else:
        pick = np.where(positions == 1, judged["first"], judged["second"])
        hit = pd.Series((pick == judged["held_out"]).astype(float), index=judged.index)
    return hit[valid].groupby(judged.loc[valid, USER]).mean().rename("accuracy")


def swap_consistency(first_order_picks, swapped_picks) -> float:
    """The share of pairs whose pick is the same *film* in both orders.

    ``first_order_picks`` and ``swapped_picks`` hold, for the same pairs, the
    position picked (1 or 2) when the pair is shown as drawn and when it is
    shown swapped; NaN where the answer was rejected. The same film sits at
    the other position once swapped, so a consistent pair picks *different*
    positions. Pairs with a rejected answer in either order are left out;
    NaN when none is left.
    """
    a = np.asarray(first_order_picks, float)
    b = np.asarray(swapped_picks, float)
    if a.shape != b.shape:
        raise ValueError("give one pick per pair in each order (same length).")
    both = ~np.isnan(a) & ~np.isnan(b)
    return float(np.mean(a[both] != b[both])) if both.any() else float("nan")


def judge_report(judged: pd.DataFrame, train: pd.DataFrame, seed: int = SEED) -> dict:
    """The measures of a judged run (:func:`judge_answers`).

    ``accuracy`` (the share of valid judgements that pick the held-out film),
    ``vs_coin`` and ``vs_popularity`` (:func:`evaluation.compare` of per-user
    accuracy: the LLM minus the other judge, on the same judgements),
    ``coin`` and ``popularity`` (their accuracy), ``first_share`` (valid picks
    of the film shown first) and ``first_vs_half`` (per-user share of first
    picks minus one half), ``swap_consistency`` over ``pairs_both_valid``
    pairs, ``judgements``, ``valid``, ``rejected`` with ``reasons`` (reason ->
    count), ``users`` (with a valid judgement), and the mean ``prompt_tokens``,
    ``answer_tokens`` and ``tokens`` per judgement (every attempt counted).
    """
    from ..evaluation.uncertainty import compare

    valid = judged["pick_position"].notna()
    coin, pop = coin_judge(judged, seed), popularity_judge(judged, train, seed)
    llm_acc = per_user_accuracy(judged)
    coin_acc, pop_acc = per_user_accuracy(judged, coin), per_user_accuracy(judged, pop)
    first = (judged["pick_position"] == 1).astype(float)[valid]
    first_user = first.groupby(judged.loc[valid, USER]).mean()
    wide = judged.pivot(index=USER, columns="order", values="pick_position")
    both = wide.notna().all(axis=1)
    reasons = judged.loc[~valid, "reason"].str.replace(r": \d+$", "", regex=True)
    return {
        "judgements": len(judged), "valid": int(valid.sum()), "rejected": int((~valid).sum()),
        "reasons": reasons.value_counts().to_dict(), "users": len(llm_acc),
        "accuracy": float(judged.loc[valid, "correct"].mean()),
        "coin": float(coin_acc.mean()), "popularity": float(pop_acc.mean()),
        "vs_coin": compare(coin_acc, llm_acc, seed=seed),
        "vs_popularity": compare(pop_acc, llm_acc, seed=seed),
        "first_share": float(first.mean()),
        "first_vs_half": compare(pd.Series(0.5, index=first_user.index), first_user, seed=seed),
        "swap_consistency": swap_consistency(wide[ORDERS[0]], wide[ORDERS[1]]),
        "pairs_both_valid": int(both.sum()),
        "prompt_tokens": float(judged["prompt_tokens"].mean()),
        "answer_tokens": float(judged["answer_tokens"].mean()),
        "tokens": float((judged["prompt_tokens"] + judged["answer_tokens"]).mean()),
    }  # fmt: skip


# --- 5. the whole protocol -------------------------------------------------------------
@dataclass
class JudgeRun:
    """What :func:`judge_experiment` returns."""

    pairs: pd.DataFrame  # one pair per user: user, held_out, other, their training ratings
    judged: pd.DataFrame  # one row per judgement (:func:`judge_answers`)
    report: dict  # :func:`judge_report`
    summary: llm.RunSummary  # generated vs replayed answers, generation seconds
    skipped: Skipped = field(default_factory=Skipped)  # users left out, with why
    model_id: str = "?"
    jobs: dict = field(default_factory=dict)  # job id -> the chat asked


def judge_experiment(generator: llm.Generator | None = None, model: str = llm.DEFAULT_MODEL,
                     split: str = "warm", users: int = 100, seed: int = SEED,
                     path: Path | None = None, replay: bool = False,
                     progress: bool = False) -> JudgeRun:  # fmt: skip
    """The LLM judge on ``users`` sampled test users of
    ``data.standard_split(split)``: the pairs (:func:`judge_pairs`), both
    orders asked through the cache ``data/generations/<model's
    folder>/judge-pairs.jsonl`` (or ``path``), and the report
    (:func:`judge_report`). ``replay=True`` reads the committed answers with
    :class:`llm.CacheOnly` and loads no model; else ``generator`` (or
    ``model``, loaded with :func:`llm.load_generator`) answers what the cache
    lacks.
    """
    from ..data import loaders, splits
    from ..text import augment
    from ..text.rerank import histories
    from .reranking import sample_users

    sp = splits.standard_split(split, seed)
    items = loaders.load_ml100k_items()
    chosen = sample_users(sp, users, seed)
    pairs, skipped = judge_pairs(sp.train, sp.test, chosen, items[ITEM].to_numpy(), seed=seed)
    jobs, shown, no_history = pair_jobs(pairs, histories(sp.train, items), items)
    skipped.reasons.update(no_history.reasons)
    if not jobs:
        raise ValueError("no user could be judged (see the skipped users' reasons).")
    folder = augment.run_name(model)
    if replay:
        generator = llm.CacheOnly(augment.run_model_id(folder, (JUDGE_FILE,)),
                                  f"python -m llmrec_utils.chapters.judging --model {model}")
    elif generator is None:
        generator = llm.load_generator(model)
    cache = llm.GenerationCache(path or augment.run_dir(folder) / JUDGE_FILE)
    judged, summary = judge_answers(generator, shown, jobs, cache, progress=progress)
    return JudgeRun(pairs, judged, judge_report(judged, sp.train, seed), summary, skipped,
                    generator.model_id, jobs)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """``python -m llmrec_utils.chapters.judging [--model M] [--users N] [--replay]``."""
    import argparse
    import sys

    p = argparse.ArgumentParser(
        prog="python -m llmrec_utils.chapters.judging",
        description="Chapter 8's LLM judge: each sampled test user's held-out film against a "
        "popularity-matched film they never rated, asked in both orders; answers cached in "
        "data/generations/MODEL/judge-pairs.jsonl (an interrupted run resumes).")
    p.add_argument("--model", default=llm.DEFAULT_MODEL,
                   help=f"{llm.DEFAULT_MODEL} (default), 'http', a hub id or a local directory")
    p.add_argument("--split", default="warm", help="warm (default) or warm-validation")
    p.add_argument("--users", type=int, default=100, help="test users sampled (0 = all)")
    p.add_argument("--replay", action="store_true", help="read the cached answers only")
    args = p.parse_args(argv)
    try:
        run = judge_experiment(model=args.model, split=args.split, users=args.users,
                               replay=args.replay, progress=True)  # fmt: skip
    except (llm.LLMError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    r, s = run.report, run.summary
    print(f"{run.model_id}: {s.generated} answers generated in {s.seconds:.1f} s, "
          f"{s.from_cache} from the cache; {len(run.skipped)} users skipped")
    print(f"{r['judgements']} judgements of {len(run.pairs)} pairs: {r['valid']} valid, "
          f"{r['rejected']} rejected {r['reasons']}")
    print(f"accuracy {r['accuracy']:.3f} (coin {r['coin']:.3f}, popularity "
          f"{r['popularity']:.3f}); LLM - coin {r['vs_coin']}; "
          f"LLM - popularity {r['vs_popularity']}")
    print(f"first-shown picks {r['first_share']:.3f} (minus one half: {r['first_vs_half']}); "
          f"swap consistency {r['swap_consistency']:.3f} over {r['pairs_both_valid']} pairs")
    print(f"tokens per judgement: {r['prompt_tokens']:.1f} prompt + "
          f"{r['answer_tokens']:.1f} answer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
