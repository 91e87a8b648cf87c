"""What a chapter puts on its page: glued results and paths a reader can use.

* :func:`glue` hands a computed value to the prose, where
  ``{glue:text}`name:.3f``` prints it (MyST-NB's glue). The book's rule is that
  a result in a sentence is glued from the variable that holds it, never
  typed; ``tests/test_prose.py`` enforces it. Outside a Jupyter Book build
  (Colab, plain Jupyter) MyST-NB may be missing; then the call only records the
  value in :data:`GLUED` and prints it, ``name = value``, so a reader whose page
  cannot render glue still sees the number. The student edition turns the
  printing on everywhere (:func:`show_glued`): its prose names each result.
* :func:`show_path` prints a cache path as ``$LLMREC_CACHE/...``, so the
  rendered book never shows the machine that built it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import cache_dir

GLUED: dict[str, Any] = {}  # every value glued in this session, by name
SHOW = False  # print each glued value even where MyST-NB renders glue (show_glued)


def show_glued(on: bool = True) -> None:
    """Print every value glued from now on as ``name = value`` (the student
    edition's first cells call it: its prose shows each result's name)."""
    global SHOW
    SHOW = on


def shown(name: str, value: Any) -> str:
    """``name = value`` as :func:`glue` prints it (floats to 6 significant digits)."""
    return f"{name} = {value:.6g}" if isinstance(value, float) else f"{name} = {value}"


def glue(name: str, value: Any) -> Any:
    """Make ``value`` available to the prose as ``{glue:text}`name```; return it.

    Numbers are glued as plain Python floats or ints (numpy scalars are
    converted), so a format spec such as ``:.3f`` or ``:.0%`` applies. A
    verdict (a name ending in ``_verdict``) is glued in Chinese too, as
    ``name_zh``, for the Chinese edition (:func:`.translation.messages.phrase`).
    """
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    GLUED[name] = value
    try:
        from myst_nb import glue as _glue
    except ImportError:  # Colab or plain Jupyter: nothing renders glue roles
        print(shown(name, value))
        return value
    if SHOW:
        print(shown(name, value))
    _glue(name, value, display=False)
    if isinstance(value, str) and name.endswith("_verdict"):
        # the Chinese pages show a verdict in Chinese ({glue:text}`name_zh`)
        from .translation.messages import phrase

        chinese = phrase(value, name)
        if chinese is not None:
            _glue(f"{name}_zh", chinese, display=False)
    return value


def show_path(path: str | Path) -> str:
    """``path`` as a reader should see it: under ``$LLMREC_CACHE`` when it is in the cache."""
    path = Path(path)
    try:
        return str(Path("$LLMREC_CACHE") / path.resolve().relative_to(cache_dir().resolve()))
    except ValueError:
        return path.name if path.is_absolute() else str(path)
