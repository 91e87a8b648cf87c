"""Unit tests for llmrec_utils.text.llm: structured output, the cache, resuming after
a kill, the HTTP backend (against a local fake server), and the real default
model once."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pydantic
import pytest

from llmrec_utils import config
from llmrec_utils.text import llm


class Profile(pydantic.BaseModel):
    summary: str
    themes: list[str]
    mood: str


class FakeGenerator(llm.Generator):
    """Answers from a function of the prompt text (and the decoding), counting calls."""

    model_id = "fake-model"

    def __init__(self, answer, delay: float = 0.0):
        self.answer, self.delay, self.calls = answer, delay, 0

    def generate(self, prompts, decoding=llm.Decoding(), batch_size=8, progress=False):
        out = []
        for p in prompts:
            self.calls += 1
            time.sleep(self.delay)
            text = self.answer(p[-1]["content"], decoding)
            out.append(llm.Completion(text, 10, len(text.split())))
        return out


GOOD = ('{"summary": "A toy story.", "themes": ["friendship", "toys"], "mood": "warm", '
        '"audience": "families"}')


@pytest.mark.parametrize("text, status, fragment", [
    (GOOD, "accepted", ""),
    ("Sure! Here it is:\n```json\n" + GOOD + "\n```", "repaired", "removed text"),
    ('{"summary": "x", "themes": ["a", "b",], "mood": "m",}', "repaired", "trailing commas"),
    ('{"summary": "x", "themes": "a, b", "mood": "m"}', "repaired", "split the string"),
    ('{"summary": "x", "themes": ["a"], "mood": "m", "extra": 1}', "accepted", ""),
    ('{"summary": "x", "themes": ["a"], "mood": "m", "flag": True}', "repaired", "Python"),
    ('{"summary": "x", "themes": ["a"]}', "rejected", "mood: Field required"),
    ("I cannot answer that.", "rejected", "no JSON object"),
    ('{"summary": "x", "themes": ["a", "b"], "mood": "cal', "repaired", "cut off"),
    ('{"summary": "x", "themes": ["a", "b"', "rejected", "mood"),
    ('{"summary": 3, "themes": [], "mood": "m"}', "rejected", "summary"),
])  # fmt: skip
def test_parse_structured(text, status, fragment):
    outcome = llm.parse_structured(text, Profile)
    assert outcome.status == status, outcome
    assert fragment in outcome.reason
    if status != "rejected":
        assert Profile.model_validate(outcome.value)
        assert "extra" not in outcome.value
    else:
        assert outcome.value is None


def test_truncated_answer_keeps_the_fields_written():
    outcome = llm.parse_structured('{"summary": "x", "themes": ["a", "b"], "mood": "cal', Profile)
    assert outcome.value == {"summary": "x", "themes": ["a", "b"], "mood": "cal"}


def test_cache_key_covers_model_template_prompt_and_decoding():
    msgs = [{"role": "user", "content": "hi"}]
    base = llm.cache_key("m", "v1", msgs, llm.Decoding())
    assert base == llm.cache_key("m", "v1", [dict(m) for m in msgs], llm.Decoding())
    others = [
        llm.cache_key("m2", "v1", msgs, llm.Decoding()),
        llm.cache_key("m", "v2", msgs, llm.Decoding()),
        llm.cache_key("m", "v1", [{"role": "user", "content": "hi!"}], llm.Decoding()),
        llm.cache_key("m", "v1", msgs, llm.Decoding(max_new_tokens=10)),
    ]
    assert len({base, *others}) == 5


def test_decoding_and_prompts_are_checked():
    with pytest.raises(ValueError, match="max_new_tokens"):
        llm.Decoding(max_new_tokens=0)
    with pytest.raises(ValueError, match="not a chat"):
        llm._check_prompts(["just a string"])


def jobs(n):
    return {f"item{i}": [{"role": "user", "content": f"movie {i}"}] for i in range(n)}


def test_generate_structured_counts_retries_and_replays(tmp_path):
    def answer(prompt, decoding):
        n = int(prompt.split()[-1])
        if n % 4 == 3 and decoding.temperature == 0:  # bad at first, fine when resampled
            return "no idea"
        if n % 4 == 2:
            return "```" + GOOD + "```"
        if n == 5:
            return "still no idea"
        return GOOD

    cache = llm.GenerationCache(tmp_path / "gen.jsonl")
    gen = FakeGenerator(answer)
    results, summary = llm.generate_structured(gen, jobs(8), Profile, cache, "v1", retries=1)
    assert list(results.index) == list(jobs(8))
    assert summary.counts == {"accepted": 5, "repaired": 2, "rejected": 1}
    assert results.loc["item3", "status"] == "accepted" and results.loc["item3", "attempts"] == 2
    assert results.loc["item5", "status"] == "rejected"
    assert "no JSON object" in results.loc["item5", "reason"]
    assert summary.generated == gen.calls == 8 + 3  # items 3, 5 and 7 were retried
    # a second run replays everything from the cache, even after reopening it
    gen2 = FakeGenerator(answer)
    again, summary2 = llm.generate_structured(
        gen2, jobs(8), Profile, llm.GenerationCache(tmp_path / "gen.jsonl"), "v1", retries=1)
    assert gen2.calls == 0 and summary2.generated == 0 and summary2.from_cache == 11
    assert again["status"].equals(results["status"])
    with pytest.raises(ValueError, match="no jobs"):
        llm.generate_structured(gen, {}, Profile, cache, "v1")


def test_truncated_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "gen.jsonl"
    cache = llm.GenerationCache(path)
    for k in ("a", "b"):
        cache.append({"key": k, "text": k})
    with open(path, "a") as f:
        f.write('{"key": "c", "text": "half a rec')  # killed mid-write
    with pytest.warns(UserWarning, match="line 3 is truncated"):
        reopened = llm.GenerationCache(path)
    assert set(reopened.records) == {"a", "b"}
    reopened.append({"key": "c", "text": "c"})
    assert set(llm.GenerationCache(path).records) == {"a", "b", "c"}
    assert len(path.read_text().splitlines()) == 3


def test_a_corrupt_middle_line_is_an_error_and_duplicates_keep_the_first(tmp_path):
    path = tmp_path / "gen.jsonl"
    path.write_text('{"key": "a", "text": "1"}\n{"key": "a", "text": "2"}\n{"key": "b"')
    with pytest.warns(UserWarning):
        assert llm.GenerationCache(path).get("a")["text"] == "1"
    path.write_text('{"key": "a"}\nnot json\n{"key": "b"}\n')
    with pytest.raises(ValueError, match="line 2 is not a valid cache record"):
        llm.GenerationCache(path)
    path.write_text('{"key": "a"}')  # complete, only the newline is missing
    assert "a" in llm.GenerationCache(path) and path.read_text().endswith("\n")


def test_a_killed_run_resumes_without_loss_or_duplicates(tmp_path):
    path = tmp_path / "gen.jsonl"
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_llm import FakeGenerator, Profile, jobs, GOOD
        from llmrec_utils.text import llm
        gen = FakeGenerator(lambda p, d: GOOD, delay=0.05)
        llm.generate_structured(gen, jobs(200), Profile, llm.GenerationCache({str(path)!r}),
                                "v1", batch_size=2, progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    while time.time() < deadline and (not path.exists() or len(path.read_bytes()) < 2000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with warnings_allowed():
        done_before = len(llm.GenerationCache(path))
    assert 0 < done_before < 200
    gen = FakeGenerator(lambda p, d: GOOD)
    results, summary = llm.generate_structured(
        gen, jobs(200), Profile, llm.GenerationCache(path), "v1", progress=False)
    assert summary.from_cache == done_before and summary.generated == 200 - done_before
    assert (results["status"] == "accepted").all() and len(results) == 200
    keys = [json.loads(line)["key"] for line in path.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 200


class warnings_allowed:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)


# --- the HTTP backend, against a local fake OpenAI-compatible server ---------------
class _Handler(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.seen.append((self.path, self.headers.get("Authorization"), body))
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            return
        reply = {"choices": [{"message": {"content": GOOD}}],
                 "usage": {"prompt_tokens": 7, "completion_tokens": 12}}  # fmt: skip
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}/v1"
    srv.shutdown()


def test_http_generator_uses_the_environment_and_hides_the_key(server, monkeypatch, tmp_path):
    secret = "sk-test-SECRET-123"
    monkeypatch.setenv(llm.ENV_BASE_URL, server)
    monkeypatch.setenv(llm.ENV_MODEL, "tiny")
    monkeypatch.setenv(llm.ENV_KEY, secret)
    gen = llm.load_generator("http")
    assert secret not in repr(gen) and gen.model_id == "http:tiny"
    cache = llm.GenerationCache(tmp_path / "gen.jsonl")
    results, _ = llm.generate_structured(gen, jobs(3), Profile, cache, "v1", progress=False)
    assert (results["status"] == "accepted").all()
    path, auth, body = _Handler.seen[-1]
    assert path == "/v1/chat/completions" and auth == f"Bearer {secret}"
    assert body["temperature"] == 0.0 and body["max_tokens"] == llm.Decoding().max_new_tokens
    assert secret not in (tmp_path / "gen.jsonl").read_text()
    broken = llm.HTTPGenerator(model="broken")
    with pytest.raises(llm.LLMError, match="HTTP 500") as err:
        broken.generate(jobs(1).values(), progress=False)
    assert secret not in str(err.value)


def test_http_generator_says_which_variable_is_missing(monkeypatch):
    monkeypatch.delenv(llm.ENV_BASE_URL, raising=False)
    monkeypatch.delenv(llm.ENV_MODEL, raising=False)
    with pytest.raises(llm.LLMError, match="LLMREC_LLM_BASE_URL and LLMREC_LLM_MODEL"):
        llm.HTTPGenerator()


# --- the real default model ---------------------------------------------------------
@pytest.fixture(scope="module")
def smollm():
    return llm.load_generator()


def test_default_generator_is_deterministic_and_batched(smollm):
    prompts = [[{"role": "user", "content": "Name one colour. One word."}],
               [{"role": "user", "content": "Name a fruit that is yellow. One word."}]]
    dec = llm.Decoding(max_new_tokens=8)
    first = smollm.generate(prompts, dec, batch_size=2, progress=False)
    again = smollm.generate(prompts, dec, batch_size=2, progress=False)
    assert [c.text for c in first] == [c.text for c in again]
    assert all(c.text and 0 < c.completion_tokens <= 8 for c in first)
    assert smollm.model_id.startswith("SmolLM2-135M-Instruct.Q4_1.gguf@sha256:b179c952")


class Capped(pydantic.BaseModel):
    themes: list[str] = pydantic.Field(min_length=1, max_length=3)


@pytest.mark.parametrize("themes, want, fragment", [
    (["love", "Love", "loss", "love"], ["love", "loss"], "repeated"),
    (["a", "b", "c", "d", "e"], ["a", "b", "c"], "first 3"),
    (["a", "b"], ["a", "b"], ""),
])  # fmt: skip
def test_list_repairs(themes, want, fragment):
    outcome = llm.parse_structured(json.dumps({"themes": themes}), Capped)
    assert outcome.value == {"themes": want} and fragment in outcome.reason
    assert outcome.status == ("repaired" if fragment else "accepted")


# --- stopping at the closed JSON object, answer prefixes, cache-only replay ------------
class CharTokenizer:
    """One token per character: decode(ids) is the text of those ids."""

    def decode(self, ids):
        return "".join(chr(i) for i in ids)


def run_stop(text: str, prefix: str = "") -> int:
    """How many characters of ``text`` the criterion lets through (all = never stopped)."""
    import torch

    stop = llm._JSONStop(CharTokenizer(), prompt_length=2, prefixes=[prefix])
    for n in range(1, len(text) + 1):
        ids = torch.tensor([[0, 0] + [ord(c) for c in text[:n]]])
        if bool(stop(ids, None)[0]):
            return n
    return len(text) + 1


@pytest.mark.parametrize("text, prefix, kept", [
    ('{"a": "x}y", "b": [1, {"c": 2}]} and then some chatter', "", '{"a": "x}y", "b": [1, {"c": 2}]}'),
    ('Sure! [1] {"a": "\\"}"} more', "", 'Sure! [1] {"a": "\\"}"}'),
    ('3, "negative": 5} trailing', '{"positive": ', '3, "negative": 5}'),
])  # fmt: skip
def test_stop_at_the_first_closed_object(text, prefix, kept):
    assert text[: run_stop(text, prefix)] == kept


def test_stop_on_a_loop_but_not_on_an_ordinary_list():
    loop = '{"themes": ["hero", "hero", "hero", "hero", "hero", "hero"'
    n = run_stop(loop)
    assert n <= len('{"themes": ["hero", "hero", "hero", "he') + 8  # cut soon after the loop shows
    ordinary = '{"themes": ["love", "loss", "war"], "mood": "dark"}'
    assert run_stop(ordinary) == len(ordinary)  # stopped at the closing brace, not before


def test_cache_key_ignores_stop_at_json_while_off():
    msgs = [{"role": "user", "content": "hi"}]
    off = llm.cache_key("m", "t", msgs, llm.Decoding())
    legacy = llm._sha256({"model": "m", "template": "t", "prompt": llm._sha256(msgs),
                          "decoding": {"max_new_tokens": 160, "temperature": 0.0, "top_p": 1.0,
                                       "seed": config.SEED, "repetition_penalty": 1.0}})  # fmt: skip
    assert off == legacy  # caches written before the option existed still match
    assert llm.cache_key("m", "t", msgs, llm.Decoding(stop_at_json=True)) != off


def test_cache_only_generator_replays_and_names_the_command(tmp_path):
    cache = llm.GenerationCache(tmp_path / "c.jsonl")
    llm.generate_structured(FakeGenerator(lambda p, d: GOOD), jobs(2), Profile, cache, "v1",
                            progress=False)  # fmt: skip
    replay = llm.CacheOnly("fake-model", "llmrec augment things")
    results, summary = llm.generate_structured(replay, jobs(2), Profile, cache, "v1",
                                               progress=False)  # fmt: skip
    assert summary.from_cache == 2 and summary.generated == 0
    with pytest.raises(llm.LLMError, match="llmrec augment things"):
        llm.generate_structured(replay, jobs(3), Profile, cache, "v1", progress=False)
    assert llm.default_model_id().startswith("SmolLM2-135M-Instruct.Q4_1.gguf@sha256:")


def test_http_generator_sends_no_prefix_and_restores_it(server, monkeypatch):
    monkeypatch.setenv(llm.ENV_BASE_URL, server)
    monkeypatch.setenv(llm.ENV_MODEL, "tiny")
    _Handler.seen.clear()
    prompt = [{"role": "user", "content": "profile?"}, {"role": "assistant", "content": "{"}]
    (answer,) = llm.HTTPGenerator().generate([prompt], progress=False)
    assert answer.text == GOOD  # the server restated the prefix: kept once
    assert [m["role"] for m in _Handler.seen[-1][2]["messages"]] == ["user"]
    prompt[-1]["content"] = "Here: "
    (answer,) = llm.HTTPGenerator().generate([prompt], progress=False)
    assert answer.text == "Here: " + GOOD


def test_default_generator_stops_at_the_json_and_continues_a_prefix(smollm):
    prompt = [{"role": "user", "content": 'Give a JSON object {"colour": ...} naming a colour.'},
              {"role": "assistant", "content": '{"colour": "'}]
    free = smollm.generate([prompt], llm.Decoding(max_new_tokens=40), progress=False)[0]
    stop = smollm.generate([prompt], llm.Decoding(max_new_tokens=40, stop_at_json=True),
                           progress=False)[0]  # fmt: skip
    assert stop.text.startswith('{"colour": "') and stop.text.endswith("}")
    assert free.text.startswith(stop.text)  # the same greedy answer, cut at its end
    assert stop.completion_tokens <= free.completion_tokens



def test_default_generator_is_on_the_configured_device(smollm):
    import torch

    from llmrec_utils import config

    assert smollm.device == config.device()
    param = next(smollm.model.parameters())
    assert param.device.type == config.device_type(smollm.device) and param.dtype == torch.float32


def test_generator_rejects_a_bad_device_before_loading(monkeypatch):
    from llmrec_utils.data import assets

    monkeypatch.setattr(assets, "fetch", lambda *a, **k: pytest.fail("loaded the model"))
    with pytest.raises(ValueError, match="not a device"):
        llm.load_generator(device="tpu")
