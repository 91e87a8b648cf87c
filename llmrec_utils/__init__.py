"""Shared code of the book *LLMs for Data Augmentation in Recommender Systems*.

The package is built in floors; a module imports from its own floor or a lower
one, never a higher one (``tests/test_layout.py`` checks every import):

* the recommender library: :mod:`.config`, :mod:`.data`, :mod:`.models`,
  :mod:`.evaluation`, :mod:`.ctr`;
* text and language-model tools: :mod:`.text`;
* what exists for one chapter's experiments: :mod:`.chapters`;
* the course tooling: :mod:`.course`, and the ``llmrec`` command (:mod:`.cli`).

``CONTRIBUTING.md`` maps every module. Importing the package does nothing but
define names: no downloads, no seeding, no heavy imports.
"""
