"""Grading with otter-grader's tests, without re-running the chapters.

``llmrec assign OUTDIR`` writes each chapter as an otter master notebook and runs
``otter assign`` on it (:mod:`.assign`): a student version with the public tests,
an autograder version with the solutions and the hidden tests.

``llmrec grade SUBMISSIONS --out grades.csv`` writes one row per student and
chapter and one column per exercise (:func:`grade_folder`):

1. The exercises are read from the chapters (:func:`exercises_of`, from
   :data:`NOTEBOOKS`: ``notebooks/`` of a clone, or ``--notebooks DIR``): an
   ``{exercise}`` block whose solution is followed by a call
   ``exercises.check_*(answer, ...)`` is a coding exercise worth
   :data:`POINTS`; one without is a discussion question, graded by hand (its
   column says ``manual`` in the chapter's points row and is empty below).
2. From a submission only the answer cells are taken (:func:`answer_cell`): the
   name graded is the one the student passed to the exercise's check, else the
   exercise's own (:func:`answer_name`); its last code cell that defines it
   (``def my_f(`` or ``x_answer =``), without calls to the checks, plus the
   statements of other cells that define names it uses. Other cells never run,
   so neither the chapters' heavy cells nor a ``try/except`` around a check matter.
3. Each answer runs in a fresh namespace holding the chapter's imports and the
   small data its check takes (``ratings``, ``items``, from the cache), within
   :data:`TIMEOUT` seconds; the checks are restored afterwards, so an answer
   that replaces one changes nothing.
4. Each coding exercise has test cases (:func:`grade_answer`): the public check
   (:func:`public_outcomes`: the chapter's check, one outcome per case through
   :func:`~.exercises.common.tally`) and hidden variants the student has not
   seen (:func:`hidden_outcomes`): the function on new random inputs, compared
   with the chapter's solution, or, for an answer that is a value, the answer
   cell run again on a random half of the data. 1 point is spread over the
   check's cases, 1 over the variants. The variants' inputs and the check's
   fresh cases are drawn from the instructor's secret (:func:`load_secret`), so
   the package does not reveal them and the same secret gives the same marks.
5. An answer that calls the package's own version of the exercise
   (:data:`PACKAGE_ANSWERS`) scores 0, with the reason in the feedback.

:func:`test_spec` writes the same cases as otter-grader tests (OK format), for
``llmrec assign`` and ``llmrec grade --tests DIR`` (:func:`write_tests`); otter
scores each as passed or failed. Taught in no chapter: see "Grading" in
``book/instructors.md``.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import csv
import functools
import hashlib
import importlib
import io
import json
import math
import os
import re
import secrets
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
from .exercises.common import STUB, ExerciseError, call, number, same, seeded, tally
from .student import notebooks_dir

try:  # the chapters: notebooks/ in a clone (may be absent; read only when grading)
    NOTEBOOKS = Path(notebooks_dir())
except Exception:  # noqa: BLE001 - no checkout: --notebooks DIR says where they are
    NOTEBOOKS = Path("notebooks")


POINTS = 2  # per coding exercise: 1 spread over the public check's cases, 1 over the variants


TIMEOUT = 60  # seconds per answer cell and per test case


MANUAL = "manual"


ANSWER_FILE = "<answer>"  # the file name a student's code is compiled under


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


def chapters() -> list[str]:
    """The chapters in :data:`NOTEBOOKS` (empty where that folder is absent)."""
    return sorted(p.stem for p in Path(NOTEBOOKS).glob("[0-9][0-9]_*.ipynb"))


_all_chapters = chapters  # for functions whose argument is called ``chapters``


def __getattr__(name: str):
    if name == "CHAPTERS":  # read when asked, so importing needs no notebooks
        return chapters()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def notebook_path(chapter: str | Path) -> Path:
    """``NOTEBOOKS/<chapter>.ipynb`` (or a path), or an error that says what to do."""
    path = Path(chapter) if str(chapter).endswith(".ipynb") else \
        Path(NOTEBOOKS) / f"{chapter}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(
            f"chapter notebook {path} not found: run llmrec grade from a clone of the "
            "repository or pass --notebooks DIR")
    return path


def exercises_of(chapter: str | Path) -> list[Exercise]:
    """The exercises of ``notebooks/<chapter>.ipynb`` (or a path), in order."""
    path = notebook_path(chapter)
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
    cells = json.loads(notebook_path(chapter).read_text())["cells"]
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
    import time

    start = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)  # an enclosing limit's time left
    if outer and outer < seconds:  # the enclosing limit comes first: keep it
        signal.setitimer(signal.ITIMER_REAL, outer)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer:  # give the enclosing limit back what it has left
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))


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


def run_cell(code: str, ns: dict, timeout: float | None = None,
             filename: str = ANSWER_FILE) -> dict:
    """Run ``code`` in the namespace ``ns`` (changed in place) within ``timeout``
    seconds (default :data:`TIMEOUT`), then restore the checks; return ``ns``.
    ``filename`` tells a student's code (:data:`ANSWER_FILE`) from the chapter's."""
    with _restored(), _time_limit(timeout or TIMEOUT):
        _quiet(exec, compile(code, filename, "exec"), ns)
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
        self._counts: dict[tuple, int | None] = {}

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
            ns = run_cell(ex.solution, self.namespace(ex), filename="<reference>")
            self._references[ex.label] = ns[ex.answer]
        return self._references[ex.label]

    def public_count(self, ex: Exercise) -> int | None:
        """How many cases the public check runs (the reference's tally); None if unknown."""
        key = (ex.label, _secret())
        if key not in self._counts:
            try:
                args = [self.data(n) for n in ex.data]
                with tally() as record, seeded(_seed(ex.check, "public")), \
                        _time_limit(TIMEOUT):  # fmt: skip
                    _quiet(getattr(exercises, ex.check), self.reference(ex), *args)
                self._counts[key] = len(record) or 1
            except Exception:  # noqa: BLE001 - e.g. no Spark: count what the answer runs
                self._counts[key] = None
        return self._counts[key]


_CONTEXT: Context | None = None


def context() -> Context:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = Context()
    return _CONTEXT


# --- the instructor's secret: where the hidden inputs and the checks' fresh cases come from --
SECRET_ENV = "LLMREC_GRADING_SECRET"


_SECRET: str | None = None  # while grading: the secret in use (see using_secret)


def secret_path() -> Path:
    """Where a secret made by the grader is kept: ``$XDG_CONFIG_HOME/llmrec/grading-secret``
    (default ``~/.config/llmrec/grading-secret``), outside the package."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "llmrec" / "grading-secret"


def load_secret(file: str | Path | None = None) -> str:
    """The grading secret: the contents of ``file`` if given, else the environment
    variable :data:`SECRET_ENV`, else :func:`secret_path` (created with a random
    secret the first time, said in one line on stderr, and reused after)."""
    if file is not None:
        text = Path(file).read_text().strip()
        if not text:
            raise ValueError(f"the secret file {file} is empty")
        return text
    if os.environ.get(SECRET_ENV, "").strip():
        return os.environ[SECRET_ENV].strip()
    path = secret_path()
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    print(f"llmrec grade: created a grading secret in {path} (keep it: the same secret "
          "gives the same marks)", file=sys.stderr)
    return path.read_text().strip()


@contextlib.contextmanager
def using_secret(secret: str):
    """Grade with ``secret`` inside (the hidden variants and the checks' fresh cases)."""
    global _SECRET
    saved, _SECRET = _SECRET, secret
    try:
        yield
    finally:
        _SECRET = saved


def _secret() -> str:
    return _SECRET if _SECRET is not None else load_secret()


def _seed(*parts) -> int:
    """A seed drawn from the secret and ``parts`` (an exercise, a variant)."""
    text = "\x1f".join([_secret(), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


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


def _mmr_args(rng):
    n, dim = int(rng.integers(2, 10)), int(rng.integers(2, 7))
    doc = rng.normal(size=dim)
    cands = (rng.normal(size=(n, dim)) + 0.5 * doc) * rng.uniform(0.3, 3.0, (n, 1))
    return doc, cands, int(rng.integers(1, n + 2)), float(np.round(rng.uniform(0, 1), 2))


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


_REPEATS = (1, 2, 3, 2, 4)  # how often the last block repeats in each variant of check_loops


def _loops_args(rng, which: int):
    """Token ids ending in a block repeated ``_REPEATS[which]`` times, after other ids."""
    period = int(rng.integers(1, 4))
    block = [int(x) for x in rng.integers(1, 5, period)]
    before = [int(x) for x in rng.integers(10, 20, rng.integers(0, 6))]  # never in a block
    return before + block * _REPEATS[which], int(rng.integers(period, 6))


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


def _swap_args(rng):
    """Positions picked (1 or 2) in both orders, some rejected (NaN), one pair valid."""
    n = int(rng.integers(4, 25))
    picks = rng.integers(1, 3, (2, n)).astype(float)
    picks[rng.random((2, n)) < 0.2] = np.nan
    picks[:, 0] = [1.0, 2.0]
    return picks[0], picks[1]


# check -> (arguments from a random generator, what to compare of the output)
VARIANTS: dict[str, tuple[Callable, Callable]] = {
    "check_validate": (_frame, len),  # one variant per way of breaking the contract
    "check_recall": (_recall_args, float),
    "check_augmented_set": (_reviews_args, ch06.pairs),
    "check_augmentation_effect": (_effect_args, lambda out: np.array(ch06.bounds(out))),
    "check_leave_last_out": (_log, lambda out: (_pairs(out[1]), _pairs(out[0]))),
    "check_mean_pool": (_mean_pool_args, lambda out: np.asarray(out, float)),
    "check_macro_f1": (lambda rng: tuple(rng.integers(0, 4, (2, 25))), float),
    "check_mmr": (_mmr_args, lambda out: [int(i) for i in np.ravel(np.asarray(out))]),
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
    "check_loops": (_loops_args, bool),  # one variant per number of repeats
    "check_crossover": (_crossover_args, float),
    "check_gated_blend": (_gated_args, lambda out: np.asarray(out, float)),
    "check_fetch_depth": (_seen_args, int),
    "check_fm_pairwise": (_fm_args, lambda out: np.ravel(np.asarray(out, float))),
    "check_warp_weight": (_warp_args, lambda out: np.ravel(np.asarray(out, float))),
    "check_loo_share": (_loo_args, lambda out: np.ravel(np.asarray(out, float))),
    "check_swap_consistency": (_swap_args, float),
}


N_VARIANTS = 5


def _agree(got, want) -> bool:
    if isinstance(want, (np.ndarray, float)):
        return same(got, want)  # inf equals inf
    return got == want


def _outcome(fn: Callable, args: tuple, key: Callable):
    """What to compare of ``fn(*args)``: ``key`` of the output, or that it raised ValueError."""
    try:
        out = fn(*copy.deepcopy(args))  # a copy: an answer may change its inputs in place
    except ValueError:
        return "ValueError"
    return key(out)


def n_variants(ex: Exercise) -> int:
    """How many hidden variants an exercise has (0: none, e.g. Spark's top-k)."""
    if ex.data:
        return 2
    if ex.check == "check_sign_flip":
        return len(_SHIFTS)
    if ex.check == "check_validate":
        return len(_BREAKS)
    return N_VARIANTS if ex.check in VARIANTS else 0


def variant_args(ex: Exercise, i: int) -> tuple:
    """The inputs of hidden variant ``i`` of a function exercise, drawn from the secret."""
    make, _ = VARIANTS[ex.check]
    rng = np.random.default_rng(_seed(ex.label, "variant", i))
    return make(rng, i) if ex.check in ("check_validate", "check_loops") else make(rng)


def _function_variants(ex: Exercise, fn: Callable) -> list[str | None]:
    reference = context().reference(ex)
    _, key = VARIANTS[ex.check]
    n, out = n_variants(ex), []
    for i in range(n):
        args = variant_args(ex, i)
        want = _outcome(reference, args, key)
        try:
            got = _outcome(fn, args, key)
        except NotImplementedError:
            out.append(STUB)
            continue
        except _Timeout:
            raise
        except Exception as exc:  # noqa: BLE001 - a crash or a wrong type of output
            out.append(f"variant {i + 1} of {n}: {type(exc).__name__} (a crash, or an "
                       "output of the wrong form).")  # fmt: skip
            continue
        right = isinstance(want, str) == isinstance(got, str) and _agree(got, want)
        out.append(None if right else f"variant {i + 1} of {n}: the answer differs from "
                                      "the reference.")  # fmt: skip
    return out


_SHIFTS = (0.35, -0.1, 0.0)  # the mean of the differences, over their spread (one per variant)


def _sign_flip_variants(ex: Exercise, fn: Callable) -> list[str | None]:
    reference, out = context().reference(ex), []
    for i, shift in enumerate(_SHIFTS):
        diffs = np.random.default_rng(_seed(ex.label, "variant", i)).normal(shift, 1.0, 70)
        try:
            p = number(call(fn, diffs.copy(), 2999, 3), "p")
        except ExerciseError as exc:
            out.append(f"variant {i + 1} of {len(_SHIFTS)}: {exc}")
            continue
        want = reference(diffs, 40_000, 1)
        out.append(None if abs(p - want) <= 0.02 + 0.1 * want else
                   f"variant {i + 1} of {len(_SHIFTS)}: the p-value is off.")  # fmt: skip
    return out


def _value_variants(ex: Exercise, env: dict) -> list[str | None]:
    name = env.get("__answer_names__", {}).get(ex.label, ex.answer)
    code = answer_code(ex, env)
    if code is None:
        return ["the answer cell was not found."] * n_variants(ex)
    tree = _parse(code)  # a cell that loads `ratings` itself gets the half instead
    kept = [n for n in tree.body if not any(_defines_one(n, d) for d in ex.data)]
    code = ast.unparse(ast.Module(body=kept, type_ignores=[]))
    out = []
    for i in range(n_variants(ex)):
        seed = _seed(ex.label, "half", i) % 2**32
        half = {name: context().data(name).sample(frac=0.5, random_state=seed)
                for name in ex.data}  # fmt: skip
        try:
            ns = run_cell(code, context().namespace(ex, half))
        except _Timeout:
            raise
        except Exception as exc:  # noqa: BLE001
            out.append(f"variant {i + 1}: the cell raised {type(exc).__name__} on other data.")
            continue
        if name not in ns:
            out.append(f"variant {i + 1}: {name} is not defined.")
            continue
        try:
            with seeded(_seed(ex.check, "half", i)):
                _quiet(getattr(exercises, ex.check), ns[name], *(half[n] for n in ex.data))
            out.append(None)
        except ExerciseError:
            out.append(f"variant {i + 1}: on a random half of the data the answer is wrong "
                       "(a number typed in?).")  # fmt: skip
    return out


# --- answers that call the package's own version of the exercise -------------------------
# check -> the package functions that implement what the exercise asks the student to write
# ("module:function", or "module:Class.method"); an answer that calls one scores 0
PACKAGE_ANSWERS: dict[str, tuple[str, ...]] = {
    "check_validate": ("llmrec_utils.data.loaders:validate_ratings",),
    "check_recall": ("llmrec_utils.evaluation.metrics:recall_at_k",),
    "check_leave_last_out": ("llmrec_utils.data.splits:temporal_split",),
    "check_mean_pool": ("llmrec_utils.text.embeddings:mean_pool",),
    "check_macro_f1": ("llmrec_utils.evaluation.metrics:macro_f1",),
    "check_mmr": ("llmrec_utils.text.keywords:mmr",),
    "check_align_labels": ("llmrec_utils.text.ner:align_labels",),
    "check_entity_f1": ("llmrec_utils.text.ner:entity_counts", "llmrec_utils.text.ner:entity_scores",
                        "llmrec_utils.text.ner:micro_f1"),
    "check_spans": ("llmrec_utils.text.ner:spans",),
    "check_sgd_step": ("llmrec_utils.models.mf:gradients", "llmrec_utils.models.mf:BiasedMF._sgd_epoch"),
    "check_als_user": ("llmrec_utils.models.mf:als_half_step",),
    "check_ease": ("llmrec_utils.models.mf:EASE._fit",),
    "check_zscore_rows": ("llmrec_utils.models.hybrid:zscore_rows",),
    "check_content_scores": ("llmrec_utils.models.hybrid:ContentModel._fit",),
    "check_gated_blend": ("llmrec_utils.models.hybrid:GatedBlend.content_weight",),
    "check_loops": ("llmrec_utils.text.llm:_JSONStop._loops",),
    "check_augmented_set": ("llmrec_utils.chapters.augmentation:augmented_training_set",),
    "check_fm_pairwise": ("llmrec_utils.ctr.nets:pairwise_interaction",
                          "llmrec_utils.ctr.nets:fm_interaction"),
    "check_warp_weight": ("llmrec_utils.models.feature_mf:warp_weights",),
    "check_loo_share": ("llmrec_utils.ctr.tasks:_profile",),
    "check_ndcg": ("llmrec_utils.evaluation.metrics:ndcg_at_k",),
    "check_novelty": ("llmrec_utils.evaluation.metrics:novelty",),
    "check_sign_flip": ("llmrec_utils.evaluation.uncertainty:compare",),
    "check_swap_consistency": ("llmrec_utils.chapters.judging:swap_consistency",),
    "check_spark_top_k": ("llmrec_utils.models.spark_als:SparkALS.recommend_frame",),
}  # fmt: skip


def _called_from_answer() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == ANSWER_FILE:
            return True
        frame = frame.f_back
    return False


class _Watch:
    """Which of the exercise's package functions the answer called (while ``on``)."""

    def __init__(self):
        self.on, self.called = False, []
        self.package: dict[int, str] = {}  # id of each original and spy -> its name

    def spy(self, original: Callable, name: str) -> Callable:
        @functools.wraps(original)
        def spy(*args, **kwargs):
            if self.on and name not in self.called and _called_from_answer():
                self.called.append(name)
            return original(*args, **kwargs)

        self.package.update({id(original): name, id(spy): name})
        return spy

    def answer_is_package(self, answer) -> None:
        """Note an answer that *is* one of the functions (an alias, a partial)."""
        while answer is not None:
            name = self.package.get(id(getattr(answer, "__func__", answer)))
            if name is not None:
                if name not in self.called:
                    self.called.append(name)
                return
            answer = getattr(answer, "func", None)  # functools.partial


@contextlib.contextmanager
def _watching(ex: Exercise, ns: dict):
    """Replace the package functions that implement ``ex`` (:data:`PACKAGE_ANSWERS`),
    wherever the package or ``ns`` holds them, by spies that note a call made from
    the student's code; yield the :class:`_Watch`."""
    watch, undo = _Watch(), []
    for spec in PACKAGE_ANSWERS.get(ex.check or "", ()):
        module_name, _, attr = spec.partition(":")
        owner_name, _, name = attr.rpartition(".")
        try:
            module = importlib.import_module(module_name)
            owner = getattr(module, owner_name) if owner_name else module
            original = vars(owner)[name]
        except (ImportError, AttributeError, KeyError):  # e.g. no pyspark: nothing to call
            continue
        if owner_name:  # a method
            undo.append((owner, name, original))
            setattr(owner, name, watch.spy(original, f"{module_name}.{attr}"))
            continue
        spy = watch.spy(original, f"{module_name}.{attr}")
        for mod in list(sys.modules.values()):
            if getattr(mod, "__name__", "").split(".")[0] != "llmrec_utils":
                continue
            for key, value in list(vars(mod).items()):
                if value is original:
                    undo.append((mod, key, original))
                    setattr(mod, key, spy)
        for key, value in list(ns.items()):
            if value is original:
                ns[key] = spy
    try:
        yield watch
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)


# --- the tests, called from otter's test files ------------------------------------------
_EXERCISES: dict[tuple[str, str], tuple[Exercise, ...]] = {}


def _exercises(chapter: str) -> tuple[Exercise, ...]:
    key = (str(NOTEBOOKS), chapter)
    if key not in _EXERCISES:
        _EXERCISES[key] = tuple(exercises_of(chapter))
    return _EXERCISES[key]


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


def _failure(exc: BaseException) -> str:
    if isinstance(exc, ExerciseError):
        return str(exc)
    if isinstance(exc, _Timeout):
        return f"The answer {exc}."
    return f"{type(exc).__name__}: {exc}"


def _verdict(outcomes: list[str | None]) -> bool | str:
    """True if every case is right, else the first hint (otter shows it in the failure)."""
    return next((o for o in outcomes if o is not None), True)


def public_outcomes(check: str, answer: str, data: list[str], env: dict,
                    n_cases: int | None = None) -> list[str | None]:
    """One outcome per case of ``exercises.<check>(env[answer], *data)``: None if
    right, else the hint. The check's fresh random cases are drawn from the secret.

    A check that runs its cases through :func:`~.exercises.common.over` gives one
    outcome per case (:func:`~.exercises.common.tally`); one that does not counts as
    one case. A failure outside the cases (a crash, the time limit) makes every
    case not recorded wrong (``n_cases``: how many the check runs, if known).
    """
    if answer not in env:
        return [f"{answer} is not defined: the answer is missing or its cell fails."] * \
            (n_cases or 1)
    args = [env[n] if n in env else context().data(n) for n in data]
    escaped = None
    # grading: the fresh cases from the secret; a student's own run (otter's
    # grader.check): fresh ones, and no secret looked for
    grading = _SECRET is not None or os.environ.get(SECRET_ENV, "").strip()
    with tally() as record, \
            seeded(_seed(check, "public")) if grading else contextlib.nullcontext():
        try:
            with _time_limit(TIMEOUT):
                if check == "check_spark_top_k":  # the check uses the active session
                    from ..models.spark_als import session

                    _quiet(session, "llmrec-grading")
                _quiet(getattr(exercises, check), env[answer], *args)
        except Exception as exc:  # noqa: BLE001 - any failure is a hint
            escaped = _failure(exc)
    outcomes = list(record)
    if escaped is not None:
        outcomes += [escaped] * max(1, (n_cases or 0) - len(outcomes))
    return outcomes or [None]


def public(check: str, answer: str, data: list[str], env: dict) -> bool | str:
    """``exercises.<check>(env[answer], *data)``, as the chapter calls it.

    Needs only the package (not the chapters), so it also runs in a student's
    notebook: ``grader.check`` in otter's student copy calls it.
    """
    return _verdict(public_outcomes(check, answer, data, env))


def hidden_outcomes(ex: Exercise, env: dict) -> list[str | None]:
    """One outcome per hidden variant (see the module docstring): None if right."""
    name = env.get("__answer_names__", {}).get(ex.label, ex.answer)
    n = n_variants(ex)
    if name not in env:
        return [f"{name} is not defined: the answer is missing or its cell fails."] * n
    try:
        with _time_limit(TIMEOUT):
            if ex.data:
                return _value_variants(ex, env)
            if ex.check == "check_sign_flip":
                return _sign_flip_variants(ex, env[name])
            return _function_variants(ex, env[name])
    except Exception as exc:  # noqa: BLE001 - the time limit, or the reference failing
        return [_failure(exc)] * n


def hidden(chapter: str, label: str, env: dict) -> bool | str:
    """Variants the student has not seen (see the module docstring)."""
    return _verdict(hidden_outcomes(find(chapter, label), env))


def test_spec(ex: Exercise) -> dict:
    """The otter-grader test file (OK format) of a coding exercise.

    otter's runner scores a case as passed or failed, so under otter (the
    autograder notebook of ``llmrec assign``) each case is all or nothing;
    ``llmrec grade`` (:func:`grade_answer`) splits each case's point over its cases.
    """
    public_call = f"public({ex.check!r}, {ex.answer!r}, {ex.data!r}, globals())"
    cases = [{"code": f">>> from llmrec_utils.course import grading\n>>> grading.{public_call}\nTrue",
              "hidden": False, "points": 1}]  # fmt: skip
    if n_variants(ex):
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
    for chapter in chapters or _all_chapters():
        for ex in exercises_of(chapter):
            if not ex.manual:
                path = folder / f"{ex.label}.py"
                path.write_text(f"test = {test_spec(ex)!r}\n")
                written.append(path)
    return written


# --- grading a submission and a folder ----------------------------------------------------
@dataclass
class Result:
    label: str
    score: float | None  # None for a discussion question
    possible: int | str
    message: str = ""
    answer: str = ""  # the name graded
    public: tuple[int, int] = (0, 0)  # (right, cases) of the public check
    hidden: tuple[int, int] = (0, 0)  # (right, variants)
    flagged: tuple[str, ...] = ()  # the package functions the answer called


def _otter(module: str):
    """``otter.<module>``, or an error that says how to install otter-grader."""
    try:
        return importlib.import_module(f"otter.{module}")
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "Grading needs otter-grader: pip install 'llmrec-utils[grading]' "
            "(or pip install otter-grader); `make` installs it in .venv."
        ) from error


def answer_name(cells: list, ex: Exercise) -> tuple[str, str]:
    """The name to grade and how it was found: the first argument of the last call
    ``exercises.<check>(name, ...)`` in the notebook whose name a cell defines, else
    the exercise's own name."""
    trees = [t for c in cells if c.get("cell_type") == "code" and (t := _parse(_source(c)))]
    passed = None
    for tree in trees:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == ex.check):  # fmt: skip
                first = node.args[0] if node.args else \
                    (node.keywords[0].value if node.keywords else None)
                if isinstance(first, ast.Name) and any(_defines(t, first.id) for t in trees):
                    passed = first.id
    if passed is not None:
        return passed, f"the name passed to exercises.{ex.check}"
    return ex.answer, "the exercise's name"


def grade_answer(cells: list, ex: Exercise) -> Result:
    """Grade one coding exercise of a submission (its cells), case by case.

    :data:`POINTS` - 1 point is spread evenly over the public check's cases and 1
    over the hidden variants (all :data:`POINTS` over the check's cases where there
    are no variants). An answer that calls the package's own version of the
    exercise (:data:`PACKAGE_ANSWERS`) scores 0.
    """
    env = context().namespace(ex)
    name, how = answer_name(cells, ex)
    notes = [f"graded {name} ({how})"]
    code = answer_cell(cells, name, known=set(env), check=f"exercises.{ex.check}(")
    with _watching(ex, env) as watch:
        if code is None:
            notes.append(f"no cell defines {name}")
        else:
            try:  # what the cell defined before it failed stays, as in Jupyter
                run_cell(code, env)
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure is a note
                notes.append(f"the answer cell raised {type(exc).__name__}: {exc}")
        env["__answer_cells__"] = {ex.label: code}
        env["__answer_names__"] = {ex.label: name}
        watch.answer_is_package(env.get(name))
        watch.on = True
        with _restored():  # the answer runs again inside the tests
            pub = public_outcomes(ex.check, name, ex.data, env, context().public_count(ex))
            hid = hidden_outcomes(ex, env) if n_variants(ex) else []
        watch.on = False
    right = (sum(o is None for o in pub), len(pub))
    variants = (sum(o is None for o in hid), len(hid))
    result = Result(ex.label, 0.0, POINTS, answer=name, public=right, hidden=variants,
                    flagged=tuple(watch.called))  # fmt: skip
    if watch.called:
        notes.append(f"0 points: the answer calls {', '.join(watch.called)}, the package's own "
                     "version of what this exercise asks you to write")
        result.message = "; ".join(notes)
        return result
    if hid:
        result.score = (POINTS - 1) * right[0] / right[1] + variants[0] / variants[1]
    else:
        result.score = POINTS * right[0] / right[1]
    notes.append(f"public check: {right[0]} of {right[1]} cases right")
    if hid:
        notes.append(f"hidden variants: {variants[0]} of {variants[1]} right")
    result.message = "; ".join(dict.fromkeys(notes + _grouped([*pub, *hid])))
    return result


_VARIANT_RE = re.compile(r"^variant (\d+)(?: of (\d+))?: ")


def _grouped(outcomes: list[str | None]) -> list[str]:
    """The hints, each once: ``variant 1, 3 of 5: <hint>`` for a hint several variants share."""
    variants: dict[str, list[str]] = {}
    total: dict[str, str] = {}
    for hint in (o for o in outcomes if o is not None):
        m = _VARIANT_RE.match(hint)
        text = hint[m.end():] if m else hint
        variants.setdefault(text, [])
        if m:
            variants[text].append(m[1])
            total[text] = f" of {m[2]}" if m[2] else ""
    return [f"variant {', '.join(dict.fromkeys(v))}{total[t]}: {t}" if v else t
            for t, v in variants.items()]


def grade_notebook(path: str | Path, chapter: str) -> list[Result]:
    """Grade one submitted notebook of ``chapter``, exercise by exercise."""
    cells = json.loads(Path(path).read_text())["cells"]
    return [Result(ex.label, None, MANUAL) if ex.manual else grade_answer(cells, ex)
            for ex in _exercises(chapter)]  # fmt: skip


def _tidy(x: float) -> float | int:
    x = round(float(x), 3)
    return int(x) if x.is_integer() else x


def chapter_of(path: Path) -> str | None:
    """The chapter a submission belongs to, from its file name (``01_data``, ``01-...``)."""
    known = chapters()
    if not known:
        raise FileNotFoundError(f"no chapter notebooks in {NOTEBOOKS}: run llmrec grade from a "
                                "clone of the repository or pass --notebooks DIR")
    m = re.search(r"(?<!\d)(\d\d)[_-]", path.name)
    return next((c for c in known if m and c.startswith(m[1] + "_")), None)


def grade_folder(folder: str | Path, out: str | Path, chapter: str | None = None,
                 feedback: str | Path | None = None, secret: str | None = None) -> pd.DataFrame:
    """Grade every ``.ipynb`` under ``folder`` into ``out`` (CSV); return the table.

    The student is the notebook's first folder under ``folder`` if it has one,
    else the file name without the chapter. First come the ``(points)`` rows, one
    per chapter graded: each exercise's points (``manual`` for a discussion
    question) and the chapter's total. ``feedback``, if given, gets one row per
    student and exercise with the name graded, the cases right and the hints.
    ``secret`` (default: :func:`load_secret`) draws the hidden variants.
    """
    folder = Path(folder)
    with using_secret(secret if secret is not None else load_secret()):
        return _grade_folder(folder, out, chapter, feedback)


def _grade_folder(folder: Path, out, chapter, feedback) -> pd.DataFrame:
    rows, notes, columns = [], [], ["student", "chapter"]
    points: dict[str, dict] = {}  # chapter -> its (points) row
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
        possible = points.setdefault(ch, {"student": "(points)", "chapter": ch})
        for r in grade_notebook(path, ch):
            if r.label not in columns:
                columns.append(r.label)
            possible[r.label] = r.possible
            row[r.label] = "" if r.score is None else r.score
            notes.append({"student": student, "chapter": ch, "exercise": r.label,
                          "score": "" if r.score is None else _tidy(r.score),
                          "possible": r.possible, "answer": r.answer,
                          "public": "" if r.score is None else f"{r.public[0]}/{r.public[1]}",
                          "hidden": "" if r.score is None or not r.hidden[1]
                          else f"{r.hidden[0]}/{r.hidden[1]}",
                          "message": r.message})  # fmt: skip
        scored = [v for k, v in row.items() if k not in ("student", "chapter") and v != ""]
        row = {k: _tidy(v) if isinstance(v, float) else v for k, v in row.items()}
        row["total"] = _tidy(sum(scored))
        rows.append(row)
    for row in points.values():
        row["total"] = sum(v for v in row.values() if isinstance(v, (int, float)))
    header = [points[c] for c in sorted(points)]
    table = pd.DataFrame([*header, *rows], columns=[*columns, "total"], dtype=object).fillna("")
    table.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL)
    if feedback:
        pd.DataFrame(notes).to_csv(feedback, index=False)
    return table
