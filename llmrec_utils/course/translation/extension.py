"""The Sphinx extension of both sites (``_config.yml`` names the package).

* every page links to the same page in the other language (the Chinese site
  lives in ``zh/`` beside the English; ``llmrec_language_switch: false`` turns
  the link off for a site that has no twin, such as the student edition);
* each exercise's title is a message (sphinx-exercise builds it without a
  source), and a table classed ``no-translate`` holds data, not messages;
* a translated message's glue roles find the page's glued values.
"""

from __future__ import annotations

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
    if "body" not in context or not app.config.llmrec_language_switch:
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
    app.add_config_value("llmrec_language_switch", True, "html", [bool])
    app.connect("html-page-context", _add_switch)
    app.add_transform(_exercise_titles())
    _glue_in_translations()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
