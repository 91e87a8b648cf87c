"""Shared code of the book *LLMs for Data Augmentation in Recommender Systems*.

Flat modules, one concept each (see ``DESIGN.md`` §5). Importing the package
does nothing but define names: no downloads, no seeding, no heavy imports.
"""

__version__ = "0.1.0"
