"""Plot helpers shared by the book's pages (each chapter draws its own figures)."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

# Where each step of the pipeline is taught: (label, x, y, role).
PIPELINE_NODES = {
    "llm": ("Generative LLM\naugmentation (ch. 6)", -0.2, 1.0, "llm"),
    "ratings": ("Interactions\nratings (ch. 1)", 2.4, 2.0, "data"),
    "text": ("Text\nreviews, titles (ch. 1)", 2.4, 0.0, "data"),
    "mf": ("Matrix factorisation\ncollaborative (ch. 4)", 5.1, 2.0, "cf"),
    "emb": ("Pretrained encoder\nembeddings (ch. 2)", 5.1, 0.55, "text"),
    "ner": ("Fine-tuned BERT, LoRA\naspects (ch. 3)", 5.1, -0.55, "text"),
    "content": ("Content-based\nscores (ch. 5)", 7.8, 0.0, "text"),
    "hybrid": ("Hybrid blend\n(ch. 5)", 10.3, 1.0, "out"),
    "eval": ("Evaluation\n(ch. 8)", 12.9, 1.4, "out"),
    "spark": ("Same pipeline\non Spark (ch. 9)", 12.9, 0.2, "scale"),
}


PIPELINE_EDGES = [
    ("llm", "ratings", "extra interactions"), ("llm", "text", "profiles, paraphrases"),
    ("ratings", "mf", ""), ("text", "emb", ""), ("text", "ner", ""),
    ("emb", "content", ""), ("ner", "content", ""), ("mf", "hybrid", ""),
    ("content", "hybrid", ""), ("hybrid", "eval", ""), ("hybrid", "spark", ""),
]  # fmt: skip


_COLOURS = {
    "data": "#e8e8e8", "llm": "#ffd8a8", "text": "#cfe2ff",
    "cf": "#d3f0d3", "out": "#e5d4f5", "scale": "#ffffff",
}  # fmt: skip


def pipeline_diagram(ax: plt.Axes | None = None) -> plt.Axes:
    """Draw the book's pipeline: data, the models built on it, and where the LLM adds data."""
    if ax is None:
        _, ax = plt.subplots(figsize=(13, 3.6))
    w, h = 2.2, 0.72
    for label, x, y, role in PIPELINE_NODES.values():
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04",
                facecolor=_COLOURS[role], edgecolor="#444444",
                linestyle="--" if role == "scale" else "-",
            )  # fmt: skip
        )
        ax.text(x, y, label, ha="center", va="center", fontsize=9)
    for a, b, label in PIPELINE_EDGES:
        _, xa, ya, _ = PIPELINE_NODES[a]
        _, xb, yb, _ = PIPELINE_NODES[b]
        ax.annotate(
            "", xy=(xb - w / 2, yb), xytext=(xa + w / 2, ya),
            arrowprops={"arrowstyle": "->", "color": "#333333", "shrinkA": 2, "shrinkB": 2},
        )  # fmt: skip
        if label:
            ax.text((xa + xb) / 2 + 0.25, (ya + yb) / 2, label, fontsize=8, style="italic",
                    ha="center", va="center", backgroundcolor="white")  # fmt: skip
    ax.set_xlim(-1.4, 14.1)
    ax.set_ylim(-1.1, 2.6)
    ax.axis("off")
    return ax
