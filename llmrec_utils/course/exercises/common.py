"""What every chapter's checks share: the error a wrong answer raises, calling the
student's function (:func:`call`), reading a number or an array out of an answer
(:func:`number`, :func:`array`), comparing (:func:`same`) and naming the mistake
a wrong answer equals (:func:`judge`); a check's signature turned into a hint
(:func:`checked`), its cases one by one (:func:`over`, :func:`tally`) and fresh
random cases (:func:`fresh_rng`, :func:`seeded`)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar

import numpy as np
import pandas as pd

from ...config import logger


class ExerciseError(AssertionError):
    """A wrong answer; the message says what is wrong and how to look for it
    (in the reader's language, :func:`localized`)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(localized(message))

    def _render_traceback_(self) -> list[str]:
        # IPython and Jupyter show this instead of the traceback, so a failed check
        # shows its hint and none of the check's code (which holds the reference).
        return [f"{type(self).__name__}: {self}"]


def checked(check: Callable) -> Callable:
    """A check whose wrong call (a missing or extra argument) raises a hint, not a TypeError."""
    signature = inspect.signature(check)
    plain = ", ".join(name if p.default is p.empty else f"{name}={p.default!r}"
                      for name, p in signature.parameters.items())  # fmt: skip

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ExerciseError(
                f"{check.__name__}({plain}) was called wrongly ({exc}). Copy the call "
                "from the cell under the exercise.") from None
        return check(*args, **kwargs)

    return wrapper


# --- cases one by one, and fresh random cases -------------------------------------------
_TALLY: ContextVar[list | None] = ContextVar("llmrec_exercise_tally", default=None)
_SEED: ContextVar[int | None] = ContextVar("llmrec_exercise_seed", default=None)


def over(cases: Iterable, check_one: Callable[[object], None]) -> None:
    """Run ``check_one(case)`` on each case; it raises :class:`ExerciseError` if wrong.

    Normally the first wrong case raises. Inside :func:`tally` every case runs and
    its outcome (None if right, else the hint) is recorded, for partial credit.
    """
    record = _TALLY.get()
    for case in cases:
        if record is None:
            check_one(case)
            continue
        try:
            check_one(case)
        except ExerciseError as exc:
            record.append(str(exc))
        else:
            record.append(None)


@contextlib.contextmanager
def tally() -> Iterator[list]:
    """Record each case of the checks run inside (see :func:`over`)."""
    record: list = []
    token = _TALLY.set(record)
    try:
        yield record
    finally:
        _TALLY.reset(token)


def fresh_rng() -> np.random.Generator:
    """The generator of a check's fresh random cases: new ones on every call, so that
    no answer can be fitted to the check, unless :func:`seeded` fixes them (grading)."""
    return np.random.default_rng(_SEED.get())


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Make :func:`fresh_rng` draw the same cases on every call inside."""
    token = _SEED.set(seed)
    try:
        yield
    finally:
        _SEED.reset(token)


# the hint for a function still raising NotImplementedError
STUB = "Your function still raises NotImplementedError: replace that line with your code."


def ok(message: str) -> None:
    logger().info(localized(f"Correct: {message}"))


# --- the hints' language ---------------------------------------------------------------

def language() -> str:
    """``$LLMREC_LANG`` (``zh``/``zh_CN``: the Chinese hints), else English."""
    import os

    value = os.environ.get("LLMREC_LANG", "en").strip()
    return "zh_CN" if value.lower().replace("-", "_") in ("zh", "zh_cn") else "en"


@functools.cache
def _patterns() -> list[tuple[re.Pattern, str, int]]:
    """Each English message as a pattern (its ``{}`` fields as groups) and its
    Chinese, most specific first."""
    from .hints_zh import HINTS

    out = []
    for english, chinese in HINTS.items():
        if not chinese:
            continue
        parts = re.split(r"(?<!\{)\{\}(?!\})", english)
        body = "(.*?)".join(re.escape(p.replace("{{", "{").replace("}}", "}")) for p in parts)
        out.append((re.compile(body, re.DOTALL), chinese, len(english)))
    return sorted(out, key=lambda row: -row[2])


def localized(message: str, language_: str | None = None) -> str:
    """``message`` in the reader's language: a message of the checks matched
    with its fields, each field translated again where it is a message too;
    a message with no translation stays as it is."""
    if (language_ or language()) == "en" or not message:
        return message
    for pattern, chinese, _ in _patterns():
        m = pattern.fullmatch(message)
        if m:
            return chinese.format(*(localized(g, "zh_CN") for g in m.groups()))
    return message


def call(fn: Callable, *args, errors: dict | None = None):
    """``fn(*args)``, with a stub or an exception turned into a hint.

    ``errors`` maps an exception type to a hint for the mistake that usually
    raises it (e.g. ``ZeroDivisionError`` when an edge case is not handled).
    """
    if not callable(fn):
        raise ExerciseError(
            f"Pass your function itself (not its result); got a {type(fn).__name__}.")
    try:
        out = fn(*args)
    except ExerciseError:
        raise
    except NotImplementedError:
        raise ExerciseError(STUB) from None
    except Exception as exc:  # noqa: BLE001 - any crash becomes a hint
        name = type(exc).__name__
        for kind, hint in (errors or {}).items():
            if isinstance(exc, kind):
                raise ExerciseError(f"Your function raised {name} ({exc}). {hint}") from None
        raise ExerciseError(f"Your function raised {name}: {str(exc).rstrip('.')}. Call it "
                            "yourself on a small input to see which line fails.") from None
    if out is None or out is Ellipsis:
        raise ExerciseError("Your function returned None: it still ends in `...` or `pass`, "
                            "or a `return` is missing.")  # fmt: skip
    return out


def number(answer, name: str, nan: str = "look for a 0/0 or a missing value.") -> float:
    """A float from a number, a NumPy scalar, a 0-d or one-element array or list."""
    if answer is None or answer is Ellipsis:
        raise ExerciseError(f"{name} is not computed yet: replace the `...` with your code.")
    if isinstance(answer, (str, bytes)):
        raise ExerciseError(f"{name} should be a number, got the text {answer!r}.")
    if hasattr(answer, "detach"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        values = np.asarray(answer, dtype=object).ravel()
        if values.size != 1:
            raise ExerciseError(f"{name} should be a single number, got {values.size} values "
                                f"(a {type(answer).__name__}).")  # fmt: skip
        answer = values[0]
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise ExerciseError(f"{name} should be a number, got {answer!r}.") from None
    if math.isnan(value):
        raise ExerciseError(f"{name} is NaN; {nan}")
    return value


def array(answer, name: str, shape: tuple | None = None) -> np.ndarray:
    """A float array from an array, a tensor or nested lists, of ``shape`` if given."""
    if hasattr(answer, "detach"):
        answer = answer.detach().cpu().numpy()
    try:
        arr = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        kind = type(answer).__name__
        raise ExerciseError(f"{name} should be an array of numbers, got a {kind}.") from None
    if shape is not None and arr.shape != tuple(shape):
        squeezed = tuple(d for d in shape if d != 1)
        if arr.size == math.prod(shape) and arr.squeeze().shape == squeezed:
            return arr.reshape(shape)  # (n, 1) or (1, n) for (n,): harmless
        raise ExerciseError(f"{name} should have shape {tuple(shape)}, got {arr.shape}.")
    return arr


def same(got, want, tol: float = 1e-6) -> bool:
    """Numbers or arrays equal within a relative tolerance (inf equals inf)."""
    try:
        g, w = np.asarray(got, float), np.asarray(want, float)
    except (TypeError, ValueError):
        return False
    if g.shape != w.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(g, w, rtol=tol, atol=1e-9, equal_nan=False))


def judge(got, want, mistakes: Iterable[tuple[str, object]], otherwise: str, same=same) -> bool:
    """True if ``got`` is right; else raise the hint of the first mistake it equals.

    ``mistakes`` holds ``(hint, wrong answer)`` pairs computed on the same input.
    """
    if same(got, want):
        return True
    for hint, wrong in mistakes:
        if wrong is not None and same(got, wrong):
            raise ExerciseError(hint)
    raise ExerciseError(otherwise)


def ratio(a, b):
    """``a / b``, or None where a mistake's formula divides by zero on this input."""
    return None if b == 0 else a / b

