"""Grading with otter-grader's tests, without re-running the chapters.

``llmrec assign OUTDIR`` writes each chapter as an otter master notebook and runs
``otter assign`` on it (:func:`write_assignments`): a student version with the
public tests, an autograder version with the solutions and the hidden tests.

``llmrec grade SUBMISSIONS --out grades.csv`` writes one row per student and
chapter and one column per exercise (:func:`grade_folder`):

1. The exercises are read from the chapters (:func:`exercises_of`): an
   ``{exercise}`` block whose solution is followed by a call
   ``exercises.check_*(answer, ...)`` is a coding exercise worth
   :data:`POINTS`; one without is a discussion question, graded by hand (its
   column says ``manual`` in the points row and is empty below).
2. From a submission only the answer cells are taken (:func:`answer_cell`): the
   last code cell that defines the exercise's name (``def my_f(`` or
   ``x_answer =``), without calls to the checks, plus the statements of other
   cells that define names it uses. Other cells never run, so neither the
   chapters' heavy cells nor a ``try/except`` around a check matter.
3. Each answer runs in a fresh namespace holding the chapter's imports and the
   small data its check takes (``ratings``, ``items``, from the cache), within
   :data:`TIMEOUT` seconds; the checks are restored afterwards, so an answer
   that replaces one changes nothing.
4. Each coding exercise has an otter-grader test (OK format, :func:`test_spec`),
   run by otter's test runner: a public case that calls the chapter's check
   (:func:`public`, which needs only the package) and a hidden case with
   variants the student has not seen (:func:`hidden`): the function on new
   random inputs, compared with the chapter's solution, or, for an answer that
   is a value, the answer cell run again on a random half of the data. Each
   case is worth one point.

:func:`write_tests` writes the test files (``llmrec grade --tests DIR``).
Taught in no chapter: see "Grading" in ``book/instructors.md``.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import csv
import functools
import io
import json
import math
import re
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.columns import ITEM, RATING, TIMESTAMP, USER
from ..data.loaders import load_ml100k_items, load_ml100k_ratings
from . import exercises
from .exercises import ch06_llm_augmentation as ch06
from .exercises.common import STUB, ExerciseError, call, number, same
from .student import notebooks_dir

NOTEBOOKS = notebooks_dir()  # the chapters: in a checkout, or shipped with the package


POINTS = 2  # per coding exercise: 1 for the public check, 1 for the hidden variants


TIMEOUT = 60  # seconds per answer cell and per test case


MANUAL = "manual"


_EXERCISE_RE = re.compile(r"^[`:]{3,}\{exercise\}\s*(?P<title>.*?)\s*\n:label:\s*(?P<label>\S+)",
                          re.MULTILINE)  # fmt: skip


_SOLUTION_RE = re.compile(r"^[`:]{3,}\{solution\}\s*(?P<label>\S+)", re.MULTILINE)


_START_RE = re.compile(r"^[`:]{3,}\{solution-start\}\s*(?P<label>\S+)", re.MULTILINE)


_END_RE = re.compile(r"^[`:]{3,}\{solution-end\}", re.MULTILINE)


@dataclass
class Exercise:
    """One exercise of a chapter, as read from the notebook."""

    chapter: str  # notebook stem, e.g. "01_data"
    label: str  # e.g. "ex-data-density"
    title: str
    check: str | None = None  # e.g. "check_density"; None for a discussion question
    answer: str | None = None  # the name the answer defines (a function or a value)
    data: list[str] = field(default_factory=list)  # other arguments of the check
    solution: str = ""  # the chapter's solution code (the reference)

    @property
    def manual(self) -> bool:
        return self.check is None

    @property
    def points(self) -> int | str:
        return MANUAL if self.manual else POINTS


# --- reading the chapters ---------------------------------------------------------------
def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _parse(source: str) -> ast.Module | None:
    """The cell's code, with IPython magics and shell lines blanked; None if not Python."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]  # fmt: skip
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _check_call(source: str) -> tuple[str, list[str]] | None:
    """``("check_x", [arg names])`` of the first ``exercises.check_x(...)`` in a cell."""
    tree = _parse(source)
    for node in ast.walk(tree) if tree else []:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr.startswith("check_")):  # fmt: skip
            return node.func.attr, [ast.unparse(a) for a in node.args]
    return None


def exercises_of(chapter: str | Path) -> list[Exercise]:
    """The exercises of ``notebooks/<chapter>.ipynb`` (or a path), in order."""
    path = Path(chapter) if str(chapter).endswith(".ipynb") else NOTEBOOKS / f"{chapter}.ipynb"
    cells = json.loads(path.read_text())["cells"]
    found: dict[str, Exercise] = {}
    open_label = None  # the solution being read
    for cell in cells:
        src = _source(cell)
        if cell["cell_type"] == "markdown":
            for m in _EXERCISE_RE.finditer(src):
                found[m["label"]] = Exercise(path.stem, m["label"], m["title"])
            start = _START_RE.search(src)
            if start:
                open_label = start["label"]
            elif _END_RE.search(src):
                open_label = None
        elif open_label in found:
            found[open_label].solution += src + "\n"
        elif cell["cell_type"] == "code" and (call := _check_call(src)):
            owner = next((e for e in reversed(found.values()) if e.solution), None)
            if owner is not None and owner.check is None:
                owner.check, (owner.answer, *owner.data) = call[0], call[1]
    for ex in found.values():  # a solution but no check: graded by hand
        if ex.check is None:
            ex.solution = ""
    return list(found.values())


def chapter_imports(chapter: str) -> str:
    """Every top-level import statement of the chapter, one per line."""
    cells = json.loads((NOTEBOOKS / f"{chapter}.ipynb").read_text())["cells"]
    out = []
    for cell in cells:
        tree = _parse(_source(cell)) if cell["cell_type"] == "code" else None
        out += [ast.unparse(n) for n in (tree.body if tree else [])
                if isinstance(n, (ast.Import, ast.ImportFrom))]  # fmt: skip
    return "\n".join(dict.fromkeys(out))


# --- the answers of a submission --------------------------------------------------------
def _defines(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and name in \
                {(a.asname or a.name).split(".")[0] for a in node.names}:  # fmt: skip
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        if any(isinstance(n, ast.Name) and n.id == name
               for t in targets for n in ast.walk(t)):  # fmt: skip
            return True
    return False


def _defines_one(statement: ast.stmt, name: str) -> bool:
    return _defines(ast.Module(body=[statement], type_ignores=[]), name)


def _free_names(tree: ast.AST) -> set[str]:
    """Names a piece of code reads but neither defines nor imports (roughly)."""
    used, bound = set(), set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return used - bound


def _statements(cells: list) -> list[ast.stmt]:
    """The top-level statements of the code cells that parse, without calls to the checks."""
    out = []
    for cell in cells:
        tree = _parse(_source(cell)) if cell.get("cell_type") == "code" else None
        out += [n for n in (tree.body if tree else []) if "exercises.check_" not in ast.unparse(n)]
    return out


def answer_cell(cells: list, name: str, known: set | None = None,
                check: str | None = None) -> str | None:
    """The code of the last code cell defining ``name``, without calls to the checks.

    With ``check`` (e.g. ``"exercises.check_ndcg("``), the last such cell before
    the first cell that holds ``check``, if there is one, as when the notebook
    runs from the top (a later cell that reuses the name does not count).
    A top-level statement that calls ``exercises.check_*`` (or wraps one in
    ``try``) is dropped: the grader calls the checks itself. A name the cell
    uses that is neither in ``known`` (the grading context) nor defined in the
    cell is taken from the last top-level statement of another cell that
    defines it (e.g. ``n_users = ratings[USER].nunique()`` or a helper
    function), so an answer may build on the student's own earlier cells.
    """
    code = [c for c in cells if c.get("cell_type") == "code"]
    at = next((i for i, c in enumerate(code) if check and check in _source(c)), len(code))
    for cell in [*reversed(code[:at]), *reversed(code[at:])]:
        tree = _parse(_source(cell))
        if tree is not None and _defines(tree, name):
            break
    else:
        return None
    body = [n for n in tree.body if "exercises.check_" not in ast.unparse(n)]
    others = [n for n in _statements(cells) if n not in tree.body]
    needed, missing = [], _free_names(ast.Module(body=body, type_ignores=[])) - set(known or ())
    for _ in range(5):  # a few levels of helpers of helpers
        found = []
        for want in sorted(missing):
            node = next((n for n in reversed(others) if _defines_one(n, want)), None)
            if node is not None and node not in needed and node not in found:
                found.append(node)
        if not found:
            break
        needed = found + needed
        missing = _free_names(ast.Module(body=found, type_ignores=[])) - set(known or ())
    return ast.unparse(ast.Module(body=needed + body, type_ignores=[]))


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise :class:`_Timeout` after ``seconds`` (main thread, POSIX; else no limit)."""
    def stop(signum, frame):
        raise _Timeout(f"took more than {seconds:g} s")

    try:
        old = signal.signal(signal.SIGALRM, stop)
    except (ValueError, AttributeError):  # not the main thread, or no SIGALRM
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _quiet(fn: Callable, *args, **kwargs):
    """``fn(*args, **kwargs)`` with its printed output swallowed."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return fn(*args, **kwargs)


@contextlib.contextmanager
def _restored():
    """Restore the checks (the package and each of its modules: a chapter's, and
    the shared helpers), this module, NumPy's and pandas' namespaces on exit, so
    an answer that replaces a check (``setattr(exercises, "check_x", ...)``), a
    helper a check calls (``exercises.ch08_evaluation.judge``) or ``np.allclose``
    changes nothing for the tests or the next submission."""
    checks = [m for name, m in sorted(sys.modules.items())
              if name == exercises.__name__ or name.startswith(exercises.__name__ + ".")]
    saved = {m: dict(vars(m)) for m in (*checks, sys.modules[__name__], np, pd, math)}
    try:
        yield
    finally:
        for module, attributes in saved.items():
            current = vars(module)
            for added in set(current) - set(attributes):
                del current[added]
            current.update(attributes)


def run_cell(code: str, ns: dict, timeout: float | None = None) -> dict:
    """Run ``code`` in the namespace ``ns`` (changed in place) within ``timeout``
    seconds (default :data:`TIMEOUT`), then restore the checks; return ``ns``."""
    with _restored(), _time_limit(timeout or TIMEOUT):
        _quiet(exec, compile(code, "<answer>", "exec"), ns)
    return ns


# --- the context an answer runs in ------------------------------------------------------
_DATA: dict[str, Callable[[], pd.DataFrame]] = {
    "ratings": load_ml100k_ratings,
    "items": load_ml100k_items,
}


class Context:
    """The chapters' imports and data, each loaded once and shared by all submissions."""

    def __init__(self):
        self._imports: dict[str, dict] = {}
        self._data: dict[str, pd.DataFrame] = {}
        self._references: dict[str, Callable] = {}

    def namespace(self, ex: Exercise, data: dict | None = None) -> dict:
        if ex.chapter not in self._imports:
            ns = {"np": np, "pd": pd, "math": math, "exercises": exercises,
                  "USER": USER, "ITEM": ITEM, "RATING": RATING, "TIMESTAMP": TIMESTAMP}
            for line in chapter_imports(ex.chapter).splitlines():
                with contextlib.suppress(Exception):  # e.g. pyspark not installed
                    _quiet(exec, line, ns)
            self._imports[ex.chapter] = ns
        ns = dict(self._imports[ex.chapter])
        for name in ex.data:  # a copy: an answer may change its frame in place
            ns[name] = (data[name] if data and name in data else self.data(name)).copy()
        return ns

    def data(self, name: str) -> pd.DataFrame:
        if name not in self._data:
            self._data[name] = _DATA[name]()
        return self._data[name]

    def reference(self, ex: Exercise):
        """The chapter's own answer (a function), for the hidden variants."""
        if ex.label not in self._references:
            self._references[ex.label] = run_cell(ex.solution, self.namespace(ex))[ex.answer]
        return self._references[ex.label]


_CONTEXT: Context | None = None


def context() -> Context:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = Context()
    return _CONTEXT


# --- hidden variants: new inputs, compared with the chapter's reference --------------------
def _tags(rng, n: int) -> list[str]:
    return [str(t) for t in rng.choice(["O", "O", "B-FIT", "I-FIT", "B-SIZE", "I-SIZE"], n)]


def _log(rng) -> tuple:
    n = int(rng.integers(12, 30))
    log = pd.DataFrame({USER: rng.integers(1, 7, n), ITEM: rng.permutation(100)[:n],
                        RATING: rng.integers(1, 6, n), TIMESTAMP: rng.permutation(1000)[:n]},
                       index=rng.permutation(500)[:n])  # fmt: skip
    return (log,)


def _pairs(frame) -> list:
    return sorted(map(tuple, frame[[USER, ITEM]].astype(int).to_numpy().tolist()))


def _mean_pool_args(rng):
    import torch

    b, t, d = (int(x) for x in rng.integers(2, 7, 3))
    lengths = rng.integers(1, t + 1, b)
    mask = torch.tensor((np.arange(t) < lengths[:, None]).astype(int))
    return torch.tensor(rng.normal(size=(b, t, d)), dtype=torch.float32), mask


def _align_args(rng):
    n = int(rng.integers(2, 8))
    ids = [None] + [w for w in range(n) for _ in range(int(rng.integers(1, 4)))] + [None]
    return ids, [int(x) for x in rng.integers(0, 5, n)]


def _als_args(rng):
    n_items, d = 10, int(rng.integers(2, 5))
    items = rng.choice(n_items, int(rng.integers(2, 7)), replace=False)
    return (rng.normal(size=(n_items, d)), rng.normal(size=n_items), items,
            rng.integers(1, 6, len(items)).astype(float), 3.5, 0.1, 0.5)  # fmt: skip


def _zscore_args(rng):
    S = rng.normal(2.0, 3.0, (int(rng.integers(3, 7)), int(rng.integers(3, 9))))
    S[0] = 1.5  # a constant row
    return (S,)


def _ndcg_args(rng):
    n = int(rng.integers(2, 12))
    hits = rng.integers(0, 2, n)
    return hits, int(hits.sum() + rng.integers(1, 5)), int(rng.integers(1, n + 3))


def _novelty_args(rng):
    train = pd.DataFrame({USER: rng.integers(0, 15, 80), ITEM: rng.integers(0, 12, 80)})
    recs = pd.DataFrame({USER: np.repeat(np.arange(4), 3),
                         ITEM: rng.choice(train[ITEM].unique(), 12)})  # fmt: skip
    return recs, train


def _crossover_args(rng):
    a1, a2 = rng.uniform(0, 20, 2)
    b1, b2 = rng.uniform(1e-5, 1e-3, 2)
    return float(a1), float(b1), float(a2), float(b2), int(rng.integers(1, 16))


_BREAKS = [  # ways to break the column contract (the first two keep it)
    lambda d, row: d, lambda d, row: d[[RATING, ITEM, USER]].astype({RATING: int}),
    lambda d, row: d.drop(columns=[USER]),
    lambda d, row: d.assign(**{ITEM: d[ITEM].where(d.index != row, np.nan)}),
    lambda d, row: d.assign(**{RATING: d[RATING].where(d.index != row, 0.0)}),
    lambda d, row: d.assign(**{RATING: d[RATING].where(d.index != row, 7.0)}),
    lambda d, row: pd.concat([d, d.loc[[row]].assign(**{RATING: 3.0})]),  # a pair twice
]


def _frame(rng, which: int):
    """A ratings frame that holds the column contract, or breaks it in one way."""
    n = int(rng.integers(5, 15))
    pairs = rng.permutation(60)[:n]
    df = pd.DataFrame({USER: pairs // 10, ITEM: pairs % 10 + 100,
                       RATING: rng.integers(1, 6, n).astype(float),
                       TIMESTAMP: rng.integers(0, 999, n)},
                      index=rng.permutation(99)[:n])  # fmt: skip
    return (_BREAKS[which](df, df.index[int(rng.integers(n))]),)


def _recall_args(rng):
    k, rows = int(rng.integers(1, 5)), []
    for user in range(1, 6):
        items = rng.permutation(20)[:int(rng.integers(2, 8))] + 100 * user
        rows += [(user, int(i), r + 1) for r, i in enumerate(items)]
    recs = pd.DataFrame(rows, columns=[USER, ITEM, "rank"]).sample(frac=1, random_state=1)
    truth = recs.sample(frac=0.4, random_state=int(rng.integers(99)))[[USER, ITEM]]
    extra = pd.DataFrame({USER: [1, 9], ITEM: [199, 901]})  # unlisted item, unlisted user
    return recs, pd.concat([truth, extra]), k


def _reviews_args(rng):
    n = int(rng.integers(3, 8))
    ids = [int(i) for i in rng.permutation(50)[:n]]
    labelled = pd.DataFrame({"review": ids, "text": [f"review {i}" for i in ids],
                             "recommended": rng.integers(0, 2, n)},
                            index=rng.permutation(99)[:n])  # fmt: skip
    paraphrases = {i: f"paraphrase of {i}" for i in ids if rng.random() < 0.7}
    copies = {i for i in paraphrases if rng.random() < 0.3}
    return labelled, paraphrases, copies


def _effect_args(rng):
    n = int(rng.integers(20, 60))
    y = rng.integers(0, 2, n)
    return (y, np.where(rng.random(n) < 0.3, 1 - y, y), np.where(rng.random(n) < 0.2, 1 - y, y),
            int(rng.integers(0, 99)))  # fmt: skip


def _gated_args(rng):
    n_users, n_items = int(rng.integers(2, 6)), int(rng.integers(4, 9))
    cf, content = rng.normal(size=(2, n_users, n_items))
    cf[0] = 1.0  # a constant row
    n_ratings = rng.integers(0, 30, n_items)
    n_ratings[0] = 0  # a cold item
    return cf, content, n_ratings, float(rng.uniform(0.0, 0.5)), float(rng.uniform(1, 20))


def _seen_args(rng):
    n = int(rng.integers(5, 30))
    seen = pd.DataFrame({USER: rng.integers(0, 6, n), ITEM: rng.integers(0, 12, n)})
    return seen, int(rng.integers(1, 12))


def _vector(out) -> np.ndarray:
    """A tuple of arrays and numbers as one flat float array."""
    return np.concatenate([np.ravel(np.asarray(x, float)) for x in out])


def _fm_args(rng):
    n, k, rows = (int(x) for x in rng.integers(2, 7, 3))
    return rng.normal(size=(n, k)), rng.normal(size=(rows, n)) * (rng.random((rows, n)) < 0.7)


def _warp_args(rng):
    n = int(rng.integers(2, 200))
    return rng.integers(1, 12, int(rng.integers(1, 8))), n


def _loo_args(rng):
    n = int(rng.integers(2, 12))
    return rng.integers(0, 4, n), rng.integers(0, 2, n)


# check -> (arguments from a random generator, what to compare of the output)
VARIANTS: dict[str, tuple[Callable, Callable]] = {
    "check_validate": (_frame, len),  # one variant per way of breaking the contract
    "check_recall": (_recall_args, float),
    "check_augmented_set": (_reviews_args, ch06.pairs),
    "check_augmentation_effect": (_effect_args, lambda out: np.array(ch06.bounds(out))),
    "check_leave_last_out": (_log, lambda out: (_pairs(out[1]), _pairs(out[0]))),
    "check_mean_pool": (_mean_pool_args, lambda out: np.asarray(out, float)),
    "check_macro_f1": (lambda rng: tuple(rng.integers(0, 4, (2, 25))), float),
    "check_align_labels": (_align_args, list),
    "check_entity_f1": (lambda rng: ([_tags(rng, 8) for _ in range(4)],
                                     [_tags(rng, 8) for _ in range(4)]), float),
    "check_spans": (lambda rng: (_tags(rng, 12),), lambda out: sorted(map(tuple, out))),
    "check_sgd_step": (lambda rng: (*rng.normal(size=(2, 3)), *rng.normal(size=3), 4.0, 0.02,
                                    0.05, 0.1), _vector),
    "check_als_user": (_als_args, _vector),
    "check_ease": (lambda rng: ((rng.random((15, 6)) < 0.4).astype(float), 2.0),
                   lambda out: np.asarray(out, float)),
    "check_zscore_rows": (_zscore_args, lambda out: np.asarray(out, float)),
    "check_content_scores": (lambda rng: (rng.normal(size=(9, 4)), [1, 4, 6]),
                             lambda out: np.ravel(np.asarray(out, float))),
    "check_ndcg": (_ndcg_args, float),
    "check_novelty": (_novelty_args, float),
    "check_loops": (lambda rng: ([int(x) for x in rng.integers(1, 3, rng.integers(0, 10))],
                                 int(rng.integers(1, 4))), bool),
    "check_crossover": (_crossover_args, float),
    "check_gated_blend": (_gated_args, lambda out: np.asarray(out, float)),
    "check_fetch_depth": (_seen_args, int),
    "check_fm_pairwise": (_fm_args, lambda out: np.ravel(np.asarray(out, float))),
    "check_warp_weight": (_warp_args, lambda out: np.ravel(np.asarray(out, float))),
    "check_loo_share": (_loo_args, lambda out: np.ravel(np.asarray(out, float))),
}


N_VARIANTS = 5


def _agree(got, want) -> bool:
    if isinstance(want, (np.ndarray, float)):
        return same(got, want)  # inf equals inf
    return got == want


def _outcome(fn: Callable, args: tuple, key: Callable):
    """What to compare of ``fn(*args)``: ``key`` of the output, or that it raised ValueError."""
    try:
        out = fn(*args)
    except ValueError:
        return "ValueError"
    return key(out)


def _function_variants(ex: Exercise, fn: Callable) -> None:
    reference = context().reference(ex)
    make, key = VARIANTS[ex.check]
    n = len(_BREAKS) if ex.check == "check_validate" else N_VARIANTS
    for i in range(n):
        rng = np.random.default_rng(1000 + i)
        args = make(rng, i) if ex.check == "check_validate" else make(rng)
        want = _outcome(reference, args, key)
        try:
            got = _outcome(fn, args, key)
        except NotImplementedError:
            raise ExerciseError(STUB) from None
        except Exception as exc:  # noqa: BLE001 - a crash or a wrong type of output
            raise ExerciseError(f"variant {i + 1}: {type(exc).__name__} (a crash, or "
                                "an output of the wrong form).") from None
        if isinstance(want, str) != isinstance(got, str) or not _agree(got, want):
            raise ExerciseError(f"variant {i + 1} of {n}: the answer "
                                "differs from the reference.")


def _sign_flip_variants(ex: Exercise, fn: Callable) -> None:
    reference = context().reference(ex)
    for i, shift in enumerate((0.35, -0.1, 0.0)):
        diffs = np.random.default_rng(2000 + i).normal(shift, 1.0, 70)
        p = number(call(fn, diffs.copy(), 2999, 3), "p")
        want = reference(diffs, 40_000, 1)
        if abs(p - want) > 0.02 + 0.1 * want:
            raise ExerciseError(f"variant {i + 1}: the p-value is off.")


def _value_variants(ex: Exercise, env: dict) -> None:
    code = answer_code(ex, env)
    if code is None:
        raise ExerciseError("the answer cell was not found.")
    tree = _parse(code)  # a cell that loads `ratings` itself gets the half instead
    kept = [n for n in tree.body if not any(_defines_one(n, d) for d in ex.data)]
    code = ast.unparse(ast.Module(body=kept, type_ignores=[]))
    for i in range(2):
        half = {name: context().data(name).sample(frac=0.5, random_state=3000 + i)
                for name in ex.data}  # fmt: skip
        try:
            ns = run_cell(code, context().namespace(ex, half))
        except Exception as exc:  # noqa: BLE001
            raise ExerciseError(f"variant {i + 1}: the cell raised "
                                f"{type(exc).__name__} on other data.") from None
        if ex.answer not in ns:
            raise ExerciseError(f"variant {i + 1}: {ex.answer} is not defined.")
        try:
            _quiet(getattr(exercises, ex.check), ns[ex.answer], *(half[n] for n in ex.data))
        except ExerciseError:
            raise ExerciseError(f"variant {i + 1}: on a random half of the data "
                                "the answer is wrong (a number typed in?).") from None


# --- the tests, called from otter's test files ------------------------------------------
@functools.cache
def _exercises(chapter: str) -> tuple[Exercise, ...]:
    return tuple(exercises_of(chapter))


def find(chapter: str, label: str) -> Exercise:
    for ex in _exercises(chapter):
        if ex.label == label:
            return ex
    raise LookupError(f"no exercise {label} in {chapter}")


def answer_code(ex: Exercise, env: dict) -> str | None:
    """The answer cell: recorded by the grader, or from IPython's history ``In``."""
    recorded = env.get("__answer_cells__", {})
    if ex.label in recorded:
        return recorded[ex.label]
    history = [{"cell_type": "code", "source": s} for s in env.get("In", [])]
    return answer_cell(history, ex.answer)


def _verdict(run: Callable) -> bool | str:
    """True if ``run()`` passes, else the hint (otter shows it in the failure)."""
    try:
        with _time_limit(TIMEOUT):
            run()
        return True
    except ExerciseError as exc:
        return str(exc)
    except _Timeout as exc:
        return f"The answer {exc}."
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def public(check: str, answer: str, data: list[str], env: dict) -> bool | str:
    """``exercises.<check>(env[answer], *data)``, as the chapter calls it.

    Needs only the package (not the chapters), so it also runs in a student's
    notebook: ``grader.check`` in otter's student copy calls it.
    """
    if answer not in env:
        return f"{answer} is not defined: the answer is missing or its cell fails."
    args = [env[n] if n in env else context().data(n) for n in data]

    def run():
        if check == "check_spark_top_k":  # the check uses the active session
            from ..models.spark_als import session

            _quiet(session, "llmrec-grading")
        _quiet(getattr(exercises, check), env[answer], *args)

    return _verdict(run)


def hidden(chapter: str, label: str, env: dict) -> bool | str:
    """Variants the student has not seen (see the module docstring)."""
    ex = find(chapter, label)
    if ex.answer not in env:
        return f"{ex.answer} is not defined: the answer is missing or its cell fails."
    if ex.data:
        return _verdict(lambda: _value_variants(ex, env))
    if ex.check == "check_sign_flip":
        return _verdict(lambda: _sign_flip_variants(ex, env[ex.answer]))
    return _verdict(lambda: _function_variants(ex, env[ex.answer]))


def test_spec(ex: Exercise) -> dict:
    """The otter-grader test file (OK format) of a coding exercise."""
    public_call = f"public({ex.check!r}, {ex.answer!r}, {ex.data!r}, globals())"
    cases = [{"code": f">>> from llmrec_utils.course import grading\n>>> grading.{public_call}\nTrue",
              "hidden": False, "points": 1}]  # fmt: skip
    if ex.data or ex.check in VARIANTS or ex.check == "check_sign_flip":
        cases.append({"code": f">>> from llmrec_utils.course import grading\n>>> grading.hidden("
                              f"{ex.chapter!r}, {ex.label!r}, globals())\nTrue",
                      "hidden": True, "points": POINTS - 1})  # fmt: skip
    else:
        cases[0]["points"] = POINTS
    return {"name": ex.label, "points": POINTS,
            "suites": [{"type": "doctest", "scored": True, "setup": "", "teardown": "",
                        "cases": cases}]}  # fmt: skip


def write_tests(folder: str | Path, chapters: list[str] | None = None) -> list[Path]:
    """Write every coding exercise's otter test file to ``folder/<label>.py``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter in chapters or CHAPTERS:
        for ex in exercises_of(chapter):
            if not ex.manual:
                path = folder / f"{ex.label}.py"
                path.write_text(f"test = {test_spec(ex)!r}\n")
                written.append(path)
    return written


# --- grading a submission and a folder ----------------------------------------------------
CHAPTERS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@dataclass
class Result:
    label: str
    score: float | None  # None for a discussion question
    possible: int | str
    message: str = ""


def _otter(module: str):
    """``otter.<module>``, or an error that says how to install otter-grader."""
    import importlib

    try:
        return importlib.import_module(f"otter.{module}")
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "Grading needs otter-grader: pip install 'llmrec-utils[grading]' "
            "(or pip install otter-grader); `make` installs it in .venv."
        ) from error


def grade_notebook(path: str | Path, chapter: str) -> list[Result]:
    """Grade one submitted notebook of ``chapter``, exercise by exercise."""
    OKTestFile = _otter("test_files").OKTestFile

    cells = json.loads(Path(path).read_text())["cells"]
    results = []
    for ex in _exercises(chapter):
        if ex.manual:
            results.append(Result(ex.label, None, MANUAL))
            continue
        env = context().namespace(ex)
        code = answer_cell(cells, ex.answer, known=set(env), check=f"exercises.{ex.check}(")
        note = ""
        if code is None:
            note = f"no cell defines {ex.answer}"
        else:
            try:  # what the cell defined before it failed stays, as in Jupyter
                run_cell(code, env)
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure is a note
                note = f"the answer cell raised {type(exc).__name__}: {exc}"
        env["__answer_cells__"] = {ex.label: code}
        test = OKTestFile.from_spec(test_spec(ex), path=f"{ex.label}.py")
        with _restored():  # the answer runs again inside the tests
            test.run(env)
        failed = [_hint(r.message) for r in test.test_case_results if not r.passed]
        results.append(Result(ex.label, float(test.score), test.possible,
                              "; ".join(dict.fromkeys([note] * bool(note) + failed))))  # fmt: skip
    return results


def _hint(message: str) -> str:
    """The hint in otter's failure message (the doctest's last output line)."""
    last = message.strip().splitlines()[-1].strip()
    with contextlib.suppress(ValueError, SyntaxError):
        last = str(ast.literal_eval(last))
    return last


def _tidy(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 3)


def chapter_of(path: Path) -> str | None:
    """The chapter a submission belongs to, from its file name (``01_data``, ``01-...``)."""
    m = re.search(r"(?<!\d)(\d\d)[_-]", path.name)
    return next((c for c in CHAPTERS if m and c.startswith(m[1] + "_")), None)


def grade_folder(folder: str | Path, out: str | Path, chapter: str | None = None,
                 feedback: str | Path | None = None) -> pd.DataFrame:
    """Grade every ``.ipynb`` under ``folder`` into ``out`` (CSV); return the table.

    The student is the notebook's first folder under ``folder`` if it has one,
    else the file name without the chapter. The first row, ``(points)``, holds
    each column's points (``manual`` for a discussion question). ``feedback``,
    if given, gets one row per student and exercise with the hints.
    """
    folder = Path(folder)
    rows, notes, columns = [], [], ["student", "chapter"]
    points: dict[str, object] = {"student": "(points)", "chapter": ""}
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        ch = chapter or chapter_of(path)
        if ch is None:
            raise ValueError(f"{path}: cannot tell the chapter from the name; use --chapter")
        parts = path.relative_to(folder).parts
        student = parts[0] if len(parts) > 1 else \
            path.stem.replace(ch, "").strip("-_ ") or path.stem
        row = {"student": student, "chapter": ch}
        for r in grade_notebook(path, ch):
            if r.label not in columns:
                columns.append(r.label)
            points[r.label] = r.possible
            row[r.label] = "" if r.score is None else _tidy(r.score)
            notes.append({"student": student, "chapter": ch, "exercise": r.label,
                          "score": row[r.label], "possible": r.possible,
                          "message": r.message})  # fmt: skip
        scored = [v for k, v in row.items() if k not in ("student", "chapter") and v != ""]
        row["total"] = _tidy(sum(scored))
        rows.append(row)
    points["total"] = sum(v for v in points.values() if isinstance(v, (int, float)))
    table = pd.DataFrame([points, *rows], columns=[*columns, "total"], dtype=object).fillna("")
    table.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL)
    if feedback:
        pd.DataFrame(notes).to_csv(feedback, index=False)
    return table
