"""A notebook's Markdown in another language, from the book's catalogues.

The Chinese site is built by Sphinx from the catalogues in ``locales/``
(:mod:`.translation`); the Chinese *student notebooks* (``llmrec student
--lang zh``) need the same translations applied to the cells themselves,
before the MyST is turned into plain Markdown. :func:`translate_markdown`
parses a cell with MyST's own Markdown parser and replaces each message, found
as Sphinx forms it (a paragraph's, heading's, list item's or table cell's
source with its lines joined by spaces), by its translation; a directive's
title and body (an exercise, a solution, a note) are translated too, its
options kept. Maths and code are not messages and stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

_TEXT_PARENTS = {"paragraph_open", "heading_open", "th_open", "td_open", "dt_open"}
# directives whose argument is not a title (a label, a path, a glue key)
_NO_TITLE = {"solution", "solution-start", "solution-end", "figure", "image", "glue",
             "glue:figure", "math", "code-cell", "eval-rst", "bibliography", "toctree",
             "include", "literalinclude"}


def _parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = MdParserConfig(enable_extensions={"amsmath", "dollarmath", "colon_fence",
                                               "deflist", "linkify", "substitution"})
    return create_md_parser(config, RendererHTML)


def message_of(text: str) -> str:
    """A block's message id as Sphinx's gettext builder forms it."""
    return text.replace("\n", " ").strip()


def _directive(info: str) -> tuple[str, str]:
    """``{exercise} Title`` -> ``("exercise", "Title")``; not a directive: ``("", "")``."""
    info = info.strip()
    if not info.startswith("{") or "}" not in info:
        return "", ""
    name, _, title = info[1:].partition("}")
    return name, title.strip()


def translate_markdown(source: str, lookup: Mapping[str, str] | Callable[[str], str | None],
                       missing: list[str] | None = None) -> str:  # fmt: skip
    """``source`` with each message replaced by ``lookup``'s translation.

    ``lookup`` maps a message id (see :func:`message_of`) to its translation
    (a dict, or a function returning None where there is none); messages with
    none stay in English and are appended to ``missing``.
    """
    get = lookup.get if isinstance(lookup, Mapping) else lookup
    missing = [] if missing is None else missing
    lines = source.split("\n")
    tokens = _parser().parse(source)
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, new lines)

    def translated(text: str) -> str | None:
        msgid = message_of(text)
        if not msgid:
            return None
        out = get(msgid)
        if not out:
            missing.append(msgid)
        return out or None

    for n, tok in enumerate(tokens):
        parent = tokens[n - 1].type if n else ""
        if tok.type == "inline" and tok.map and parent in _TEXT_PARENTS:
            new = translated(tok.content)
            if new is None:
                continue
            first, end = tok.map
            if parent in ("th_open", "td_open"):  # a cell: replaced inside its row
                lines[first] = lines[first].replace(tok.content, new, 1)
                continue
            head = tok.content.split("\n")[0]
            at = lines[first].find(head)
            prefix = lines[first][:at] if at >= 0 else ""
            tail = ""
            if parent == "heading_open" and end - first == 2:  # a setext heading's underline
                tail = lines[first + 1]
            edits.append((first, end, [prefix + new] + ([tail] if tail else [])))
        elif tok.type in ("fence", "colon_fence") and tok.map:
            name, title = _directive(tok.info)
            if not name:
                continue
            first, end = tok.map
            opening = lines[first]
            if title and name not in _NO_TITLE:
                new_title = translated(title)
                if new_title is not None:
                    opening = opening.replace(title, new_title, 1)
            body = tok.content.split("\n")
            options = []
            while body and body[0].startswith(":"):
                options.append(body.pop(0))
            text = translate_markdown("\n".join(body), get, missing)
            closed = end - first >= 2 and lines[end - 1].strip().startswith(tok.markup[:3])
            inner = options + text.split("\n")
            if inner and inner[-1] == "":
                inner = inner[:-1]
            edits.append((first, end, [opening] + inner + ([lines[end - 1]] if closed else [])))
    for first, end, new in sorted(edits, reverse=True):
        lines[first:end] = new
    return "\n".join(lines)


def messages(source: str) -> list[str]:
    """The message ids :func:`translate_markdown` looks up in ``source``."""
    seen: list[str] = []
    translate_markdown(source, lambda msgid: None, seen)
    return seen
