"""Paths, the default seed, the run profile, and where and how torch computes.

Everything is read when called, never at import, so a notebook or a test can
set ``LLMREC_CACHE``, ``LLMREC_PROFILE``, ``LLMREC_DEVICE`` or
``LLMREC_PRECISION`` before using the package.

Device and precision: one rule for every torch path of the package (the
encoder, the NER fine-tuning, the generator):

* :func:`device` is ``$LLMREC_DEVICE`` if set (``cpu``, ``cuda``, ``cuda:N``
  or ``mps``; a device that is not present is an error, not a silent
  fallback), else ``cuda`` when ``torch.cuda.is_available()``, else ``cpu``.
* :func:`precision` is the compute dtype, ``"float32"`` or ``"bfloat16"``
  (matrix products under ``torch.autocast``; weights stay float32):
  ``$LLMREC_PRECISION`` (``auto``, ``float32``, ``bfloat16``) if set and not
  ``auto``; else on CUDA bfloat16 when ``torch.cuda.is_bf16_supported()``;
  on a CPU or MPS **always float32**.

A number the book shows depends on code and data only, never on a timing:
two readers on two CPUs get the same vectors, the same fits and the same
tables. So the CPU default is float32 even where bfloat16 would be faster
(a reader who wants the speed sets ``LLMREC_PRECISION=bfloat16`` and gets
slightly different numbers: film-card embeddings move by about 1e-3, and
chapter 7's WARP fits amplify that into a few thousandths of NDCG). Whether
bfloat16 *would* pay off on this CPU is measured by :func:`bf16_speedup`
(a short timing probe, :func:`probe_bf16`, remembered per CPU model and
torch version in ``<cache_dir>/device_probe.json``); only the benchmarks
print it, nothing the chapters compute reads it.

Caches keyed by results (``embeddings.Encoder.fingerprint``,
``ner.train_cached``) include the precision, never the device.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import logging



SEED: int = 42  # the one default seed every stochastic function falls back to


PROFILES = ("default", "full")


def cache_dir() -> Path:
    """Directory for downloaded assets and derived artefacts.

    ``$LLMREC_CACHE`` if set, else ``~/.cache/llmrec``. Created on demand.
    """
    path = Path(os.environ.get("LLMREC_CACHE") or Path.home() / ".cache" / "llmrec")
    path = path.expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def artifacts_dir() -> Path:
    """Directory where chapters save results that later chapters read."""
    path = cache_dir() / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


# What `llmrec fetch` puts in the cache, and the machine's measured bfloat16
# speed (a fact of the machine that only the benchmarks read): what a fresh
# runtime starts with.
PINNED = ("assets", "wheels", "device_probe.json")


def pinned_cache(prefix: str = "llmrec-cache-", source: Path | None = None) -> Path:
    """A new temporary cache directory holding only :data:`PINNED`.

    The files are hard links to those in ``source`` (default :func:`cache_dir`;
    copies across file systems), so it costs no space. Point ``LLMREC_CACHE``
    at it to run a chapter or a test as in a fresh runtime; delete it after.
    """
    import shutil

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:  # another file system
            shutil.copy2(src, dst)

    source = Path(source) if source is not None else cache_dir()
    target = Path(tempfile.mkdtemp(prefix=prefix))
    for name in PINNED:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, copy_function=link)
        elif (source / name).is_file():
            shutil.copy2(source / name, target / name)
    return target


def data_dir() -> Path:
    """The book's committed data (the aspect gold set, chapter 6's generations).

    The repository's ``data/`` in a checkout; in an installed package (e.g. on
    Colab after ``pip install``), the copy the wheel installs under
    ``<prefix>/share/llmrec-utils/data``.
    """
    import sys

    repo = Path(__file__).resolve().parents[1] / "data"
    return repo if repo.is_dir() else Path(sys.prefix) / "share" / "llmrec-utils" / "data"


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` atomically: ``write(tmp)`` fills a temporary file (same
    folder, same suffix), which is then renamed into place, so a reader never
    sees a half-written file and a crash leaves the old one intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def profile() -> str:
    """The run profile: ``default`` (2 CPU cores, offline) or ``full`` (GPU/Colab)."""
    value = os.environ.get("LLMREC_PROFILE", "default").strip().lower() or "default"
    if value not in PROFILES:
        raise ValueError(
            f"LLMREC_PROFILE={value!r} is not a known profile; use one of {PROFILES}."
        )
    return value


# --- device and precision -------------------------------------------------------
PRECISIONS = ("float32", "bfloat16")


BF16_MIN_SPEEDUP = 1.15  # the benchmarks call bfloat16 worth setting from this speed-up


PROBE_FILE = "device_probe.json"


def device(requested: str | None = None) -> str:
    """The torch device to compute on: ``requested``, else ``$LLMREC_DEVICE``,
    else ``"cuda"`` if CUDA is available, else ``"cpu"``.

    An unknown name, or a device that is not present (``cuda`` without CUDA),
    raises ``ValueError`` saying what to set instead.
    """
    import torch

    source = "device" if requested else "LLMREC_DEVICE"
    value = (requested or os.environ.get("LLMREC_DEVICE", "")).strip().lower()
    if value in ("", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    kind, _, index = value.partition(":")
    if kind not in ("cpu", "cuda", "mps") or (index and not (kind == "cuda" and index.isdigit())):
        raise ValueError(
            f"{source}={value!r} is not a device; use 'cpu', 'cuda', 'cuda:N', 'mps' or "
            "'auto' (unset LLMREC_DEVICE to pick CUDA when present, else the CPU)."
        )
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"{source}={value!r} but torch sees no CUDA device (torch {torch.__version__}); "
                "use 'cpu', or unset LLMREC_DEVICE, or install a CUDA build of torch."
            )
        if index and int(index) >= torch.cuda.device_count():
            raise ValueError(f"{source}={value!r} but only {torch.cuda.device_count()} CUDA device(s) exist.")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"{source}={value!r} but MPS is not available here; use 'cpu' or unset LLMREC_DEVICE.")
    return value


def device_type(name: str) -> str:
    """``"cuda"``, ``"mps"`` or ``"cpu"``: the ``torch.autocast`` device type of ``name``."""
    return str(name).split(":")[0]


def precision(device_name: str | None = None, requested: str | None = None) -> str:
    """The compute dtype on ``device_name`` (default :func:`device`): ``requested``
    unless ``None``/``"auto"``, else ``$LLMREC_PRECISION`` unless unset/``auto``,
    else the rule in this module's docstring."""
    source = "precision" if requested not in (None, "auto") else "LLMREC_PRECISION"
    value = requested if requested not in (None, "auto") else os.environ.get("LLMREC_PRECISION", "")
    value = value.strip().lower()
    if value not in ("", "auto"):
        if value not in PRECISIONS:
            raise ValueError(f"{source}={value!r} is not a precision; use 'auto', 'float32' or 'bfloat16'.")
        return value
    if device_type(device(device_name)) == "cuda":
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    return "float32"  # a CPU or MPS: never chosen by a timing (module docstring)


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX).

    Necessary for bfloat16 to pay off on a CPU, not sufficient: see
    :func:`bf16_speedup`.
    """
    import torch

    probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool((probe and probe()) or (amx and amx()))
    except Exception:  # pragma: no cover - private API moved
        return False


def machine_key() -> str:
    """What the CPU probe's result depends on: the CPU model and the torch
    version (not the thread count, which a reader may change at any time)."""
    import torch

    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    model = model or platform.processor() or platform.machine()
    return f"{model} | torch {torch.__version__}"


def bf16_speedup() -> float:
    """float32 time / bfloat16 time of :func:`probe_bf16` on this CPU, measured
    once per machine and remembered in ``<cache_dir>/device_probe.json``.

    For the benchmarks only (``benchmarks/encoder_throughput.py`` prints it):
    :func:`precision` never reads it."""
    path = cache_dir() / PROBE_FILE
    key = machine_key()
    memo: dict = {}
    try:
        memo = json.loads(path.read_text())
        if not isinstance(memo, dict):
            raise ValueError("not a JSON object")
        entry = memo.get(key)
        if entry is not None:
            return float(entry["bf16_speedup"])
    except FileNotFoundError:
        pass
    except Exception as exc:  # corrupt or foreign: measure again and rewrite it
        warn_corrupt(path, exc, "measuring again")
        memo = {}
    speedup = probe_bf16()
    memo[key] = {"bf16_speedup": round(speedup, 4), "measured": time.strftime("%Y-%m-%d %H:%M:%S")}
    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(memo, indent=1, sort_keys=True)))
    return speedup


def probe_bf16(repeats: int = 7, budget_s: float = 1.5, seed: int = SEED) -> float:
    """Time a MiniLM-shaped forward pass on the CPU in float32 and under bfloat16
    autocast; returns float32 time / bfloat16 time, each the fastest repetition.

    The workload is two transformer encoder layers shaped like MiniLM-L6's
    (hidden 384, 12 heads, a 1536-wide GELU feed-forward) on a batch of 16
    texts of 48 tokens, under ``torch.inference_mode``: the products,
    attention, casts and float32 LayerNorms/softmax that autocast makes the
    encoder pay. The two precisions alternate, so drifting load from other
    processes hits both alike, and each keeps its fastest run (other processes
    only ever add time, so the fastest run is the least disturbed). At most
    ``repeats`` pairs, and no new pair after ``budget_s`` seconds (at least 3).
    The random weights and inputs come from ``seed``, without touching torch's
    global random state.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = [torch.nn.TransformerEncoderLayer(384, 12, 1536, dropout=0.0,
                                                   activation="gelu", batch_first=True)
                  for _ in range(2)]  # fmt: skip
        net = torch.nn.Sequential(*layers).eval()
        x = torch.randn(16, 48, 384)

    def run(bf16: bool) -> float:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            start = time.perf_counter()
            net(x)
            return time.perf_counter() - start

    run(False), run(True)  # warm-up: kernels, weight casts
    f32, b16, start = [], [], time.perf_counter()
    while len(f32) < repeats and (len(f32) < 3 or time.perf_counter() - start < budget_s):
        f32.append(run(False))
        b16.append(run(True))
    return min(f32) / min(b16)


LOG_STDOUT_ENV = "LLMREC_LOG_STDOUT"  # "0": the package prints no log lines itself


def logger() -> logging.Logger:
    """The package's logger, ``llmrec``: one plain line per message on stdout.

    Used for the few things a reader should be told while a chapter runs (for
    example that an artefact of another chapter is being rebuilt, and why);
    per-fit diagnostics are logged at DEBUG.

    **The rule.** ``llmrec`` is an ordinary library logger: its records
    propagate to the root logger, so a user's logging configuration (handlers,
    formats, files, pytest's ``caplog``) receives them. On first use the
    package also adds one plain stdout handler, so that a chapter shows its
    lines without any configuration; set ``LLMREC_LOG_STDOUT=0`` (or call
    :func:`log_to_stdout` with ``False``) when your own handlers already show
    them. The level is the reader's: ``logging.getLogger("llmrec").setLevel(
    logging.WARNING)`` silences it and ``DEBUG`` shows the diagnostics, set
    before or after the first message (INFO only when nobody has set one).
    """
    import logging

    log = logging.getLogger("llmrec")
    if not getattr(log, "_llmrec_configured", False):  # once, on first use, never at import
        log._llmrec_configured = True
        if log.level == logging.NOTSET:  # a level the reader set stays
            log.setLevel(logging.INFO)
        log_to_stdout(os.environ.get(LOG_STDOUT_ENV, "1").strip() not in ("0", "false", "no"))
    return log


def log_to_stdout(on: bool = True) -> None:
    """Add (``True``) or remove (``False``) the package's plain stdout handler on
    the ``llmrec`` logger; propagation to the root logger is unaffected."""
    import logging
    import sys

    class _Stdout(logging.StreamHandler):  # the stdout of the moment (Jupyter, pytest)
        def emit(self, record):
            self.stream = sys.stdout
            super().emit(record)

    log = logging.getLogger("llmrec")
    ours = [h for h in log.handlers if getattr(h, "_llmrec_stdout", False)]
    if on and not ours:
        handler = _Stdout(sys.stdout)
        handler._llmrec_stdout = True
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    elif not on:
        for handler in ours:
            log.removeHandler(handler)


class CorruptCacheWarning(UserWarning):
    """A cached file could not be read and is being rebuilt (:func:`warn_corrupt`)."""


def warn_corrupt(path, exc: BaseException, action: str = "rebuilding it") -> None:
    """The one rule for a corrupt or unreadable cache file, everywhere in the package:
    warn (a :class:`CorruptCacheWarning` naming the file and the error) and
    rebuild it; never fail on it, never skip it silently. A file that is
    readable but stale (other inputs, another version) is not corrupt: that is
    said through :func:`logger` by the code that rebuilds it. The generation
    log of :mod:`llmrec_utils.text.llm` is a record, not a cache (it cannot be
    remade offline): a corrupt line there is an error."""
    import warnings

    name = getattr(path, "name", None) or str(path)
    warnings.warn(f"Cached file {name} is corrupt or unreadable ({type(exc).__name__}: {exc}); "
                  f"{action}.", CorruptCacheWarning, stacklevel=3)  # fmt: skip


class torch_threads:
    """``with torch_threads(n):`` run torch on ``n`` CPU threads, restoring the
    previous count afterwards (``None``: leave torch's setting). A fixed count
    keeps float sums in a fixed order, so two CPU fits give the same numbers."""

    def __init__(self, n: int | None):
        self.n = n

    def __enter__(self) -> "torch_threads":
        import torch

        self.before = torch.get_num_threads()
        if self.n is not None:
            torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc) -> None:
        import torch

        torch.set_num_threads(self.before)
