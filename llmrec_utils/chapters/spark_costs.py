"""Chapter 9's cost lines: fixed cost plus cost per row, fitted to measured times."""

from __future__ import annotations

import numpy as np
import pandas as pd


def cost_lines(times: pd.DataFrame, size: str) -> pd.DataFrame:
    """Least-squares ``seconds = a + b * size`` per ``engine``: the fixed cost
    (``fixed s``) and the cost per 1,000 units (``s per 1,000``).

    ``times`` has columns ``engine``, ``seconds`` and ``size``. Taught in
    ``notebooks/09_scaling_with_spark.ipynb``.
    """
    out = {}
    for engine, g in times.groupby("engine"):
        b, a = np.polyfit(g[size], g["seconds"], 1)
        out[engine] = {"fixed s": a, "s per 1,000": 1000 * b}
    return pd.DataFrame(out).T
