"""What the Chinese edition's sources hold, and the checks on them.

``locales/<lang>/LC_MESSAGES/<page>.po`` holds one page's messages and their
translations (kept with ``sphinx-intl``, see :mod:`.build`);
``locales/<lang>/phrases/*.csv`` the Chinese of the glued verdicts, and
``locales/<lang>/terms.csv`` the terms that have one translation each.

* :func:`markup` and :func:`problems`: a translation lost or added a role,
  a maths span, a glue key, a piece of code or a link that its English has;
* :func:`term_problems`: a checked term the translation does not use;
* :func:`report`: per page, each message untranslated, fuzzy or with a problem;
* :func:`stale`: a catalogue against freshly extracted templates (new or
  changed English, and messages the English no longer has);
* :func:`phrase`: a glued verdict's Chinese (``page.glue`` glues it as
  ``<name>_zh``: the verdict is computed, so its words are too).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LOCALES = ROOT / "locales"

# --- what a translation must keep -------------------------------------------------------

ROLE = re.compile(r"(?<!`)\{([\w:.-]+)\}`([^`]*)`")  # not `{name}` in code
MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$[^$\n]+?\$", re.DOTALL)
CODE = re.compile(r"(?<![`}])(`+)([^`].*?)\1(?!`)", re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>\s]+)>|(?<![(<])\bhttps?://[^\s)>]+")
# roles whose text a reader sees may be translated; their target must not change
TRANSLATABLE_TEXT = {"term", "ref", "doc", "numref", "prf:ref", "download"}


def _role_key(name: str, content: str) -> tuple[str, str]:
    target = re.search(r"<([^<>]+)>\s*$", content)
    if name in TRANSLATABLE_TEXT:
        content = target.group(1) if target else content
        return name, content.strip().lower() if name == "term" else content.strip()
    if name.startswith("glue"):  # a glued verdict may be shown in its Chinese form
        content = re.sub(r"_zh(?=:|$)", "", content)
    return name, content


def markup(text: str) -> Counter:
    """What a translation must carry unchanged: roles (a term's or a reference's
    target, every other role whole, so glue keys and citations), maths spans,
    inline code and link targets."""
    found: Counter = Counter()
    rest = text
    for m in ROLE.finditer(text):
        found[("role",) + _role_key(m.group(1), m.group(2))] += 1
    rest = ROLE.sub(" ", rest)
    for m in MATH.finditer(rest):
        found[("math", re.sub(r"\s+", " ", m.group(0)).strip())] += 1
    rest = MATH.sub(" ", rest)
    for m in CODE.finditer(rest):
        found[("code", m.group(2))] += 1
    for m in LINK.finditer(rest):
        found[("link", next(g for g in m.groups() if g))] += 1
    return found


def problems(msgid: str, msgstr: str) -> list[str]:
    """What ``msgstr`` lost or added, against ``msgid``'s markup; empty if none."""
    want, got = markup(msgid), markup(msgstr)
    out = [f"lost {kind} {' '.join(rest)!r}" for (kind, *rest), n in (want - got).items()]
    out += [f"added {kind} {' '.join(rest)!r}" for (kind, *rest), n in (got - want).items()]
    return out


# --- glued verdicts in Chinese ----------------------------------------------------------


@functools.cache
def phrases(language: str = "zh_CN") -> dict[str, str]:
    """The Chinese of every glued verdict phrase (``locales/<language>/phrases/*.csv``,
    one file per page, columns ``english,chinese`` and an optional ``glue``: the
    one glue key a row is for, where a sentence needs its own wording), keyed by
    ``english`` or ``glue|english``."""
    import csv

    table: dict[str, str] = {}
    for path in sorted((LOCALES / language / "phrases").glob("*.csv")):
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                english, chinese = row["english"].strip(), row["chinese"].strip()
                key = f"{row['glue'].strip()}|{english}" if row.get("glue") else english
                if table.setdefault(key, chinese) != chinese:
                    raise ValueError(f"{path.name}: {english!r} is {chinese!r} here but "
                                     f"{table[key]!r} in another row; where a sentence "
                                     "needs its own wording, name its glue key in the "
                                     "row's `glue` column.")
    return table


def phrase(english: str, name: str = "", language: str = "zh_CN") -> str | None:
    """``english`` (a glued verdict) in ``language``; None without catalogues. A
    phrase with no translation warns (the book's build fails on a warning) and
    stays in English."""
    if not (LOCALES / language / "phrases").is_dir():
        return None
    table = phrases(language)
    if f"{name}|{english}" in table:
        return table[f"{name}|{english}"]
    if english not in table:
        warnings.warn(f"the verdict {english!r} ({name}) has no Chinese: add a row "
                      f"to a file in locales/{language}/phrases/.", stacklevel=3)
        return english
    return table[english]


# --- one term, one translation ---------------------------------------------------------


def terms(language: str = "zh_CN") -> list[tuple[str, str]]:
    """The checked terms (``locales/<language>/terms.csv``), longest first."""
    import csv

    with open(LOCALES / language / "terms.csv", encoding="utf-8") as f:
        rows = [(r["english"], r["chinese"]) for r in csv.DictReader(f)]
    return sorted(rows, key=lambda r: -len(r[0]))


def _prose(text: str) -> str:
    """The words a reader reads: roles by their shown text, no code, maths or URLs."""
    def shown(m):
        name, content = m.group(1), m.group(2)
        return re.sub(r"\s*<[^<>]+>\s*$", "", content) if name in TRANSLATABLE_TEXT else " "
    text = ROLE.sub(shown, text)
    text = MATH.sub(" ", text)
    text = CODE.sub(" ", text)
    return re.sub(r"\]\([^)]*\)|https?://\S+", "]", text)


def term_problems(msgid: str, msgstr: str, checked: list[tuple[str, str]]) -> list[str]:
    """Each checked term the English uses whose Chinese the translation lacks."""
    english, chinese = _prose(msgid).lower(), _prose(msgstr)
    out = []
    for en, zh in checked:
        if re.search(rf"(?<![\w-]){re.escape(en)}", english) and zh not in chinese:
            out.append(f"term {en!r} not translated as {zh!r}")
            english = english.replace(en, " ")
        elif re.search(rf"(?<![\w-]){re.escape(en)}", english):
            english = english.replace(en, " ")  # "cold start" is not also "start"
    return out


# --- catalogues -------------------------------------------------------------------------


def catalogue_dir(language: str = "zh_CN") -> Path:
    return LOCALES / language / "LC_MESSAGES"


def read_catalogue(path: Path):
    """A ``.po`` file as babel's Catalog (with a clear error when it is malformed)."""
    from babel.messages.pofile import PoFileError, read_po

    try:
        with open(path, "rb") as f:
            return read_po(f, abort_invalid=True)
    except PoFileError as exc:
        raise ValueError(f"{path}: not a valid .po file ({exc}); fix the line it names, "
                         "or run `make gettext` to rewrite it from the templates.") from None


def catalogues(language: str = "zh_CN") -> dict[str, Path]:
    """Each page's catalogue, by docname (``notebooks/01_data``)."""
    base = catalogue_dir(language)
    return {str(p.relative_to(base).with_suffix("")): p for p in sorted(base.rglob("*.po"))}


def report(language: str = "zh_CN") -> dict[str, list[str]]:
    """Per page: each message that is untranslated, fuzzy, lost its markup or
    a checked term."""
    checked = terms(language)
    out: dict[str, list[str]] = {}
    for doc, path in catalogues(language).items():
        issues = []
        for message in read_catalogue(path):
            if not message.id:
                continue
            head = f"{message.id[:70]!r}"
            if not message.string:
                issues.append(f"untranslated: {head}")
            elif message.fuzzy:
                issues.append(f"fuzzy: {head}")
            else:
                issues += [f"{p}: {head}" for p in problems(message.id, message.string)
                           + term_problems(message.id, message.string, checked)]
        if issues:
            out[doc] = issues
    return out


def stale(templates: Path, language: str = "zh_CN") -> dict[str, dict[str, list[str]]]:
    """Against the templates ``make gettext`` extracted (``_build/gettext``): per
    page, the English messages its catalogue lacks (``new``: new or changed
    text) and those it keeps that the English no longer has (``gone``)."""
    from babel.messages.pofile import read_po

    have = catalogues(language)
    out: dict[str, dict[str, list[str]]] = {}
    for pot in sorted(Path(templates).rglob("*.pot")):
        doc = str(pot.relative_to(templates).with_suffix(""))
        with open(pot, "rb") as f:
            english = {m.id for m in read_po(f) if m.id}
        ours = ({m.id for m in read_catalogue(have[doc]) if m.id and not m.fuzzy}
                if doc in have else set())  # fmt: skip
        new, gone = sorted(english - ours), sorted(ours - english)
        if new or gone:
            out[doc] = {"new": new, "gone": gone}
    return out
