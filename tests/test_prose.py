"""Every result number in the prose is computed, not typed.

The preface promises that every number in the book comes from the code on its
page. This test reads every markdown cell of every chapter and every page of the
book (the files `_toc.yml` lists) and fails, naming the page and the cell, on a
*result-looking* number that is typed by hand: a decimal (``0.325``), a
percentage (``12%``), a multiple (``3x``, ``3×``, ``3-fold``), a ratio
(``3:1``), or a multiple in words ("doubles", "about half", "four times more").

A number is allowed when it is

* glued from a variable (``{glue:text}`key:.3f```, ``{glue}`key```),
* in maths (``$...$``, ``$$...$$``, ``{math}```), in code (inline code spans,
  fenced blocks, ``{code-cell}`` blocks), or in a citation, link target or
  directive option, or
* a setting or a dataset fact named in ``ALLOWED`` below, each with its reason.

Integers are not flagged: they are counts and settings (100,000 ratings, k = 10,
five folds); a result is a rate, a score, a share or a multiple.

A second pair of tests checks that a *verdict* in the prose follows its interval,
not the sign of a point estimate. Glue keys follow one convention: a key ending
in ``_ci``, ``_diff`` or ``_gap`` (optionally followed by ``_low`` or ``_high``
for one bound) holds an interval or a paired difference, and a key ending in
``_verdict`` holds the words ``evaluation.verdict(cmp, higher, lower, tied)``
returned for it. A chapter's sentence that glues an interval or a difference and
says which way it goes ("better", "worse", "beats", "ahead", "tied", "below
zero", ...) must also glue a verdict, or follow code cells that assert the exact
condition (``c.low > 0``, ``c.high < 0``, ``c.low <= 0 <= c.high``). And no
assert in a chapter decides a direction by the sign of a point estimate
(``c.estimate > 0``, ``c.diff < 0``) or reads "contains zero" off the width of
an interval (``c.high - c.low > abs(c.estimate)``).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# A result-looking number: a decimal, a percentage, a multiple or a ratio.
NUMBER = re.compile(
    r"(?<![\w.])(?:"
    r"\d*\.\d+(?:\s?(?:%|x\b|×|-fold))?"    # 0.325, .5, 1.2x
    r"|\d+(?:,\d{3})*\s?(?:%|x\b|×|-fold)"  # 12%, 3x, 3×, 10-fold
    r"|\d+:\d+"                             # 3:1
    r")"
)

# A multiple or share in words, which a result changes just as it changes a number.
WORDS = re.compile(
    r"\b(?:twice (?:as|the)|doubles|doubled|halves (?:the|its)|halved|about half|severalfold|"
    r"an order of magnitude|(?:two|three|four|five|six|seven|eight|nine|ten|several|many) times "
    r"(?:more|less|fewer|as|the|faster|slower|higher|lower|larger|smaller|better|worse))\b",
    re.IGNORECASE)

# Settings and dataset facts a page may type, as (regular expression that must
# match the number with its context, reason). Kept short on purpose: a result
# never belongs here.
ALLOWED = [
    (r"(?:[Ee]xercise|[Ss]ection|[Cc]hapter|§|[Gg]uideline|[Tt]able|[Ff]igure|[Ee]quation|[Ss]tep)s?\s+\d+\.\d+",
     "a numbered part of the book, the seed article or the guideline"),
    (r"(?:[Vv]ersion|v|Python|Java|Spark|PySpark|pandas|numpy|NumPy|torch|PyTorch|transformers|"
     r"scikit-learn|sklearn|Jupyter Book|jupyter-book|otter-grader|nbval|Surprise|implicit|"
     r"lightfm-next|lightfm|deepctr-torch|peft|datasets|sentence-transformers|Colab|CUDA|"
     r"template|MovieLens|ML|Llama|Qwen|Qwen2|SmolLM2|Mistral|GPT|gpt|Phi)[- ]?\d+(?:\.\d+)+(?:\.x)?",
     "a software, model or dataset version"),
    (r"\b\d+\.\d+(?:\.\d+)*\.x\b|\b\d+\.x\b", "a version range such as 1.x"),
    (r"\d+(?:\.\d+)?\s*(?:M|B|GB|GiB|MB|MiB|KB|kB)\b", "a model or file size"),
    (r"\d+\.\d+\s*(?:M|B)(?:-parameter)?", "a model size"),
    (r"(?:rating|ratings|star|stars|score of|scores of|threshold|rating of)\s*(?:>=|≥|>|of)?\s*\d+\.\d+",
     "a rating threshold on MovieLens' 1-5 scale (a setting)"),
    (r"(?:lr|learning rate|λ|lambda|alpha|α|dropout|weight decay|temperature|top-p|"
     r"top_p|margin|momentum|regularisation|regularization)\s*(?:=|of)?\s*\d*\.\d+(?:e-?\d+)?",
     "a hyper-parameter setting"),
    (r"\d+:\d{2}\b(?!\d)", "a time of day or duration (h:mm)"),
    (r"\d+-fold (?:cross-validation|protocol)", "the number of folds (a setting)"),
    (r"(?:random|held-out|held out|holdout)\s+\d+\s?%|\d+\s?%\s+(?:of (?:the )?(?:films|items|users|ratings|it\b)|"
     r"holdout|held|of each user)", "the size of a split (a setting)"),
    (r"\d+%(?:,\s*\d+%)*,?\s*and\s+\d+%\s+of\s+MovieLens", "the data fractions of a scaling run (a setting)"),
    (r"prun[\w\s-]*?\d+\s?%", "the share a denoising step prunes (a setting)"),
    (r"\b\d+\.\d+\+", "a minimum version such as Python 3.10+"),
    (r"Apache-2\.0|CC[- ]BY(?:-\w+)*[- ]\d\.\d", "a licence"),
    (r"twice as many partitions", "Spark's default (a setting)"),
    (r"cosine at least \d*\.\d+", "the GPU check's tolerance (a setting)"),
    (r"(?:80|90|70|60)\s*%\s*(?:/|of the|train|for training)", "a split proportion (a setting)"),
    (r"(?:80|90|95|99)\s*%\s*(?:confidence|interval|bootstrap|CI)", "a confidence level (a setting)"),
    (r"kappa\s+above\s+0\.8\s+is\s+conventionally\s+read\s+as\s+almost\s+perfect",
     "the conventional reading ({cite}`landis1977measurement`) of Cohen's kappa (a convention, not a result)"),
]

_SKIP_BLOCKS = [
    re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.S | re.M),  # fenced code / directives with code
    re.compile(r"\$\$.*?\$\$", re.S),                                  # display maths
    re.compile(r"(?<!\\)\$[^$\n]+?(?<!\\)\$"),                         # inline maths
    re.compile(r"\{(?:glue|glue:\w+|math|cite|cite:\w+|eq|ref|numref|doc|download)\}`[^`]*`"),
    re.compile(r"(`+)[^`]*?\1"),                                       # inline code
    re.compile(r"\]\([^)]*\)"),                                        # link targets
    re.compile(r"<[^>\n]+>"),                                          # html tags, autolinks
    re.compile(r"^:[\w-]+:.*$", re.M),                                 # directive options
    re.compile(r"https?://\S+"),
    re.compile(r"^\s*[-*]?\s*\[?@?\w+\]?:\s*https?://.*$", re.M),
]


def _pages() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", []))
    out = []
    for f in files:
        for ext in (".ipynb", ".md"):
            if (ROOT / (f + ext)).exists():
                out.append(ROOT / (f + ext))
                break
    return out


def _markdown_blocks(path: Path) -> list[tuple[str, str]]:
    """``(where, text)`` for each markdown cell of a notebook, or the page's prose."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        return [(f"cell {i}", "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    text = path.read_text()
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # front matter (jupytext)
    return [("page", text)]


def _strip(text: str) -> str:
    text = re.sub(r"\{term\}`([^`<]*?)\s*(?:<[^>`]*>)?`", r"\1", text)  # a glossary link: its text
    for pattern in _SKIP_BLOCKS:
        text = pattern.sub(" ", text)
    return text


def typed_numbers(text: str) -> list[str]:
    """The result-looking numbers of a markdown text that nothing allows, with context."""
    text = _strip(text)
    allowed_spans = []
    for pattern, _ in ALLOWED:
        allowed_spans += [m.span() for m in re.finditer(pattern, text)]
    found = []
    for m in [*NUMBER.finditer(text), *WORDS.finditer(text)]:
        if any(a <= m.start() and m.end() <= b for a, b in allowed_spans):
            continue
        start, end = max(0, m.start() - 40), min(len(text), m.end() + 40)
        found.append(" ".join(text[start:end].split()))
    return found


def test_detector_finds_results_and_allows_settings():
    flagged = typed_numbers("NDCG@10 is 0.325, 12% better, 3x faster, 3-fold, a 3:1 split, "
                            "four times the chance level, it doubles")
    assert len(flagged) == 7
    fine = (
        "Glued {glue:text}`ndcg:.3f`, maths $0.5 x$, code `lr=0.001`, Exercise 4.2, "
        "transformers 4.57, jupyter-book 1.x, a 135M model of 0.27 GB, ratings >= 4.0, "
        "learning rate 0.001, a 95% interval, 100,000 ratings and k = 10 {cite}`hu2008`."
    )
    assert typed_numbers(fine) == []


@pytest.mark.parametrize("path", _pages(), ids=lambda p: p.name)
def test_no_typed_result_numbers(path):
    problems = [f"{path.name} {where}: ...{hit}..."
                for where, text in _markdown_blocks(path) for hit in typed_numbers(text)]
    assert not problems, (
        "result numbers typed by hand (glue them from the cell that computes them, "
        "reword, or add a setting to ALLOWED in tests/test_prose.py with its reason):\n"
        + "\n".join(problems))


# --- verdicts follow intervals ---------------------------------------------------

# A glue key that holds an interval or a paired difference (or one of its bounds),
# and one that holds the verdict evaluation.verdict read off an interval.
INTERVAL_KEY = re.compile(r"_(?:ci|diff|gap)(?:_low|_high)?$")
VERDICT_KEY = re.compile(r"_verdict$")
_GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)(?::[^`]*)?`")

# Words that say which way a comparison goes (or that it goes nowhere).
DIRECTION = re.compile(
    r"\b(?:better|worse|higher|lower|beats?|beaten|beating|ahead|behind|"
    r"outperforms?|improves?|improved|improving|helps?|helped|hurts?|"
    r"significant(?:ly)?|tied|ties|more accurate|less accurate|"
    r"(?:above|below|excludes?|contains?|includes?|straddles?) zero|within the noise|"
    r"no (?:\w+ ){0,3}(?:that )?its (?:paired )?interval can tell)\b",
    re.IGNORECASE)

# The exact conditions, as ast.unparse writes an assert's test.
_ZERO = r"0(?:\.0+)?(?![\d.])"
EXACT_CONDITION = re.compile(
    rf"\.low > {_ZERO}|\.high < {_ZERO}|"
    rf"\blow\w* <=? {_ZERO} <=? \S*\bhigh\b|\.low <=? {_ZERO} <=? \S*\.high\b")

# Asserts that decide a direction from a point estimate, or "contains zero"
# from an interval's width.
_POINT = r"\.(?:estimate|diff)\b"
POINT_VERDICT = re.compile(
    rf"{_POINT} [<>]=? {_ZERO}|(?<![\w.]){_ZERO} [<>]=? [\w\[\]'\".()]*?{_POINT}(?! [-+*/])|"
    r"high\w* - \S*low\w* > abs\(")


def _code_asserts(code: str) -> list[str]:
    """The test of every assert statement in a code cell, as ast.unparse writes it
    (IPython magics and shell lines become ``pass`` first)."""
    lines = [re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in code.splitlines()]
    tree = ast.parse("\n".join(lines))
    return [ast.unparse(node.test) for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def point_verdicts(code: str) -> list[str]:
    """The asserts of a code cell that read a verdict off a point estimate's sign or
    off an interval's width instead of off its bounds."""
    return [test for test in _code_asserts(code) if POINT_VERDICT.search(test)]


def has_exact_condition(code: str) -> bool:
    """Whether a code cell asserts a verdict's exact condition on an interval."""
    return any(EXACT_CONDITION.search(test) for test in _code_asserts(code))


def _sentences(text: str) -> list[str]:
    """The sentences (and list items) of a markdown text; glue roles become
    ``⟦key⟧`` so that their backticks and format specs survive the stripping."""
    text = _GLUE_ROLE.sub(lambda m: f" ⟦{m.group(1).strip()}⟧ ", text)
    text = _strip(text)
    units = re.split(r"\n\s*\n|\n\s*(?:[-*]|\d+\.)\s+", text)
    out = []
    for unit in units:
        out += re.split(r"(?<=[.!?])\s+(?=[A-Z⟦*(_])", " ".join(unit.split()))
    return [s for s in out if s.strip()]


def unchecked_verdicts(markdown: str, code_before: str = "") -> list[str]:
    """Sentences that glue an interval or a difference and state its direction,
    with neither a glued verdict nor an exact-condition assert in ``code_before``
    (the code cells right before the markdown cell)."""
    asserted = has_exact_condition(code_before) if code_before else False
    found = []
    for sentence in _sentences(markdown):
        keys = re.findall(r"⟦([^⟧]+)⟧", sentence)
        if not any(INTERVAL_KEY.search(k) for k in keys):
            continue
        if not DIRECTION.search(re.sub(r"⟦[^⟧]+⟧", " ", sentence)):
            continue
        if any(VERDICT_KEY.search(k) for k in keys) or asserted:
            continue
        found.append(sentence)
    return found


def _chapters() -> list[Path]:
    return [p for p in _pages() if p.suffix == ".ipynb"]


def _cells(path: Path) -> list[tuple[str, str]]:
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads(path.read_text())["cells"]]


def test_verdict_detector_wants_a_glued_verdict_or_an_exact_assert():
    typed = ("Ours beats SVD (a paired difference of {glue:text}`ch4_vs_svd_diff:+.4f`, "
             "interval [{glue:text}`ch4_vs_svd_diff_low:+.4f`, "
             "{glue:text}`ch4_vs_svd_diff_high:+.4f`]). The table lists the rest.")
    assert len(unchecked_verdicts(typed)) == 1
    assert len(unchecked_verdicts(typed, "c = compare(a, b)\nassert c.diff > 0\n")) == 1
    assert len(unchecked_verdicts(typed, "assert both.low < 0  # one bound\n")) == 1
    tied = "The two are tied ({glue:text}`ch8_gap:+.3f`), no difference its interval can tell."
    assert unchecked_verdicts(tied, "assert c.low < 0\n")  # one bound, not 'contains zero'
    assert unchecked_verdicts(tied, "assert c.low <= 0 <= c.high\n") == []
    assert unchecked_verdicts(tied, "assert cmp['x'].low < 0 < cmp['x'].high, 'tied'\n") == []
    assert unchecked_verdicts(typed, "assert all(c.high < 0 for c in cs)\n") == []
    assert unchecked_verdicts(typed, "if ok:\n    assert gap.low > 0, 'above'\n") == []
    glued = ("Ours is {glue:text}`ch4_svd_verdict` SVD by a paired difference of "
             "{glue:text}`ch4_vs_svd_diff:+.4f`.")
    assert unchecked_verdicts(glued) == []
    no_direction = "The paired difference is {glue:text}`ch4_vs_svd_diff:+.4f` (see the table)."
    not_an_interval = "Ours is better, an NDCG@10 of {glue:text}`ch4_ndcg:.3f`."
    assert unchecked_verdicts(no_direction) == [] and unchecked_verdicts(not_an_interval) == []


def test_point_verdict_detector_finds_signs_and_widths_not_comparisons():
    bad = ("assert c.estimate > 0\nassert gap.diff < 0, 'lower'\nassert 0 < c.diff\n"
           "assert ci.high - ci.low > abs(ci.estimate)  # contains zero\n"
           "assert cmp['a'].diff > 0.0 and x\n")
    assert len(point_verdicts(bad)) == 5
    fine = ("%pip install x\nassert c.low > 0\nassert a.diff > max(b.diff for b in bs)\n"
            "assert abs(c.diff) < 0.02\nassert c.estimate > 0.5\nassert warm.diff > cold.diff\n"
            "x = c.diff > 0  # not an assert\n")
    assert point_verdicts(fine) == []


@pytest.mark.parametrize("path", _chapters(), ids=lambda p: p.name)
def test_verdicts_follow_their_intervals(path):
    cells, problems, code_before = _cells(path), [], []
    for i, (kind, source) in enumerate(cells):
        if kind == "code":
            code_before.append(source)
            problems += [f"{path.name} cell {i}: assert {t}" for t in point_verdicts(source)]
            continue
        if kind == "markdown":
            problems += [f"{path.name} cell {i}: {s}"
                         for s in unchecked_verdicts(source, "\n".join(code_before))]
            problems += [f"{path.name} cell {i}: glue key {k!r} is a bound: name it "
                         "..._ci_low, ..._diff_high or ..._gap_low (the convention above)"
                         for k in _GLUE_ROLE.findall(source)
                         if re.search(r"_(?:low|high)$", k.strip()) and not INTERVAL_KEY.search(k.strip())]
        code_before = []
    assert not problems, (
        "a verdict that does not follow its interval: glue the words from "
        "evaluation.verdict(cmp, higher, lower, tied) (a key ending in _verdict) into the "
        "sentence, or assert the exact condition (c.low > 0, c.high < 0, c.low <= 0 <= c.high) "
        "in the code cells right before it; never decide by the sign of .estimate or .diff:\n"
        + "\n".join(problems))


# --- every glue key the prose uses is glued by the chapter's own code ------------
def glued_key_patterns(code: str) -> list[re.Pattern]:
    """The keys a chapter's code can glue: each string literal, and each f-string
    with its replacement fields read as ``\\w+`` (``f"ch4_{key}_diff"``)."""
    code = "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in code.splitlines())
    patterns = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            patterns.append(re.compile(re.escape(node.value)))
        elif isinstance(node, ast.JoinedStr):
            patterns.append(re.compile("".join(
                re.escape(v.value) if isinstance(v, ast.Constant) else r"\w+" for v in node.values)))
    return patterns


def unglued_keys(cells: list[tuple[str, str]]) -> list[str]:
    """Keys of the markdown's glue roles that no code cell of the same chapter
    can glue (a key read from another page, ``page::key``, is not checked)."""
    patterns = [p for kind, s in cells if kind == "code" for p in glued_key_patterns(s)]
    roles = {r for kind, s in cells if kind == "markdown"
             for r in re.findall(r"\{glue(?::\w+)?\}`([^`]+)`", s)}
    keys = {r.split(":")[0].strip() for r in roles if "::" not in r}
    return sorted(k for k in keys if not any(p.fullmatch(k) for p in patterns))


def test_unglued_key_detector():
    cells = [("code", 'glue("ch1_a", 1)\nfor k in ("b", "c"):\n    glue(f"ch1_{k}_diff", 2)\n'
                      "%matplotlib inline\n"),
             ("markdown", "{glue:text}`ch1_a:.3f`, {glue:text}`ch1_b_diff`, {glue}`other::ch2_x`, "
                          "{glue:text}`ch1_missing:.0%` and {glue:text}`ch1_b_verdict`.")]
    assert unglued_keys(cells) == ["ch1_b_verdict", "ch1_missing"]


@pytest.mark.parametrize("path", _chapters(), ids=lambda p: p.name)
def test_every_glue_role_has_its_glue(path):
    """The book build (-W) fails on a glue role whose key the chapter never
    glued; this finds it in a second, not at the end of ``make test``."""
    missing = unglued_keys(_cells(path))
    assert not missing, (f"{path.name} shows glue keys that none of its code cells glue "
                         f"(add glue('key', value) to the cell that computes it): {missing}")
