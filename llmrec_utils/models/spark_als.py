"""Spark's session and MLlib's ALS behind the book's model contract (chapter 9).

Install with ``pip install "llmrec-utils[spark]"`` (PySpark 4, which needs Java 17
or 21). Everything here runs in Spark's local mode on one machine, and the same
code runs on a cluster: set ``LLMREC_SPARK_MASTER`` (e.g. ``spark://host:7077``,
``yarn``, ``k8s://...``) and :func:`session` connects there instead.

* :func:`session` starts (or returns) a SparkSession sized for this machine;
  :func:`require_java` says what to install when Java is missing.
* :func:`ratings_frame` turns the book's ratings into a typed Spark DataFrame.
* :class:`SparkALS` wraps MLlib's ALS in the book's model contract
  (:mod:`llmrec_utils.models.base`), so chapter 8's metrics score it as is.

Embedding and generation on Spark are in :mod:`llmrec_utils.text.spark_text`.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from ..config import SEED, cache_dir
from ..data.columns import ITEM, RANK, RATING, SCORE, USER
from ..data.loaders import validate_ratings
from .base import Base, pair_tie_breaker

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

__all__ = ['JavaMissing', 'java_version', 'require_java', 'master_url', 'session', 'log_path', 'quiet_pandas_warnings', 'ratings_frame', 'SparkALS']  # fmt: skip


MASTER_ENV = "LLMREC_SPARK_MASTER"  # a cluster's master URL; unset = local mode


MEMORY_ENV = "LLMREC_SPARK_MEMORY"  # driver memory in local mode, default 4g


JAVA_VERSIONS = (17, 21)  # the Java releases Spark 4 supports


def quiet_pandas_warnings() -> None:
    """Silence PySpark's two pandas-3 warnings (called by :func:`session`, not at import).

    PySpark 4.3 warns that it "does not yet fully support pandas >= 3.0.0" on
    every conversion. The book pins pandas 3; chapter 9 checks every conversion
    it uses (same ratings, same vectors, same generations) instead of repeating
    the warning. Its own pandas calls also use a keyword pandas 3 deprecates
    ("copy").
    """
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module="pyspark")


# --- Java and the session ------------------------------------------------------------
class JavaMissing(RuntimeError):
    """Spark needs a Java runtime (17 or 21) and none usable was found."""


_INSTALL_JAVA = (
    "Install a Java 17 runtime and try again:\n"
    "  Debian/Ubuntu/Colab: apt-get install -y openjdk-17-jre-headless\n"
    "  macOS (Homebrew):    brew install openjdk@17\n"
    "  conda:               conda install -c conda-forge openjdk=17\n"
    "then point JAVA_HOME at it (e.g. export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64)."
)


def _java_binary() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def java_version() -> int | None:
    """The major version of the Java that Spark would start, or None if there is none."""
    java = _java_binary()
    if java is None:
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2)) if major == 1 else major  # "1.8.0" is Java 8


def require_java() -> int:
    """The Java major version, or :class:`JavaMissing` saying how to install one."""
    version = java_version()
    if version is None:
        raise JavaMissing("Spark needs Java, and no `java` was found on PATH or in "
                          f"JAVA_HOME.\n{_INSTALL_JAVA}")  # fmt: skip
    if version < min(JAVA_VERSIONS):
        raise JavaMissing(f"Spark 4 needs Java {' or '.join(map(str, JAVA_VERSIONS))}; "
                          f"found Java {version} ({_java_binary()}).\n{_INSTALL_JAVA}")  # fmt: skip
    return version


def master_url(master: str | None = None, cores: int | None = None) -> str:
    """Where :func:`session` connects: ``master``, else ``$LLMREC_SPARK_MASTER``,
    else local mode with ``cores`` threads (default: all cores)."""
    if cores is not None and cores < 1:
        raise ValueError(f"cores must be at least 1, got {cores}.")
    return master or os.environ.get(MASTER_ENV) or f"local[{cores or os.cpu_count() or 1}]"


def session(app: str = "llmrec-book", master: str | None = None,
            cores: int | None = None) -> SparkSession:  # fmt: skip
    """A SparkSession: on ``master``, else ``$LLMREC_SPARK_MASTER``, else local mode.

    Local mode uses ``cores`` threads (default: all cores), shuffles into
    ``2 x cores`` partitions (Spark's default of 200 is for clusters), keeps
    the web UI and console progress bars off, and gives the driver
    ``$LLMREC_SPARK_MEMORY`` (default 4g). On a cluster, the cluster's own
    settings apply. Spark's own log goes to :func:`log_path`. In local mode,
    ALS checkpoints into a temporary folder removed at exit; on a cluster, set
    a shared path with ``spark.sparkContext.setCheckpointDir``, or long ALS
    fits overflow the stack. Executors run this Python (``sys.executable``), so they
    import the same ``llmrec_utils``. Stop it with ``spark.stop()``.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ImportError("Chapter 9 needs PySpark: pip install 'llmrec-utils[spark]' "
                          "(or pip install 'pyspark>=4,<5').") from exc  # fmt: skip
    require_java()
    quiet_pandas_warnings()
    master = master_url(master, cores)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master).appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.cleaner.referenceTracking.cleanCheckpoints", "true")
    )  # fmt: skip
    if master.startswith("local"):
        n = cores or os.cpu_count() or 1
        builder = (
            builder.config("spark.driver.memory", os.environ.get(MEMORY_ENV, "4g"))
            .config("spark.sql.shuffle.partitions", str(2 * n))
            .config("spark.default.parallelism", str(2 * n))
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
        )  # fmt: skip
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = _launch(builder)
    spark.sparkContext.setLogLevel("ERROR")
    if master.startswith("local") and spark.sparkContext.getCheckpointDir() is None:
        # ALS's lineage grows with every iteration; without checkpoints (every
        # 10 iterations, its default) a long fit overflows the stack
        checkpoints = tempfile.mkdtemp(prefix="llmrec-spark-checkpoints-")
        atexit.register(shutil.rmtree, checkpoints, ignore_errors=True)
        spark.sparkContext.setCheckpointDir(checkpoints)
    return spark


def log_path() -> Path:
    """Where the Java side of Spark (and its Python workers) write their output."""
    return cache_dir() / "spark.log"


def _launch(builder):
    """``builder.getOrCreate()``, with the JVM's own output sent to :func:`log_path`.

    The JVM inherits the file descriptors of the process that starts it, so in
    Jupyter its start-up chatter, log lines and the workers' progress bars
    would land in the cell's output. Pointing descriptors 1 and 2 at the log
    file while it starts keeps them there for the JVM's whole life; errors
    still reach Python as exceptions.
    """
    from pyspark import SparkContext

    if SparkContext._gateway is not None:  # the JVM is already running
        return builder.getOrCreate()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log_path(), "wb") as log:  # one log per JVM
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            return builder.getOrCreate()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _active():
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    return spark if spark is not None else session()


# --- ratings and ALS -----------------------------------------------------------------
def ratings_frame(ratings: pd.DataFrame, spark: SparkSession | None = None) -> SparkFrame:
    """The book's ratings (``user, item, rating``) as a Spark DataFrame with
    integer ids and float ratings; checked like every model's training data."""
    from pyspark.sql import types as T

    validate_ratings(ratings, columns=(USER, ITEM, RATING))
    schema = T.StructType([T.StructField(USER, T.IntegerType(), False),
                           T.StructField(ITEM, T.IntegerType(), False),
                           T.StructField(RATING, T.FloatType(), False)])  # fmt: skip
    pdf = pd.DataFrame({USER: ratings[USER].astype("int32"), ITEM: ratings[ITEM].astype("int32"),
                        RATING: ratings[RATING].astype("float32")})  # fmt: skip
    return (spark or _active()).createDataFrame(pdf, schema)


class SparkALS(Base):
    """MLlib's ALS (explicit ratings) behind the book's model contract.

    MLlib minimises the same weighted-lambda loss as chapter 4's ALS, without
    the biases: :math:`\\sum (r_{ui} - p_u^\\top q_i)^2 + \\lambda (\\sum_u n_u
    \\lVert p_u\\rVert^2 + \\sum_i n_i \\lVert q_i\\rVert^2)`. ``factors`` is the
    number of latent dimensions (MLlib's ``rank``); ``blocks`` is the number of
    user and item blocks (Spark's unit of parallel work; default the session's
    parallelism). Following the package's unknown-id rule (see
    :mod:`llmrec_utils.models.base`), pairs with a user or item unseen in training
    get the training mean: the baseline of a model without biases.

    ``predict`` and ``recommend`` (all items) run on Spark; ``score``,
    ``fallback`` and ``recommend(items=...)`` use the learned factors collected
    to the driver, like every other model.
    """

    explicit = True

    def __init__(self, factors: int = 10, reg: float = 0.1, max_iter: int = 10,
                 blocks: int | None = None, seed: int = SEED):  # fmt: skip
        if factors < 1 or max_iter < 1:
            raise ValueError("factors and max_iter must be at least 1.")
        self.factors, self.reg, self.max_iter = factors, reg, max_iter
        self.blocks, self.seed = blocks, seed

    def fit(self, train: pd.DataFrame | SparkFrame) -> "SparkALS":
        """Fit on a pandas ratings frame (checked) or a Spark frame from :func:`ratings_frame`."""
        from pyspark.ml.recommendation import ALS

        spark = _active()
        if isinstance(train, pd.DataFrame):
            self._check_train(train)  # columns, gaps, duplicates, the rating scale
            train = ratings_frame(train, spark)
        missing = {USER, ITEM, RATING} - set(train.columns)
        if missing:
            raise ValueError(f"train lacks columns {sorted(missing)}; build it with "
                             "llmrec_utils.models.spark_als.ratings_frame(ratings).")  # fmt: skip
        blocks = self.blocks or spark.sparkContext.defaultParallelism
        als = ALS(rank=self.factors, regParam=self.reg, maxIter=self.max_iter, userCol=USER,
                  itemCol=ITEM, ratingCol=RATING, coldStartStrategy="nan", seed=self.seed,
                  numUserBlocks=blocks, numItemBlocks=blocks)  # fmt: skip
        self._ratings = train
        self.train_ = train.select(USER, ITEM)  # the seen pairs, for recommend()
        self.model_ = als.fit(train)
        for name in ("mu_", "users_", "items_", "seen_", "max_seen_", "_factors"):
            self.__dict__.pop(name, None)  # a refit recomputes them
        return self

    # Needed by predict() or recommend() only, so computed there, once: each is
    # a Spark job, and fit() (timed in chapter 9) should be the fit alone.
    @functools.cached_property
    def mu_(self) -> float:
        """The training mean, for pairs with an unknown user or item."""
        from pyspark.sql import functions as F

        return float(self._ratings.agg(F.mean(RATING)).first()[0])

    @functools.cached_property
    def _factors(self) -> tuple[pd.Index, np.ndarray, pd.Index, np.ndarray]:
        """User ids, user factors, item ids, item factors, collected and sorted by id."""
        def collect(frame):
            pdf = frame.toPandas().sort_values("id")
            return pd.Index(pdf["id"].to_numpy()), np.stack(pdf["features"]).astype(np.float32)

        users, P = collect(self.model_.userFactors)
        items, Q = collect(self.model_.itemFactors)
        return users, P, items, Q

    @functools.cached_property
    def users_(self) -> pd.Index:
        """The training users (sorted)."""
        return self._factors[0]

    @functools.cached_property
    def items_(self) -> pd.Index:
        """The training items (sorted)."""
        return self._factors[2]

    @functools.cached_property
    def seen_(self) -> sp.csr_matrix:
        """The training pairs as a users x items indicator matrix."""
        pairs = self.train_.toPandas()
        u = self.users_.get_indexer(pairs[USER])
        i = self.items_.get_indexer(pairs[ITEM])
        return sp.csr_matrix((np.ones(len(u)), (u, i)), shape=(len(self.users_), len(self.items_)))

    @functools.cached_property
    def max_seen_(self) -> int:
        """The most items any training user has rated."""
        from pyspark.sql import functions as F

        return int(self.train_.groupBy(USER).count().agg(F.max("count")).first()[0])

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError("SparkALS is not fitted; call .fit(train) first.")

    def _scores(self, u):
        _, P, _, Q = self._factors
        return (P[u] @ Q.T).astype(float)  # float32, as MLlib computes them

    def _fallback(self, u, i):
        return np.full(len(u), self.mu_)

    def predict(self, users: ArrayLike, items: ArrayLike) -> np.ndarray:
        """One predicted rating per (user, item) pair (on Spark), clipped to the scale;
        unknown ids get :meth:`fallback` (the training mean)."""
        self._check_fitted()
        users, items = self._pairs(users, items)
        pairs = pd.DataFrame({"row": np.arange(len(users), dtype="int64"),
                              USER: users.astype("int32"), ITEM: items.astype("int32")})  # fmt: skip
        out = (self.model_.transform(_active().createDataFrame(pairs))
               .select("row", "prediction").toPandas().sort_values("row"))  # fmt: skip
        pred = out["prediction"].to_numpy(float)
        pred[np.isnan(pred)] = self.mu_
        return np.clip(pred, *self.rating_scale)

    def recommend_frame(self, k: int = 10, exclude_seen: bool = True,
                        users: ArrayLike | None = None) -> SparkFrame:  # fmt: skip
        """Top-``k`` per user as a Spark DataFrame ``user, item, score, rank``.

        ``recommendForAllUsers`` ranks every item, seen ones included, so it is
        asked for ``k`` plus the largest number of items any user has seen;
        the seen ones are then removed with an anti-join and the rest ranked
        per user, equal scores by the model's seed
        (:func:`~llmrec_utils.models.base.pair_tie_breaker`, as every model
        breaks ties). Every user thus keeps ``k`` unseen items. The depth grows
        with the heaviest user's history (``max_seen_``), for every user: with
        very long histories, remove the seen pairs before the top-``k``, or call
        ``recommendForUserSubset`` per group of users with that group's own
        depth (this method does neither: chapter 9 discusses the choice).
        """
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        self._check_fitted()
        if k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}.")
        depth = k + (self.max_seen_ if exclude_seen else 0)
        if users is None:
            recs = self.model_.recommendForAllUsers(depth)
        else:
            subset = _active().createDataFrame(pd.DataFrame({USER: np.asarray(users, "int32")}))
            recs = self.model_.recommendForUserSubset(subset, depth)
        flat = recs.select(USER, F.posexplode("recommendations").alias("pos", "rec")).select(
            USER, F.col("rec")[ITEM].alias(ITEM), F.col("rec")[RATING].alias(SCORE), "pos")
        if exclude_seen:
            flat = flat.join(self.train_, [USER, ITEM], "left_anti")
        seed = self.seed

        def ties(users: pd.Series, items: pd.Series) -> pd.Series:
            return pd.Series(pair_tie_breaker(seed, users.to_numpy(), items.to_numpy()))

        flat = flat.withColumn("tie", F.pandas_udf(ties, "double")(USER, ITEM))
        order = Window.partitionBy(USER).orderBy(F.desc(SCORE), F.desc("tie"))
        return (flat.withColumn(RANK, F.row_number().over(order)).where(F.col(RANK) <= k)
                .select(USER, ITEM, SCORE, RANK))  # fmt: skip

    def recommend(self, users: ArrayLike | None = None, k: int = 10, exclude_seen: bool = True,
                  items: ArrayLike | None = None) -> pd.DataFrame:  # fmt: skip
        """Top-``k`` items per user as a pandas ``user, item, score, rank`` frame.

        Over all training items this runs on Spark (:meth:`recommend_frame`;
        equal scores ordered by the seed, as everywhere); with ``items`` (candidates) it ranks
        the collected factors like every other model (:meth:`Base.recommend`).
        """
        self._check_fitted()
        if items is not None:
            return super().recommend(users, k, exclude_seen, items)
        if users is not None:
            users = np.asarray(users)
            unknown = ~np.isin(users, self.users_)
            if unknown.any():
                raise ValueError(f"{int(unknown.sum())} user(s) were not in the training data, "
                                 f"e.g. {users[unknown][0]!r}; recommend() needs a history.")  # fmt: skip
        recs = self.recommend_frame(k, exclude_seen, users).toPandas()
        recs = recs.astype({USER: "int64", ITEM: "int64", SCORE: "float64", RANK: "int64"})
        return recs.sort_values([USER, RANK], ignore_index=True)

    def __repr__(self) -> str:
        return (f"SparkALS(factors={self.factors}, reg={self.reg}, max_iter={self.max_iter}, "
                f"blocks={self.blocks}, seed={self.seed})")  # fmt: skip
