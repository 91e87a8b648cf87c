"""The book in two languages: English sources, Chinese message catalogues.

The chapters and pages are written once, in English. Their prose is translated
the way Sphinx projects translate (Jupyter Book 1 builds through Sphinx): the
gettext builder extracts every translatable message into ``_build/gettext``,
``sphinx-intl`` keeps one catalogue per page under
``locales/<lang>/LC_MESSAGES/`` (e.g. ``notebooks/01_data.po``), and a second
build of the same pages with ``language`` set reads them. Code, outputs and
glued results are not messages, so the translated site shows exactly the
numbers the English build computed.

* :func:`setup` is a Sphinx extension: every page links to the same page in
  the other language (the Chinese site lives in ``zh/`` beside the English),
  and the exercises' titles are messages too.
* :func:`gettext` extracts the messages and updates the catalogues;
  :func:`build` builds one language's site from the chapters' cached outputs.
* :func:`phrase` gives a glued verdict's Chinese (``page.glue`` glues it as
  ``<name>_zh``: the verdict is computed, so its words are too).
* :func:`read_catalogue`, :func:`markup` and :func:`problems` check a
  catalogue: a message is untranslated, fuzzy, or its translation lost a role,
  a maths span, a glue key, a piece of code or a link that its English has.
* :func:`stale` compares a catalogue with freshly extracted templates: the
  English messages it lacks (new or changed text) and the ones it keeps that
  the English no longer has.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
LANGUAGES = {"en": "English", "zh_CN": "中文"}
SITE_DIR = {"en": "", "zh_CN": "zh"}  # where each language's site lives under _build/html

# --- the language switch on every page --------------------------------------------------


def switch_link(pagename: str, language: str) -> tuple[str, str]:
    """The other language's copy of ``pagename`` (relative URL) and its name."""
    up = "../" * pagename.count("/")
    if language.startswith("zh"):
        return f"{up}../{pagename}.html", LANGUAGES["en"]
    return f"{up}{SITE_DIR['zh_CN']}/{pagename}.html", LANGUAGES["zh_CN"]


def _add_switch(app, pagename, templatename, context, doctree) -> None:
    if "body" not in context:
        return
    url, name = switch_link(pagename, app.config.language or "en")
    context["body"] = (f'<p class="llmrec-language-switch" style="text-align:right">'
                       f'<a href="{url}" hreflang="{"en" if name == "English" else "zh"}">'
                       f"{name}</a></p>\n" + context["body"])  # fmt: skip


def _source_text(node) -> str:
    """A title's MyST source from its nodes (text, inline maths and code)."""
    from docutils import nodes

    out = []
    for child in node.children:
        if isinstance(child, nodes.math):
            out.append(f"${child.astext()}$")
        elif isinstance(child, nodes.literal):
            out.append(f"`{child.astext()}`")
        else:
            out.append(child.astext())
    return "".join(out)


def _exercise_titles():
    """A transform that makes each exercise's title a message (sphinx-exercise
    builds it without a source, so Sphinx would neither extract nor translate
    it), and the cells of a table classed ``no-translate`` not messages."""
    from docutils.transforms import Transform

    class ExerciseTitles(Transform):
        default_priority = 15  # after Sphinx's source workaround (10), before Locale (20)

        def apply(self, **kwargs) -> None:
            from docutils import nodes


            # a table of measurements (``:class: no-translate``) is data, not prose:
            # its cells would be new messages each time the measurements change
            for table in self.document.findall(nodes.table):
                if "no-translate" in table.get("classes", []):
                    for cell in table.findall(nodes.TextElement):
                        cell["translatable"] = False
            try:
                from sphinx_exercise.nodes import exercise_subtitle
            except ImportError:
                return
            for node in self.document.findall(exercise_subtitle):
                owner = node.parent.parent if node.parent is not None else None
                node.source = node.source or self.document["source"]
                node.line = node.line or getattr(owner, "line", None) or 1
                node.rawsource = _source_text(node)
                # sphinx-exercise empties the title before the gettext builder
                # reads the page, so the message is handed to its catalogue here
                builder = getattr(self.document.settings.env.app, "builder", None)
                if getattr(builder, "name", "") == "gettext" and node.rawsource:
                    from sphinx.builders.gettext import MsgOrigin
                    from sphinx.util.i18n import docname_to_domain

                    env = self.document.settings.env
                    domain = docname_to_domain(env.docname, builder.config.gettext_compact)
                    builder.catalogs[domain].add(node.rawsource, MsgOrigin(node.source, node.line))

    return ExerciseTitles


_READING: dict = {}  # the renderer of the notebook Sphinx read last (one at a time)


class _KeepRenderer(dict):
    """A page's attributes that remember the notebook renderer MyST-NB drops
    at the end of the parse."""

    def pop(self, key, *default):
        value = super().pop(key, *default)
        if key == "nb_renderer":
            _READING["nb_renderer"] = value
        return value


def _glue_in_translations() -> None:
    """Let the glue roles of a translated message find the page's glued values.

    Sphinx parses a translation (after the page) as a small document of its
    own, and MyST-NB has by then dropped the notebook's renderer, which holds
    its outputs: the parser keeps it for the page's translations, and the glue
    lookup of a document without one uses it."""
    try:
        from myst_nb import sphinx_
        from myst_nb.ext.glue import directives, roles, utils
    except ImportError:
        return
    if getattr(utils.retrieve_glue_data, "_llmrec", False):
        return
    parse, retrieve = sphinx_.Parser.parse, utils.retrieve_glue_data

    def parse_keeping(self, inputstring, document):
        if not str(document.get("source", "")).endswith("<translated>"):  # a page
            _READING.pop("nb_renderer", None)
            document.attributes = _KeepRenderer(document.attributes)
        return parse(self, inputstring, document)

    def retrieve_glue_data(document, key):
        if "nb_renderer" in document or _READING.get("nb_renderer") is None:
            return retrieve(document, key)
        document.attributes["nb_renderer"] = _READING["nb_renderer"]
        try:  # only for this lookup: a renderer cannot be pickled with the page
            return retrieve(document, key)
        finally:
            document.attributes.pop("nb_renderer", None)

    retrieve_glue_data._llmrec = True
    sphinx_.Parser.parse = parse_keeping
    for module in (utils, roles, directives):
        if hasattr(module, "retrieve_glue_data"):
            module.retrieve_glue_data = retrieve_glue_data


def setup(app) -> dict:
    """Sphinx extension: the link to the other language on every page, the
    exercises' titles as messages, and glued values in translated messages."""
    app.connect("html-page-context", _add_switch)
    app.add_transform(_exercise_titles())
    _glue_in_translations()
    return {"parallel_read_safe": True, "parallel_write_safe": True}


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


# --- extraction and the translated build ------------------------------------------------


def _jupyter_book() -> str:
    import sys

    return str(Path(sys.executable).with_name("jupyter-book"))


def write_config(language: str, out: Path, cache: Path | None = None,
                 execute: str | None = None) -> Path:  # fmt: skip
    """``_config.yml`` for one language's build: the same book, with Sphinx's
    ``language`` set, and (``cache``) the chapters' outputs read from a
    jupyter-cache folder instead of executed again."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["sphinx"]["config"]["language"] = language
    if language != "en":
        config["title"] = TITLES[language]
    if cache is not None:
        config["execute"].update(execute_notebooks="cache", cache=str(cache))
    if execute is not None:
        config["execute"]["execute_notebooks"] = execute
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(config, allow_unicode=True))
    return out


TITLES = {"zh_CN": "面向推荐系统的大语言模型数据增强"}  # as the pages name the book


def gettext(language: str = "zh_CN") -> Path:
    """Extract every message into ``_build/gettext`` (no notebook is executed:
    outputs are not messages) and update ``locales/<language>`` from it:
    new messages are added empty, changed ones marked fuzzy."""
    import subprocess

    config = write_config("en", ROOT / "_build" / "_config.gettext.yml", execute="off")
    subprocess.run([_jupyter_book(), "build", str(ROOT), "--builder", "custom",
                    "--custom-builder", "gettext", "--config", str(config), "--all", "-qq"],
                   check=True)  # fmt: skip
    templates = ROOT / "_build" / "gettext"
    subprocess.run([str(Path(_jupyter_book()).with_name("sphinx-intl")), "update", "-p",
                    str(templates), "-l", language, "-d", str(LOCALES), "-w", "0"],
                   check=True)  # fmt: skip
    return templates


def build_command(language: str = "zh_CN", cache: Path | None = None,
                  strict: bool = True) -> list[str]:  # fmt: skip
    """The ``jupyter-book build`` of one language's site: English into
    ``_build/html``, another language into ``_build/site-<language>`` (then
    :func:`install` puts it beside the English). With ``cache`` (a jupyter-cache
    folder) the chapters' outputs are read from there, or executed and stored."""
    config = write_config(language, ROOT / "_build" / f"_config.{language}.yml", cache=cache)
    cmd = [_jupyter_book(), "build", str(ROOT), "--config", str(config), "--all", "-n"]
    if language != "en":
        cmd += ["--path-output", str(ROOT / "_build" / f"site-{language}")]
    return cmd + (["-W", "--keep-going"] if strict else [])


def install(language: str = "zh_CN") -> Path:
    """Copy a built translation into the English site (``_build/html/zh``)."""
    import shutil

    site = ROOT / "_build" / "html" / SITE_DIR[language]
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(ROOT / "_build" / f"site-{language}" / "_build" / "html", site)
    return site


def build(language: str = "zh_CN", cache: Path | None = None) -> Path:
    """Build one language's site (see :func:`build_command`); its index page."""
    import subprocess

    subprocess.run(build_command(language, cache), check=True)
    return (install(language) if language != "en" else ROOT / "_build" / "html") / "index.html"


def main(argv: list[str] | None = None) -> int:
    """``python -m llmrec_utils.course.translation gettext|build|check``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m llmrec_utils.course.translation")
    p.add_argument("what", choices=["gettext", "build", "check"])
    p.add_argument("--language", default="zh_CN")
    p.add_argument("--cache", help="a jupyter-cache folder holding the executed chapters")
    args = p.parse_args(argv)
    if args.what == "gettext":
        print(f"templates in {gettext(args.language)}; catalogues in {catalogue_dir(args.language)}")
        return 0
    if args.what == "build":
        print(f"open {build(args.language, Path(args.cache).resolve() if args.cache else None)}")
        return 0
    bad = report(args.language)
    for doc, issues in bad.items():
        print(f"{doc}: {len(issues)} message(s)")
        for line in issues[:20]:
            print("   ", line)
    print("every message translated, none fuzzy, markup kept" if not bad else
          f"{sum(map(len, bad.values()))} message(s) to fix in {len(bad)} page(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
