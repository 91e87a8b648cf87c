"""Chapter 2's encoder and chapter 6's generation as Spark jobs (chapter 9).

* :func:`embed` applies the chapter-2 encoder through a pandas UDF; each
  Python worker loads the model once and keeps it.
* :func:`item_prompt_frame`, :func:`cache_frame` and :func:`generate_frame`
  run chapter 6's item-profile step as a Spark job: prompts and cache keys
  built on the executors, the committed cache joined in, and only what is
  missing generated, each task writing its own resumable cache file.

The session comes from :mod:`llmrec_utils.models.spark_als`.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import pandas as pd

from ..data.columns import ITEM
from ..models.spark_als import _active
from . import augment, llm
from .embeddings import DEFAULT_MODEL

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

__all__ = ['embed', 'item_prompt_frame', 'cache_frame', 'generate_frame']  # fmt: skip


# --- embeddings through a pandas UDF -------------------------------------------------
@functools.lru_cache(maxsize=2)
def _worker_encoder(model: str, precision: str, threads: int, device: str | None = None):
    """The encoder of this Python worker, loaded on first use and then reused."""
    import torch

    from .embeddings import Encoder

    torch.set_num_threads(threads)
    return Encoder.load(model, precision=precision, device=device)


def embed(df: SparkFrame, text_col: str, out_col: str = "vector", model: str = DEFAULT_MODEL,
          precision: str = "float32", batch_size: int = 64, threads: int = 1,
          device: str | None = None) -> SparkFrame:  # fmt: skip
    """``df`` with ``out_col``, the chapter-2 embedding of ``text_col`` (array<float>).

    An iterator pandas UDF: each task streams its partition through the encoder
    in Arrow batches, and each Python worker loads the model once (Spark reuses
    workers between tasks). ``threads`` is torch's threads per worker: with one
    worker per core, 1 avoids oversubscribing the cores. ``device`` (default:
    the worker's :func:`llmrec_utils.config.device`) and ``precision`` are
    passed to ``Encoder.load``; ``precision="auto"`` follows the package's rule
    (a worker with 1 thread measures bfloat16 for 1 thread).
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if text_col not in df.columns:
        raise ValueError(f"no column {text_col!r} to embed; the frame has {df.columns}.")

    @F.pandas_udf(T.ArrayType(T.FloatType()))
    def _embed(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        encoder = _worker_encoder(model, precision, threads, device)
        for texts in batches:
            vectors = encoder.encode(texts.tolist(), batch_size=batch_size, progress=False)
            yield pd.Series(list(vectors))

    return df.withColumn(out_col, _embed(F.col(text_col)))


# --- chapter 6's item profiles as a Spark job ----------------------------------------
def item_prompt_frame(items: SparkFrame, attempt: int = 0,
                      model_id: str | None = None) -> SparkFrame:  # fmt: skip
    """One row per film: ``item, key, messages`` (JSON), built on the executors.

    ``items`` is a Spark frame of ``data.load_ml100k_items()`` (item, title,
    genres). ``key`` is the cache key of ``attempt`` (0: greedy; later
    attempts resample, as ``llmrec augment items`` retries), so a join with
    :func:`cache_frame` finds the committed answers.
    """
    from pyspark.sql import types as T

    recipe = augment.RECIPES["items"]
    model_id = model_id or llm.default_model_id()
    decoding = llm.attempt_decoding(recipe.decoding, attempt)
    schema = T.StructType([T.StructField(ITEM, T.LongType()), T.StructField("key", T.StringType()),
                           T.StructField("messages", T.StringType())])  # fmt: skip

    def build(parts):
        for pdf in parts:
            jobs = augment.item_jobs(pdf, recipe.template)
            yield pd.DataFrame({
                ITEM: list(jobs),
                "key": [llm.cache_key(model_id, recipe.template, m, decoding) for m in jobs.values()],
                "messages": [json.dumps(m, ensure_ascii=False) for m in jobs.values()],
            })  # fmt: skip

    return items.select(ITEM, "title", "genres").mapInPandas(build, schema)


def cache_frame(paths: str | Path | Sequence[str | Path],
                spark: SparkSession | None = None) -> SparkFrame:  # fmt: skip
    """Generation-cache JSONL files (a file, a folder of part files, or a list)
    as a Spark frame ``key, status, text, completion_tokens, seconds``."""
    from pyspark.sql import types as T

    paths = [str(p) for p in (paths if isinstance(paths, (list, tuple)) else [paths])]
    schema = T.StructType([T.StructField(name, kind) for name, kind in (
        ("key", T.StringType()), ("status", T.StringType()), ("text", T.StringType()),
        ("completion_tokens", T.LongType()), ("seconds", T.DoubleType()))])  # fmt: skip
    frame = (spark or _active()).read.schema(schema).option("mode", "FAILFAST").json(paths)
    return frame.dropDuplicates(["key"])


@functools.lru_cache(maxsize=1)
def _worker_generator(model: str, threads: int):
    """The generator of this Python worker, loaded on first use and then reused."""
    import torch

    torch.set_num_threads(threads)
    return llm.load_generator(model)


def generate_frame(prompts: SparkFrame, out_dir: str | Path, model: str = llm.DEFAULT_MODEL,
                   attempt: int = 0, threads: int = 1) -> SparkFrame:  # fmt: skip
    """Generate the item profiles of ``prompts`` (from :func:`item_prompt_frame`)
    on the executors; returns ``key, status, text, completion_tokens, seconds``.

    Each task loads the model once and appends every answer, as it comes, to
    its own cache file ``out_dir/part-<partition>-<attempt>.jsonl``, so a job
    that dies keeps what it wrote: read ``out_dir`` back with
    :func:`cache_frame`, anti-join it from the prompts, and run the rest.
    """
    from pyspark import TaskContext

    recipe = augment.RECIPES["items"]
    decoding = llm.attempt_decoding(recipe.decoding, attempt)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    schema = "key string, status string, text string, completion_tokens long, seconds double"

    def run(parts):
        generator = _worker_generator(model, threads)
        part = TaskContext.get().partitionId()
        cache = llm.GenerationCache(out_dir / f"part-{part:05d}-{attempt}.jsonl")
        for pdf in parts:
            if pdf.empty:
                continue
            jobs = {str(r[ITEM]): json.loads(r["messages"]) for r in pdf.to_dict("records")}
            llm.generate_structured(generator, jobs, recipe.schema, cache, recipe.template,
                                    decoding, retries=0, batch_size=recipe.batch_size,
                                    progress=False)  # fmt: skip
            keys = [llm.cache_key(generator.model_id, recipe.template, m, decoding)
                    for m in jobs.values()]  # fmt: skip
            rows = [cache.get(k) for k in keys]
            yield pd.DataFrame({c: [r[c] for r in rows] for c in
                                ("key", "status", "text", "completion_tokens", "seconds")})

    return prompts.mapInPandas(run, schema)
