r"""The LLM as a zero-shot re-ranker of a base model's top-N.

A base model (EASE) proposes each user's top ``N`` films (:func:`candidates`);
an LLM that never saw the ratings re-orders them from the user's history, in
two ways:

* **log-likelihood** (:class:`LLScorer`): the score of candidate :math:`c` is
  the mean log-probability of its title's own tokens :math:`t_1..t_m` as the
  assistant's answer to a prompt :math:`x_u` that shows the user's history,

  .. math:: s(u, c) = \frac{1}{m} \sum_{j=1}^{m} \log p(t_j \mid x_u, t_{<j}),

  computed by teacher forcing in one batched forward pass per user: nothing is
  generated, so there is no free text to parse, which suits a small model.
  No end-of-turn token is scored (:math:`m` counts the title's tokens only).
  The sum (the title's log-likelihood) is kept too, but it falls with every
  token, so it prefers short titles whatever the history (length bias); the
  mean does not.
* **a prompted listwise ranking** (:func:`rank_jobs`, :func:`llm_ranking`): the
  history and the candidates, listed once per user in one seeded shuffle
  (:func:`shuffle_positions`), the answer a JSON list of candidate numbers.
  The model is asked once per user and its one answer is the LLM's order.
  This is a single-permutation form of a zero-shot LLM ranker: Hou et al.
  (2024) also ask for a ranking of shuffled candidates, but they ask several
  times with differently shuffled orders and aggregate the answers
  (bootstrapping) to control position bias; this code does not aggregate, so
  the shuffle only hides the base model's order from the prompt and leaves
  each answer's position bias in place, where :func:`position_bias` measures
  it. The call goes through :func:`llm.generate_structured`
  and its :class:`llm.GenerationCache`, so a committed cache replays with
  :class:`llm.CacheOnly` like chapter 6's picks. An answer that is not a
  permutation of the numbers shown is rejected with its reason
  (:func:`check_ranking`) and that user keeps the base order. The shuffle is
  recorded (``position``), so :func:`position_bias` measures how often the
  model's first choice is simply the first candidate shown.

:func:`blend` mixes the per-user z-scores (:func:`hybrid.zscore_rows` on each
user's candidates) of the base score and of an LLM score, :math:`z(b) + w\,z(\ell)`; :func:`rerank` turns any per-candidate score
into ranked lists that :func:`metrics.ranking_metrics` and
:func:`evaluation.compare` score against the base model's own order.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pydantic

from ..config import SEED, logger
from ..data.columns import ITEM, RANK, RATING, SCORE, TIMESTAMP, TITLE, USER
from ..models.hybrid import zscore_rows
from . import llm

if TYPE_CHECKING:
    from ..models.base import Recommender

__all__ = ['LL_TEMPLATE_VERSION', 'N_CANDIDATES', 'N_HISTORY', 'RANK_DECODING', 'RANK_TEMPLATE_VERSION', 'LLScorer', 'Ranking', 'RankingRun', 'Skipped', 'blend', 'candidates', 'check_ranking', 'display_title', 'histories', 'list_metrics', 'll_prompt', 'll_scores', 'llm_ranking', 'position_bias', 'rank_jobs', 'rank_prompt', 'rerank', 'shuffle_positions', 'token_logprobs']  # fmt: skip


N_CANDIDATES = 20  # the base model's top-N that the LLM re-orders


N_HISTORY = 5  # films shown per user: the highest-rated, the most recent first among ties


# v1 also averaged the end-of-turn token after the title; v2 scores the title
# only. The version is part of every score's cache key (:meth:`LLScorer.key`),
# so a v1 score is never read as a v2 one.
LL_TEMPLATE_VERSION = "rerank-ll-v2"


RANK_TEMPLATE_VERSION = "rerank-list-v2"


def display_title(title: str) -> str:
    """MovieLens's ``"Usual Suspects, The (1995)"`` as ``"The Usual Suspects (1995)"``:
    the form a language model has read."""
    m = re.match(r"^(.*), (The|A|An|Les|La|Le|Il|Das|Der|Die|El)( \(\d{4}\))?$", title.strip())
    return f"{m.group(2)} {m.group(1)}{m.group(3) or ''}" if m else title.strip()


# --- the inputs ------------------------------------------------------------------------
@dataclass
class Skipped:
    """Users left out of a step, with why (``config.logger()`` says how many)."""

    reasons: dict = field(default_factory=dict)  # user -> reason

    def add(self, user, reason: str) -> None:
        self.reasons[user] = reason

    def __len__(self) -> int:
        return len(self.reasons)


def candidates(model: Recommender, users: Sequence, n: int = N_CANDIDATES
               ) -> tuple[pd.DataFrame, Skipped]:  # fmt: skip
    """Each user's top ``n`` unseen items from a fitted ``model`` as
    ``user, item, rank, score`` (rank 1 = the model's best). A user the model
    does not know, or with no unseen item left, has an empty list: skipped and
    counted (the second value), and logged."""
    users = np.asarray(users)
    skipped = Skipped()
    known = np.isin(users, np.asarray(model.users_))
    for u in users[~known]:
        skipped.add(u, "unknown to the base model: no candidates")
    recs = (model.recommend(users[known], k=n) if known.any()
            else pd.DataFrame(columns=[USER, ITEM, SCORE, RANK]))  # fmt: skip
    for u in set(users[known]) - set(recs[USER]):
        skipped.add(u, "no unseen item to recommend")
    if len(skipped):
        logger().info("%d of %d users have no candidates and are skipped.",
                      len(skipped), len(users))  # fmt: skip
    return recs[[USER, ITEM, RANK, SCORE]].reset_index(drop=True), skipped


def histories(train: pd.DataFrame, items: pd.DataFrame, n: int = N_HISTORY) -> dict:
    """Each user's ``n`` highest-rated training films, ties by the most recent,
    as a list of display titles, best first: user -> titles. The highest-rated
    films say what the user likes (the prompt asks for one more such film);
    the most recent among equal ratings are closest to the test period."""
    title = dict(zip(items[ITEM], items[TITLE].map(display_title)))
    cols = [USER, RATING] + ([TIMESTAMP] if TIMESTAMP in train else [])
    order = train.sort_values(cols, ascending=[True] + [False] * (len(cols) - 1))
    top = order.groupby(USER, sort=True).head(n)
    return {int(u): [title[i] for i in g[ITEM]] for u, g in top.groupby(USER, sort=True)}


# --- 1. log-likelihood of each candidate's title ------------------------------------
_SYSTEM = "You recommend films."


def ll_prompt(history: Sequence[str]) -> list[dict]:
    """The chat whose answer is scored: the user's films, then the request for
    one more. The answer (a candidate's title) is appended by the scorer. An
    empty history gives the prior prompt (no user), see :meth:`LLScorer.prior`."""
    if history:
        listing = "\n".join(f"- {t}" for t in history)
        ask = (
            f"Films this person loved:\n{listing}\n\n"
            "Recommend one more film they would enjoy. Answer with its title only."
        )
    else:
        ask = "Recommend a film. Answer with its title only."
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": ask}]


def token_logprobs(model, context: Sequence[int], continuations: Sequence[Sequence[int]],
                   pad_id: int = 0, share_prefix: bool = True) -> list[np.ndarray]:  # fmt: skip
    r"""Teacher forcing: :math:`\log p(c_j \mid \text{context}, c_{<j})` for every
    token of every continuation, in one forward pass over the batch
    ``[context + c]`` (right-padded, masked).

    The logits at position :math:`t` predict token :math:`t+1`, so the
    continuation's token at position :math:`L + j` (:math:`L` = context length)
    is read from the log-softmax at :math:`L + j - 1`. With ``share_prefix``
    the context is run once and its key/value cache copied to every row, so a
    batch costs :math:`L + \sum_c |c|` tokens instead of :math:`\sum_c (L + |c|)`;
    the scores are the same. Returns one array per continuation.
    """
    import torch

    context = list(context)
    if not context:
        raise ValueError("the context needs at least one token (the first is never scored).")
    if not continuations or any(len(c) == 0 for c in continuations):
        raise ValueError("every continuation needs at least one token.")
    device = next(model.parameters()).device
    head = context if share_prefix else []
    rows = [([] if share_prefix else context) + list(c) for c in continuations]
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = torch.tensor(row)
        mask[r, : len(row)] = 1
    # transformers 5.x calls the key/value cache ``cache``; 4.x ``past_key_values``
    name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    with torch.inference_mode():
        if share_prefix:
            first = model(input_ids=torch.tensor([head], device=device), use_cache=True)
            cache = first["cache"] if "cache" in first else first.get("past_key_values")
            if not hasattr(cache, "batch_repeat_interleave"):  # a legacy tuple cache
                return token_logprobs(model, context, continuations, pad_id, share_prefix=False)
            cache.batch_repeat_interleave(len(rows))
            full_mask = torch.cat([torch.ones((len(rows), len(head)), dtype=torch.long), mask], 1)
            logits = model(input_ids=ids.to(device), attention_mask=full_mask.to(device),
                           use_cache=True, **{name: cache}).logits  # fmt: skip
            last = first.logits[:, -1:].expand(len(rows), 1, -1)  # predicts each c_1
            logits = torch.cat([last, logits], 1)
            start = 1  # c_j is predicted at row position j (position 0: the context's last)
        else:
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            start = len(context)
        logp = torch.log_softmax(logits.float(), dim=-1)
    out = []
    for r, c in enumerate(continuations):
        pos = torch.arange(start - 1, start - 1 + len(c), device=logp.device)
        target = torch.tensor(list(c), device=logp.device)
        out.append(logp[r, pos, target].cpu().numpy().astype(float))
    return out


class LLScorer:
    """Scores candidate titles by their log-likelihood under a causal LM.

    ``model`` is what :func:`llm.load_generator` accepts (default
    ``"smollm2-135m"``, the book's pinned GGUF; a hub id or directory for a
    larger model); the model and tokenizer are those of
    :class:`llm.TransformersGenerator` (an HTTP endpoint gives no token
    log-probabilities here). ``generator`` passes one already loaded. Scores
    are cached per (model id, template version, prompt, title) in an
    append-only :class:`llm.GenerationCache` at ``cache``, so a rerun is free.
    """

    def __init__(self, model: str = llm.DEFAULT_MODEL, cache: str | Path | None = None,
                 generator: llm.Generator | None = None, device: str | None = None):  # fmt: skip
        self.spec = model
        self._generator = generator
        self._device = device
        self.model_id = generator.model_id if generator else (
            llm.default_model_id() if model == llm.DEFAULT_MODEL else model)  # fmt: skip
        self.cache = llm.GenerationCache(cache) if cache else None
        self.forward_passes = 0  # batches actually run (not replayed)

    @property
    def generator(self) -> llm.Generator:
        """The loaded model, on first use (a fully cached run never loads it)."""
        if self._generator is None:
            self._generator = llm.load_generator(self.spec, device=self._device)
        if not hasattr(self._generator, "tokenizer"):
            raise llm.LLMError(f"{type(self._generator).__name__} gives no token "
                               "log-probabilities; use a local or hub model.")  # fmt: skip
        return self._generator

    def key(self, messages: list[dict], title: str) -> str:
        """The cache key of one score: like :func:`llm.cache_key`, with the
        scored title in place of the decoding (nothing is decoded)."""
        return llm._sha256({"model": self.model_id, "template": LL_TEMPLATE_VERSION,
                            "prompt": llm._sha256(messages), "continuation": title})  # fmt: skip

    def score(self, messages: list[dict], titles: Sequence[str], uid=None) -> pd.DataFrame:
        """``sum``, ``mean`` and ``tokens`` of each title after ``messages``,
        over the title's own tokens only (no end-of-turn token is scored):
        ``mean = sum / tokens``, the formula in the module docstring."""
        keys = [self.key(messages, t) for t in titles]
        todo = [n for n, k in enumerate(keys) if not (self.cache and k in self.cache)]
        fresh = {}
        if todo:
            gen = self.generator
            tok = gen.tokenizer
            text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            context = tok(text, add_special_tokens=False)["input_ids"]
            conts = [tok(titles[n], add_special_tokens=False)["input_ids"] for n in todo]
            lps = token_logprobs(gen.model, context, conts, tok.pad_token_id or 0)
            self.forward_passes += 1
            for n, lp in zip(todo, lps):
                fresh[n] = {"key": keys[n], "id": str(uid), "model": self.model_id,
                            "template": LL_TEMPLATE_VERSION, "title": titles[n],
                            "sum": float(lp.sum()), "mean": float(lp.mean()),
                            "tokens": len(lp)}  # fmt: skip
                if self.cache is not None:
                    self.cache.append(fresh[n])
        records = [fresh.get(n) or self.cache.get(k) for n, k in enumerate(keys)]
        return pd.DataFrame({"sum": [r["sum"] for r in records],
                             "mean": [r["mean"] for r in records],
                             "tokens": [r["tokens"] for r in records]})  # fmt: skip

    def prior(self, titles: Sequence[str]) -> pd.DataFrame:
        """The same scores after a prompt with no history: what the model
        thinks of each title regardless of the user (its popularity prior)."""
        return self.score(ll_prompt([]), titles, uid="prior")


def ll_scores(scorer: LLScorer, cands: pd.DataFrame, history: dict, items: pd.DataFrame,
              prior: bool = False) -> tuple[pd.DataFrame, Skipped]:  # fmt: skip
    """The log-likelihood of every candidate: ``cands`` plus ``ll_sum``,
    ``ll_mean``, ``tokens`` (and, with ``prior``, ``ll_prior`` and ``ll_pmi`` =
    ``ll_mean - ll_prior``: what the history adds to the title's likelihood).
    One forward pass per user; a user without history is skipped and counted."""
    title = dict(zip(items[ITEM], items[TITLE].map(display_title)))
    skipped = Skipped()
    frames = []
    for u, g in cands.groupby(USER, sort=True):
        if not history.get(int(u)):
            skipped.add(u, "no training history to prompt with")
            continue
        s = scorer.score(ll_prompt(history[int(u)]), [title[i] for i in g[ITEM]], uid=u)
        frames.append(g.assign(ll_sum=s["sum"].to_numpy(), ll_mean=s["mean"].to_numpy(),
                               tokens=s["tokens"].to_numpy()))  # fmt: skip
    if len(skipped):
        logger().info("%d users have no history and are skipped.", len(skipped))
    out = pd.concat(frames, ignore_index=True) if frames else cands.iloc[:0].copy()
    if prior and len(out):
        uniq = out[ITEM].drop_duplicates().tolist()
        p = scorer.prior([title[i] for i in uniq])["mean"].set_axis(uniq)
        out["ll_prior"] = out[ITEM].map(p).to_numpy()
        out["ll_pmi"] = out["ll_mean"] - out["ll_prior"]
    return out, skipped


# --- 2. a prompted listwise ranking --------------------------------------------------
class Ranking(pydantic.BaseModel):
    """The candidates' numbers (as shown), the most likely to be enjoyed first."""

    ranking: list[int] = pydantic.Field(min_length=1)


def check_ranking(ranking: Sequence[int], n: int, partial: bool = False) -> list[int]:
    """A valid ranking of candidates ``1..n``: every number shown once. A number
    outside the list (hallucinated), a repeated one, or (unless ``partial``) a
    missing one is a ValueError that says which. With ``partial`` the missing
    numbers are appended in the order shown."""
    ranking = [int(x) for x in ranking]
    unknown = sorted({x for x in ranking if not 1 <= x <= n})
    if unknown:
        raise ValueError(f"numbers not among the {n} candidates: {unknown}")
    seen, dup = set(), set()
    for x in ranking:
        if x in seen:
            dup.add(x)
        seen.add(x)
    if dup:
        raise ValueError(f"repeated numbers: {sorted(dup)}")
    missing = [x for x in range(1, n + 1) if x not in seen]
    if missing and not partial:
        raise ValueError(f"not a permutation: {len(missing)} of {n} candidates missing")
    return ranking + missing


def shuffle_positions(cands: pd.DataFrame, seed: int = SEED) -> pd.DataFrame:
    """``cands`` plus ``position`` (from 1), the order the prompt lists them in:
    a shuffle seeded by ``(seed, user)``, so a user's order does not depend on
    which other users are in the run. Hides the base model's order from a
    model that favours the first-listed candidates; it does not remove that
    bias (one order per user, no aggregation over several shuffles)."""
    out = cands.sort_values([USER, RANK]).reset_index(drop=True)
    pos = [
        np.random.default_rng([seed, int(u)]).permutation(len(g)) + 1
        for u, g in out.groupby(USER, sort=True)
    ]
    out["position"] = np.concatenate(pos) if pos else np.array([], int)
    return out


# v1 ended with 'Answer as {"ranking": [<numbers>]}': the 135M model copied the
# placeholder "<number>" into half of its answers. v2 describes the list in words.
_RANK_ASK = (
    "Films this person loved:\n{history}\n\nCandidates:\n{listing}\n\n"
    "Rank all {n} candidates from the one this person would enjoy most to the one they "
    'would enjoy least. Answer with a JSON object whose key "ranking" holds the list of '
    "all {n} candidate numbers, best first."
)


def rank_prompt(history: Sequence[str], titles: Sequence[str]) -> list[dict]:
    """Ask for a ranking of ``titles`` (numbered from 1 in the order given);
    the answer is started (``{"ranking": [``) to fix the format without an example."""
    if len(titles) < 2:
        raise ValueError("need at least two candidates to rank.")
    listing = "\n".join(f"{n}. {t}" for n, t in enumerate(titles, start=1))
    ask = _RANK_ASK.format(history="\n".join(f"- {t}" for t in history), listing=listing,
                           n=len(titles))  # fmt: skip
    return [{"role": "system", "content": f"{_SYSTEM} You answer with one JSON object."},
            {"role": "user", "content": ask},
            {"role": "assistant", "content": '{"ranking": ['}]  # fmt: skip


def rank_jobs(shown: pd.DataFrame, history: dict, items: pd.DataFrame) -> tuple[dict, Skipped]:
    """One job per user of ``shown`` (:func:`shuffle_positions`): user id ->
    messages listing the candidates by ``position``. Users with no history or
    fewer than two candidates are skipped and counted."""
    title = dict(zip(items[ITEM], items[TITLE].map(display_title)))
    jobs, skipped = {}, Skipped()
    for u, g in shown.sort_values([USER, "position"]).groupby(USER, sort=True):
        if not history.get(int(u)) or len(g) < 2:
            skipped.add(u, "no history" if not history.get(int(u)) else "fewer than 2 candidates")
            continue
        jobs[int(u)] = rank_prompt(history[int(u)], [title[i] for i in g[ITEM]])
    if len(skipped):
        logger().info("%d users cannot be ranked by the LLM and are skipped.", len(skipped))
    return jobs, skipped


RANK_DECODING = llm.Decoding(max_new_tokens=96, stop_at_json=True)  # 20 numbers ~ 60 tokens


@dataclass
class RankingRun:
    """The outcome of :func:`llm_ranking`."""

    scores: pd.DataFrame  # shown + llm_rank (1 = the LLM's first choice) and llm_score
    reasons: pd.Series  # user -> why the answer was rejected (that user keeps the base order)
    summary: llm.RunSummary | None = None
    skipped: Skipped = field(default_factory=Skipped)  # users not sent to the LLM, with why

    @property
    def valid(self) -> pd.Index:
        """Users whose answer was a valid ranking."""
        return pd.Index(sorted(set(self.scores[USER]) - set(self.reasons.index)))


def llm_ranking(generator: llm.Generator, shown: pd.DataFrame, history: dict,
                items: pd.DataFrame, cache: llm.GenerationCache,
                decoding: llm.Decoding = RANK_DECODING, retries: int = 1,
                partial: bool = False, batch_size: int = 8,
                progress: bool = False) -> RankingRun:  # fmt: skip
    """Rank each user's shuffled candidates with the LLM, through ``cache``
    (``llm.CacheOnly(model_id)`` replays a committed one).

    One prompt per user, in the one order of ``shown`` (:func:`shuffle_positions`),
    one answer (plus ``retries`` if it cannot be parsed): no second shuffle and
    no aggregation over several orders, as Hou et al.'s bootstrapping does.

    ``llm_rank`` is the LLM's order; a user whose answer is rejected (by the
    parser or by :func:`check_ranking`) keeps the base order, and the reason
    is in ``reasons``. ``llm_score = -llm_rank`` (higher is better).
    """
    jobs, skipped = rank_jobs(shown, history, items)
    out = shown[shown[USER].isin(list(jobs))].sort_values([USER, "position"]).copy()
    if not jobs:
        out["llm_rank"] = out["llm_score"] = []
        return RankingRun(out, pd.Series(dtype=str, name="reason"), None, skipped)
    results, summary = llm.generate_structured(generator, jobs, Ranking, cache,
                                               RANK_TEMPLATE_VERSION, decoding, retries,
                                               batch_size, progress)  # fmt: skip
    ranks, reasons = [], {}
    for u, g in out.groupby(USER, sort=True):
        r = results.loc[int(u)]
        order = None
        if r["status"] == "rejected":
            reasons[int(u)] = f"parser: {r['reason']}"
        else:
            try:
                order = check_ranking(r["value"]["ranking"], len(g), partial)
            except ValueError as exc:
                reasons[int(u)] = str(exc)
        if order is None:  # the base order
            ranks.append(g[RANK].rank(method="first").to_numpy(int))
        else:  # order lists positions; the candidate at order[j] gets rank j + 1
            rank_of = {p: j + 1 for j, p in enumerate(order)}
            ranks.append(np.array([rank_of[p] for p in g["position"]]))
    out["llm_rank"] = np.concatenate(ranks)
    out["llm_score"] = -out["llm_rank"].astype(float)
    if reasons:
        logger().info("%d of %d LLM rankings rejected; those users keep the base order.",
                      len(reasons), len(jobs))  # fmt: skip
    return RankingRun(out.reset_index(drop=True),
                      pd.Series(reasons, name="reason", dtype=str), summary, skipped)  # fmt: skip


def position_bias(run: RankingRun) -> dict:
    """How often the LLM's first choice is the candidate shown first, over the
    users with a valid ranking, against chance (1 / number of candidates)."""
    valid = run.scores[run.scores[USER].isin(run.valid)]
    firsts = valid[valid["llm_rank"] == 1]
    n = valid.groupby(USER).size()
    return {
        "users": len(firsts),
        "first_shown_first": float((firsts["position"] == 1).mean()) if len(firsts) else np.nan,
        "chance": float((1 / n).mean()) if len(n) else np.nan,
        "first_is_base_top": float((firsts[RANK] == 1).mean()) if len(firsts) else np.nan,
    }


# --- 3. blend and re-rank -------------------------------------------------------------
def _user_z(scores: pd.DataFrame, column: str) -> pd.Series:
    """``column`` standardised within each user's candidates
    (:func:`hybrid.zscore_rows`: 0 where a user's scores are all equal)."""
    return scores.groupby(USER)[column].transform(
        lambda x: zscore_rows(x.to_numpy(float)[None, :])[0])


def blend(scores: pd.DataFrame, llm_column: str, w: float, base_column: str = SCORE) -> pd.Series:
    r""":math:`z_u(\text{base}) + w\,z_u(\text{LLM})` per candidate (z-scores
    within each user's candidates, :func:`hybrid.zscore_rows`). ``w = 0`` keeps
    the base order; large ``w`` tends to the LLM's. Choose ``w`` on validation."""
    return _user_z(scores, base_column) + w * _user_z(scores, llm_column)


def rerank(base: pd.DataFrame, score: pd.Series | str) -> pd.DataFrame:
    """The lists of ``base`` (``user, item, rank, ...``) re-ordered by ``score``
    (a column name, or a Series aligned with ``base``'s rows), highest first,
    ties kept in the base order. Returns ``user, item, score, rank`` (rank
    from 1), which :func:`metrics.ranking_metrics` scores."""
    s = base[score] if isinstance(score, str) else pd.Series(score, index=base.index)
    out = pd.DataFrame({USER: base[USER], ITEM: base[ITEM], SCORE: s.astype(float),
                        "_base": base[RANK]})  # fmt: skip
    out = out.sort_values([USER, SCORE, "_base"], ascending=[True, False, True], kind="stable")
    out[RANK] = out.groupby(USER).cumcount() + 1
    return out.drop(columns="_base").reset_index(drop=True)


def list_metrics(lists: dict, test: pd.DataFrame, users: Sequence,
                 metrics: Sequence[str] = ("NDCG@10",)) -> dict:  # fmt: skip
    """Per-user metrics of each named list (name -> recs) on the ``test`` rows of
    ``users``, all on the same users, ready for :func:`evaluation.compare`."""
    from ..evaluation.metrics import ranking_metrics

    truth = test[test[USER].isin(list(users))]
    return {name: ranking_metrics(recs[recs[USER].isin(list(users))], truth, metrics)
            for name, recs in lists.items()}  # fmt: skip
