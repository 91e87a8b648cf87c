"""One rule for where and in which precision torch computes (config.device/precision)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from llmrec_utils import config


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("LLMREC_DEVICE", raising=False)
    monkeypatch.delenv("LLMREC_PRECISION", raising=False)


@pytest.fixture
def fake_cuda(monkeypatch, no_cuda):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)


@pytest.fixture
def probe_calls(monkeypatch, no_cuda):
    """A CPU with native bfloat16 whose probe reports a set speed-up; records calls."""
    calls = {"n": 0, "speedup": 2.0}

    def fake_probe():
        calls["n"] += 1
        return calls["speedup"]

    monkeypatch.setattr(config, "native_bf16", lambda: True)
    monkeypatch.setattr(config, "probe_bf16", fake_probe)
    return calls


def test_device_defaults_to_cuda_only_when_present(no_cuda, monkeypatch):
    assert config.device() == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.device() == "cuda"
    monkeypatch.setenv("LLMREC_DEVICE", "cpu")
    assert config.device() == "cpu"
    assert config.device("cpu") == "cpu" and config.device_type("cuda:0") == "cuda"


def test_device_env_is_validated(no_cuda, monkeypatch):
    monkeypatch.setenv("LLMREC_DEVICE", "auto")
    assert config.device() == "cpu"
    monkeypatch.setenv("LLMREC_DEVICE", "tpu")
    with pytest.raises(ValueError, match=r"LLMREC_DEVICE='tpu' is not a device; use 'cpu'"):
        config.device()
    monkeypatch.setenv("LLMREC_DEVICE", "CUDA")
    with pytest.raises(ValueError, match="no CUDA device.*use 'cpu'"):
        config.device()
    with pytest.raises(ValueError, match="device='cuda:1'.*no CUDA"):
        config.device("cuda:1")
    with pytest.raises(ValueError, match="not a device"):
        config.device("cpu:3")


def test_cuda_index_is_checked(fake_cuda):
    assert config.device("cuda:0") == "cuda:0"
    with pytest.raises(ValueError, match="only 1 CUDA"):
        config.device("cuda:1")


def test_precision_env_and_argument_override(no_cuda, monkeypatch):
    monkeypatch.setattr(config, "probe_bf16", lambda: pytest.fail("probed"))
    monkeypatch.setenv("LLMREC_PRECISION", "bfloat16")
    assert config.precision() == "bfloat16"
    assert config.precision("cpu", "float32") == "float32"  # an explicit argument wins
    assert config.precision("cpu", "auto") == "bfloat16"  # auto defers to the environment
    monkeypatch.setenv("LLMREC_PRECISION", "Float32")
    assert config.precision() == "float32"
    monkeypatch.setenv("LLMREC_PRECISION", "fp16")
    with pytest.raises(ValueError, match="LLMREC_PRECISION='fp16'.*'auto', 'float32' or 'bfloat16'"):
        config.precision()
    with pytest.raises(ValueError, match="precision='int8'"):
        config.precision("cpu", "int8")


def test_precision_on_cuda_follows_bf16_support(fake_cuda, monkeypatch):
    monkeypatch.setattr(config, "probe_bf16", lambda: pytest.fail("probed"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert config.precision() == "bfloat16" and config.precision("cuda:0") == "bfloat16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert config.precision("cuda") == "float32"


@pytest.mark.parametrize("native", [False, True])
def test_cpu_is_float32_and_never_probes(no_cuda, tmp_cache, monkeypatch, native):
    """A number must not depend on a timing: on a CPU the precision is float32
    whatever the CPU and whatever a remembered probe says."""
    monkeypatch.setattr(config, "native_bf16", lambda: native)
    monkeypatch.setattr(config, "probe_bf16", lambda *a, **k: pytest.fail("probed"))
    memo = {config.machine_key(): {"bf16_speedup": 3.0}}  # a memo saying bfloat16 is faster
    (config.cache_dir() / config.PROBE_FILE).write_text(json.dumps(memo))
    assert config.precision("cpu") == config.precision() == "float32"
    monkeypatch.setenv("LLMREC_PRECISION", "bfloat16")  # the reader's explicit choice
    assert config.precision("cpu") == "bfloat16"


def test_probe_is_remembered_per_machine(probe_calls, tmp_cache, monkeypatch):
    assert config.bf16_speedup() == 2.0 and probe_calls["n"] == 1
    memo = json.loads((tmp_cache / config.PROBE_FILE).read_text())
    assert memo[config.machine_key()]["bf16_speedup"] == 2.0
    probe_calls["speedup"] = 0.5
    assert config.bf16_speedup() == 2.0 and probe_calls["n"] == 1  # read, not probed
    monkeypatch.setattr(torch, "get_num_threads", lambda: 7)  # threads are not the machine
    assert config.bf16_speedup() == 2.0 and probe_calls["n"] == 1
    monkeypatch.setattr(config, "machine_key", lambda: "another CPU | torch x")
    assert config.bf16_speedup() == 0.5 and probe_calls["n"] == 2
    memo = json.loads((tmp_cache / config.PROBE_FILE).read_text())
    assert len(memo) == 2  # both machines kept
    assert config.precision("cpu") == "float32"  # and neither answer is read by precision


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"%s": {"speed": 1}}'])
def test_corrupt_memo_is_ignored_and_reprobed(probe_calls, tmp_cache, content):
    path = tmp_cache / config.PROBE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content.replace("%s", config.machine_key()) if "%s" in content else content)
    with pytest.warns(config.CorruptCacheWarning, match=config.PROBE_FILE):
        assert config.bf16_speedup() == 2.0 and probe_calls["n"] == 1
    assert json.loads(path.read_text())[config.machine_key()]["bf16_speedup"] == 2.0


def test_machine_key_names_cpu_and_torch_not_threads():
    key = config.machine_key()
    assert torch.__version__ in key and "threads" not in key


def test_real_probe_returns_a_ratio():
    assert config.probe_bf16(repeats=3, budget_s=0.0) > 0  # no timing asserted


# --- every torch path takes the device -------------------------------------------
def test_encoder_on_explicit_cpu_keeps_its_fingerprint(no_cuda, monkeypatch):
    import hashlib

    from llmrec_utils.text import embeddings

    enc = embeddings.Encoder.load(device="cpu", precision="float32")
    key = f"{embeddings.DEFAULT_MODEL}|{embeddings.MINILM_SHA256}|float32|256|mean|l2"
    assert enc.fingerprint == hashlib.sha256(key.encode()).hexdigest()[:16]  # cached embeddings stay valid
    assert enc.device == "cpu" and next(enc.model.parameters()).device.type == "cpu"
    out = enc.encode(["soft and warm", "runs small"], progress=False)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (2, 384)
    monkeypatch.setenv("LLMREC_PRECISION", "float32")
    auto = embeddings.Encoder.load()  # the defaults resolve through config
    assert (auto.device, auto.precision, auto.fingerprint) == ("cpu", "float32", enc.fingerprint)
    with pytest.raises(ValueError, match="no CUDA"):
        embeddings.Encoder.load(device="cuda")


def test_ner_train_and_predict_on_explicit_cpu(no_cuda):
    from llmrec_utils.text import ner

    tokenizer, net = ner.new_tagger()
    examples = [{"tokens": "the linen is soft".split(), "tags": ["O", "B-FABRIC", "O", "B-FABRIC"]}] * 4
    encoded = ner.encode_examples(tokenizer, examples)
    result = ner.train(net, tokenizer, encoded, epochs=1, batch_size=2, device="cpu",
                       precision="float32", progress=False)  # fmt: skip
    assert len(result.losses) == 2 and next(net.parameters()).device.type == "cpu"
    tags = ner.predict(net, tokenizer, [["the", "linen"], ["soft"]])
    assert [len(t) for t in tags] == [2, 1] and all(t in ner.LABELS for s in tags for t in s)
    with pytest.warns(DeprecationWarning, match="precision="):
        ner.train(net, tokenizer, encoded, epochs=1, batch_size=4, bf16=False, progress=False)
    with pytest.raises(ValueError, match="no CUDA"):
        ner.train(net, tokenizer, encoded, device="cuda", progress=False)


# --- the package's logger: the reader's level sticks, records propagate ------------
@pytest.fixture
def fresh_logger(monkeypatch):
    """The ``llmrec`` logger as before its first use; restored afterwards."""
    import logging

    log = logging.getLogger("llmrec")
    saved = (log.level, list(log.handlers), log.__dict__.pop("_llmrec_configured", None))
    for h in saved[1]:
        log.removeHandler(h)
    log.setLevel(logging.NOTSET)
    monkeypatch.delenv(config.LOG_STDOUT_ENV, raising=False)
    yield log
    for h in list(log.handlers):
        log.removeHandler(h)
    for h in saved[1]:
        log.addHandler(h)
    log.setLevel(saved[0])
    log.__dict__.pop("_llmrec_configured", None)
    if saved[2] is not None:
        log._llmrec_configured = saved[2]


def test_a_level_set_before_the_first_message_sticks(fresh_logger, capsys):
    import logging

    fresh_logger.setLevel(logging.WARNING)  # the reader's choice, before the package logs
    config.logger().info("a fit's note")
    assert config.logger().level == logging.WARNING
    assert "a fit's note" not in capsys.readouterr().out
    fresh_logger.setLevel(logging.NOTSET)
    fresh_logger.__dict__.pop("_llmrec_configured")
    config.logger().info("shown")  # nobody chose: INFO
    assert "shown" in capsys.readouterr().out
    config.logger().debug("a diagnostic")
    assert "a diagnostic" not in capsys.readouterr().out
    config.logger().info("once")  # a second use adds no second handler
    assert capsys.readouterr().out.count("once") == 1


def test_records_reach_the_users_logging_configuration(fresh_logger, caplog, capsys):
    import logging

    with caplog.at_level(logging.INFO):  # pytest's handler on the root logger
        config.logger().info("to the root")
    assert fresh_logger.propagate
    assert [r.getMessage() for r in caplog.records if r.name == "llmrec"] == ["to the root"]
    assert "to the root" in capsys.readouterr().out  # and the plain line, by default


def test_the_plain_stdout_lines_can_be_turned_off(fresh_logger, caplog, capsys, monkeypatch):
    import logging

    monkeypatch.setenv(config.LOG_STDOUT_ENV, "0")  # the user's handlers show the records
    with caplog.at_level(logging.INFO):
        config.logger().info("only to the root")
    assert "only to the root" not in capsys.readouterr().out
    assert any(r.getMessage() == "only to the root" for r in caplog.records)
    config.log_to_stdout(True)
    config.logger().info("back")
    assert "back" in capsys.readouterr().out


# --- one rule for corrupt caches and for torch's thread count ----------------------
def test_a_corrupt_cache_file_warns_with_its_name():
    with pytest.warns(config.CorruptCacheWarning, match=r"x\.json is corrupt.*ValueError: bad.*again"):
        config.warn_corrupt(Path("/tmp/x.json"), ValueError("bad"), "making it again")


def test_torch_threads_restores_the_count():
    before = torch.get_num_threads()
    with config.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(KeyError), config.torch_threads(1):
        raise KeyError  # restored on an error too
    assert torch.get_num_threads() == before
    with config.torch_threads(None):
        assert torch.get_num_threads() == before
