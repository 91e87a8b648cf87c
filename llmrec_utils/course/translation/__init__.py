"""The book in two languages: English sources, Chinese message catalogues.

The chapters and pages are written once, in English. Their prose is translated
the way Sphinx projects translate (Jupyter Book 1 builds through Sphinx): the
gettext builder extracts every translatable message into ``_build/gettext``,
``sphinx-intl`` keeps one catalogue per page under
``locales/<lang>/LC_MESSAGES/`` (e.g. ``notebooks/01_data.po``), and a second
build of the same pages with ``language`` set reads them. Code, outputs and
glued results are not messages, so the translated site shows exactly the
numbers the English build computed.

* :mod:`.extension`: the Sphinx extension both sites load (``_config.yml``
  names this package): the language links, exercise titles as messages, and
  glued values inside translated messages;
* :mod:`.messages`: the catalogues, glossary and verdict phrases, and the
  checks on them (untranslated, fuzzy, lost markup, a term, stale messages);
* :mod:`.build`: ``gettext`` and the translated build
  (``python -m llmrec_utils.course.translation gettext|build|check``).
"""

from .build import TITLES, build, build_command, gettext, install, main, write_config
from .messages import (
    catalogue_dir,
    catalogues,
    markup,
    phrase,
    phrases,
    problems,
    read_catalogue,
    report,
    stale,
    term_problems,
    terms,
)
from .extension import LANGUAGES, SITE_DIR, setup, switch_link

__all__ = ["LANGUAGES", "SITE_DIR", "TITLES", "build", "build_command",
           "catalogue_dir", "catalogues", "gettext", "install", "main", "markup", "phrase",
           "phrases", "problems", "read_catalogue", "report", "setup", "stale",
           "switch_link", "term_problems", "terms", "write_config"]  # fmt: skip
