"""The LLM re-ranker: teacher forcing, the cached scores, the listwise ranking's
checks and replay, the seeded shuffle, the blend and the skipped users."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.chapters import reranking
from llmrec_utils.data import ITEM, RANK, RATING, SCORE, TIMESTAMP, TITLE, USER
from llmrec_utils.text import llm, rerank


def tiny_llama(vocab: int = 64):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=vocab,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
    )
    return LlamaForCausalLM(cfg).eval()


def tiny_gpt2(vocab: int = 64):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_embd=16, n_layer=2, n_head=2)).eval()


@pytest.mark.parametrize("share_prefix", [True, False])
@pytest.mark.parametrize("make", [tiny_llama, tiny_gpt2])
def test_batched_teacher_forcing_equals_step_by_step(make, share_prefix):
    import torch

    model = make()
    context, conts = [5, 9, 2, 7], [[3], [11, 4, 8, 1], [6, 6]]  # unequal: padding matters
    got = rerank.token_logprobs(model, context, conts, pad_id=0, share_prefix=share_prefix)
    for cont, lp in zip(conts, got):
        want = []
        for j, tok in enumerate(cont):
            ids = torch.tensor([context + cont[:j]])
            with torch.no_grad():
                logits = model(input_ids=ids).logits[0, -1]
            want.append(torch.log_softmax(logits, -1)[tok].item())
        assert lp.shape == (len(cont),)
        np.testing.assert_allclose(lp, want, atol=1e-5)
    with pytest.raises(ValueError, match="at least one token"):
        rerank.token_logprobs(model, context, [[]])


class FakeTokenizer:
    """Characters as tokens, enough for the scorer's plumbing."""

    eos_token_id, pad_token_id = 1, 0

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return "|".join(m["content"] for m in messages) + "|>"

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [2 + ord(c) % 60 for c in text]}


class FakeLM(llm.Generator):
    model_id = "tiny-llama"

    def __init__(self):
        self.model, self.tokenizer = tiny_llama(), FakeTokenizer()


def test_scores_are_cached_and_replayed_without_the_model(tmp_path):
    scorer = rerank.LLScorer(cache=tmp_path / "ll.jsonl", generator=FakeLM())
    prompt = rerank.ll_prompt(["Heat (1995)", "Fargo (1996)"])
    first = scorer.score(prompt, ["Alien (1979)", "Up (2009)"], uid=7)
    assert scorer.forward_passes == 1  # one batched pass for the user's candidates
    np.testing.assert_allclose(first["sum"], first["mean"] * first["tokens"])
    assert list(first["tokens"]) == [len("Alien (1979)"), len("Up (2009)")]  # title only

    class NoModel(llm.Generator):
        model_id = "tiny-llama"

    again = rerank.LLScorer(cache=tmp_path / "ll.jsonl", generator=NoModel())
    pd.testing.assert_frame_equal(again.score(prompt, ["Alien (1979)", "Up (2009)"]), first)
    assert again.forward_passes == 0
    other = rerank.LLScorer(cache=tmp_path / "ll.jsonl", generator=FakeLM())
    other.model_id = "another-model"  # a model's scores never stand in for another's
    other.score(prompt, ["Up (2009)"])
    assert other.forward_passes == 1


def test_the_score_is_the_mean_over_the_title_tokens_only(tmp_path):
    """The book's formula, by hand from the model's logits: the mean of
    log p(t_j | prompt, t_<j) over the title's own tokens, no end-of-turn."""
    import torch

    gen = FakeLM()
    scorer = rerank.LLScorer(cache=tmp_path / "ll.jsonl", generator=gen)
    prompt = rerank.ll_prompt(["Heat (1995)"])
    got = scorer.score(prompt, ["Up", "Alien"])
    tok = gen.tokenizer
    text = tok.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    context = tok(text)["input_ids"]
    for title, row in zip(["Up", "Alien"], got.itertuples()):
        ids = tok(title)["input_ids"]
        with torch.no_grad():
            logits = gen.model(input_ids=torch.tensor([context + ids])).logits[0]
        logp = torch.log_softmax(logits, -1)
        by_hand = [logp[len(context) - 1 + j, t].item() for j, t in enumerate(ids)]
        end = logp[len(context) - 1 + len(ids), tok.eos_token_id].item()
        assert row.tokens == len(ids)
        np.testing.assert_allclose(row.sum, sum(by_hand), atol=1e-5)
        np.testing.assert_allclose(row.mean, np.mean(by_hand), atol=1e-5)
        # v1's definition (the end-of-turn token averaged in) gives another number
        assert abs(np.mean(by_hand + [end]) - row.mean) > 1e-3


def test_scores_of_the_old_definition_are_never_read(tmp_path):
    """A v1 score (end-of-turn token included) in the cache is not a v2 score:
    the template version is in the key, so the title is scored again."""
    path = tmp_path / "ll.jsonl"
    scorer = rerank.LLScorer(cache=path, generator=FakeLM())
    prompt = rerank.ll_prompt(["Heat (1995)"])
    old_key = llm._sha256({"model": scorer.model_id, "template": "rerank-ll-v1",
                           "prompt": llm._sha256(prompt), "continuation": "Up"})
    assert rerank.LL_TEMPLATE_VERSION != "rerank-ll-v1"
    assert scorer.key(prompt, "Up") != old_key
    llm.GenerationCache(path).append({"key": old_key, "sum": 99.0, "mean": 99.0,
                                      "tokens": 3, "template": "rerank-ll-v1"})
    fresh = rerank.LLScorer(cache=path, generator=FakeLM())
    s = fresh.score(prompt, ["Up"])
    assert fresh.forward_passes == 1 and s["mean"].iloc[0] < 0
    assert s["tokens"].iloc[0] == len("Up")


def test_http_generators_are_refused_for_log_likelihood(monkeypatch):
    gen = llm.CacheOnly("http:x")
    with pytest.raises(llm.LLMError, match="log-probabilities"):
        rerank.LLScorer(generator=gen).score(rerank.ll_prompt(["Heat (1995)"]), ["Up (2009)"])


def test_the_pinned_model_scores_titles_by_teacher_forcing(tmp_path):
    scorer = rerank.LLScorer(cache=tmp_path / "ll.jsonl")
    titles = ["Star Wars (1977)", "The Empire Strikes Back (1980)"]
    s = scorer.score(rerank.ll_prompt(["Alien (1979)", "Star Trek (1979)"]), titles)
    tok = scorer.generator.tokenizer
    assert list(s["tokens"]) == [
        len(tok(t, add_special_tokens=False)["input_ids"]) for t in titles
    ]
    assert (s["sum"] < 0).all() and np.isfinite(s["mean"]).all()
    assert scorer.model_id == llm.default_model_id()


@pytest.mark.parametrize("answer, fragment", [
    ([3, 1, 2], None),
    ([1, 2, 5], "not among the 3 candidates: [5]"),
    ([1, 1, 2], "repeated numbers: [1]"),
    ([2, 1], "not a permutation: 1 of 3"),
])  # fmt: skip
def test_malformed_rankings_are_rejected_with_their_reason(answer, fragment):
    if fragment is None:
        assert rerank.check_ranking(answer, 3) == answer
    else:
        with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
            rerank.check_ranking(answer, 3)
    assert rerank.check_ranking([2], 3, partial=True) == [2, 1, 3]


def base_lists(users=(1, 2, 3, 4), n=4) -> pd.DataFrame:
    rows = [(u, 10 * u + r, r, float(n - r) + 0.1 * u) for u in users for r in range(1, n + 1)]
    return pd.DataFrame(rows, columns=[USER, ITEM, RANK, SCORE])


def test_the_shuffle_is_seeded_per_user_and_recorded():
    a = rerank.shuffle_positions(base_lists())
    b = rerank.shuffle_positions(base_lists(users=(3, 1)))  # other users in the run
    assert set(a.groupby(USER)["position"].apply(tuple)) >= set(
        b.groupby(USER)["position"].apply(tuple)
    )
    pd.testing.assert_frame_equal(a, rerank.shuffle_positions(base_lists()))
    assert (
        a.groupby(USER)["position"].apply(sorted)
        == pd.Series([[1, 2, 3, 4]] * 4, index=[1, 2, 3, 4])
    ).all()
    many = rerank.shuffle_positions(base_lists(users=range(1, 41)))
    assert (many["position"] != many[RANK]).any()
    assert not rerank.shuffle_positions(base_lists(), seed=1)["position"].equals(a["position"])


class Scripted(llm.Generator):
    """Answers by the user named in the prompt's history."""

    model_id = "scripted"

    def __init__(self, answers):
        self.answers, self.calls = answers, 0

    def generate(self, prompts, decoding=None, batch_size=8, progress=True):
        self.calls += len(prompts)
        out = []
        for p in prompts:
            user = next(u for u in self.answers if f"Film of user {u}" in p[1]["content"])
            out.append(llm.Completion(self.answers[user], 10, 5))
        return out


def test_llm_ranking_rejects_malformed_answers_measures_bias_and_replays(tmp_path):
    items = pd.DataFrame({ITEM: range(1, 100), TITLE: [f"Film {i}" for i in range(1, 100)]})
    shown = rerank.shuffle_positions(base_lists())
    history = {u: [f"Film of user {u}"] for u in (1, 2, 3)}  # user 4: no history
    answers = {1: '{"ranking": [1, 2, 3, 4]}', 2: '{"ranking": [2, 2, 1, 3]}', 3: "I like films."}
    cache = llm.GenerationCache(tmp_path / "rank.jsonl")
    run = rerank.llm_ranking(Scripted(answers), shown, history, items, cache, retries=0)
    assert list(run.valid) == [1]
    assert run.reasons[2] == "repeated numbers: [2]"
    assert run.reasons[3].startswith("parser: no JSON object")
    assert set(run.scores[USER]) == {1, 2, 3} and run.skipped.reasons == {4: "no history"}
    first = run.scores[(run.scores[USER] == 1) & (run.scores["llm_rank"] == 1)]
    assert int(first["position"].iloc[0]) == 1  # the user's answer lists shown order
    bias = rerank.position_bias(run)
    assert bias == {
        "users": 1,
        "first_shown_first": 1.0,
        "chance": 0.25,
        "first_is_base_top": float(first[RANK].iloc[0] == 1),
    }
    rejected = run.scores[run.scores[USER] == 2]
    assert (rejected["llm_rank"] == rejected[RANK]).all()  # the base order
    replayed = rerank.llm_ranking(
        llm.CacheOnly("scripted"),
        shown,
        history,
        items,
        llm.GenerationCache(tmp_path / "rank.jsonl"),
        retries=0,
    )
    pd.testing.assert_frame_equal(replayed.scores, run.scores)
    pd.testing.assert_series_equal(replayed.reasons, run.reasons)


def test_blend_with_no_weight_keeps_the_base_order():
    base = base_lists()
    base["llm"] = np.random.default_rng(0).normal(size=len(base))
    kept = rerank.rerank(base, rerank.blend(base, "llm", 0.0))
    pd.testing.assert_frame_equal(
        kept[[USER, ITEM, RANK]],
        base.sort_values([USER, RANK])[[USER, ITEM, RANK]].reset_index(drop=True),
    )
    llm_only = rerank.rerank(base, "llm")
    heavy = rerank.rerank(base, rerank.blend(base, "llm", 1e6))
    pd.testing.assert_frame_equal(heavy[[USER, ITEM]], llm_only[[USER, ITEM]])
    flat = base.assign(llm=1.0)  # no information: z = 0, the base order again
    pd.testing.assert_series_equal(rerank.blend(flat, "llm", 5.0), rerank.blend(base, "llm", 0.0))


def test_both_experiments_end_in_the_same_lists_on_the_users_not_skipped():
    from types import SimpleNamespace

    cands = base_lists().assign(llm=np.random.default_rng(0).normal(size=16))
    test = pd.DataFrame({USER: [1, 2, 3, 4], ITEM: [12, 21, 34, 41], RATING: 5})
    s = reranking.Setup(SimpleNamespace(test=test), 1.0, np.array([1, 2, 3, 4]), cands,
                        rerank.Skipped({4: "no history"}), None, {})  # fmt: skip
    per_user = reranking.reranked_lists(s, cands, "llm", "LLM", (0.5,))
    assert list(per_user) == ["EASE", "LLM", "blend w=0.5", "random order"]
    assert all(list(f.index) == [1, 2, 3] for f in per_user.values())  # 4 was skipped
    again = reranking.reranked_lists(s, cands, "llm", "LLM", (0.5,))
    pd.testing.assert_frame_equal(again["random order"], per_user["random order"])  # seeded
    assert (per_user["EASE"]["NDCG@10"] == 1 / np.log2(np.array([3, 2, 5]))).all()


def test_users_without_candidates_or_history_are_skipped_and_counted(caplog):
    from llmrec_utils.models import mf

    train = pd.DataFrame(
        {
            USER: [1, 1, 2, 2, 2],
            ITEM: [1, 2, 1, 2, 3],
            RATING: [5, 3, 4, 4, 2],
            TIMESTAMP: [1, 2, 3, 4, 5],
        }
    )
    model = mf.EASE(lam=1.0).fit(train)
    cands, skipped = rerank.candidates(model, [1, 2, 99], n=5)
    assert set(cands[USER]) == {1} and list(cands[ITEM]) == [3]
    assert skipped.reasons == {
        2: "no unseen item to recommend",
        99: "unknown to the base model: no candidates",
    }
    items = pd.DataFrame(
        {ITEM: [1, 2, 3], TITLE: ["Heat (1995)", "Lion King, The (1994)", "Up (2009)"]}
    )
    hist = rerank.histories(train, items, n=2)
    assert hist == {
        1: ["Heat (1995)", "The Lion King (1994)"],
        2: ["The Lion King (1994)", "Heat (1995)"],
    }  # a tie: the most recent first
    scorer = rerank.LLScorer(generator=FakeLM())
    scored, no_history = rerank.ll_scores(
        scorer,
        base_lists(users=(1, 5)),
        {1: ["Heat (1995)"]},
        pd.DataFrame({ITEM: range(100), TITLE: [f"F{i}" for i in range(100)]}),
    )
    assert set(scored[USER]) == {1} and len(no_history) == 1
    assert scorer.forward_passes == 1


def test_the_command_prints_paired_comparisons_with_ease(monkeypatch, capsys):
    from llmrec_utils import cli

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"NDCG@10": rng.random(10), "Recall@20": rng.random(10)})
    seen = {}

    def fake(model, split, users, n, weights, column):
        seen.update(model=model, users=users, column=column)
        skipped = rerank.Skipped({5: "no unseen item to recommend"})
        return {"per_user": {"EASE": frame, "LL": frame * 0.5}, "skipped": skipped,
                "seconds": 1.0, "forward_passes": 3}  # fmt: skip

    monkeypatch.setattr(reranking, "ll_experiment", fake)
    assert cli.main(["rerank", "--model", "org/bigger-model", "--users", "10"]) == 0
    out = capsys.readouterr().out
    assert seen == {"model": "org/bigger-model", "users": 10, "column": "ll_mean"}
    assert "skipped 1 users" in out and "LL" in out and "vs EASE -" in out


def test_a_model_with_only_rerank_answers_replays_with_its_own_id(tmp_path, monkeypatch):
    """`llmrec rerank --how list --model M` alone (no `llmrec augment`) is enough
    to replay M's listwise answers: the model id comes from that file."""
    import json

    from llmrec_utils.text import augment

    monkeypatch.setattr(augment, "generations_dir", lambda: tmp_path)
    folder = tmp_path / "some-model"
    folder.mkdir()
    with pytest.raises(FileNotFoundError, match="no generations"):
        augment.run_model_id("some-model", (reranking.RANK_FILE,))
    (folder / reranking.RANK_FILE).write_text(json.dumps({"model": "org/some-model@abc"}) + "\n")
    assert augment.run_model_id("some-model", (reranking.RANK_FILE,)) == "org/some-model@abc"
