"""Unit tests for llmrec_utils.models.spark_als, in Spark's local mode (one session for the module)."""

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.chapters import spark_costs
from llmrec_utils.data import ITEM, RANK, RATING, SCORE, USER
from llmrec_utils.models import spark_als
from llmrec_utils.text import augment, llm, spark_text

pytest.importorskip("pyspark", reason="the spark extra is not installed")


def fake_java(tmp_path, version_line: str) -> str:
    """A JAVA_HOME whose bin/java prints ``version_line`` like `java -version`."""
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return str(tmp_path / "jdk")


def test_java_versions_are_read_from_java_version(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", fake_java(tmp_path, 'openjdk version "17.0.15" 2025-04-15'))
    assert spark_als.java_version() == 17 and spark_als.require_java() == 17
    (tmp_path / "jdk").rename(tmp_path / "old")
    monkeypatch.setenv("JAVA_HOME", fake_java(tmp_path, 'java version "1.8.0_401"'))
    assert spark_als.java_version() == 8
    with pytest.raises(spark_als.JavaMissing, match=r"found Java 8(.|\n)*openjdk-17-jre-headless"):
        spark_als.require_java()


def test_missing_java_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert spark_als.java_version() is None
    with pytest.raises(spark_als.JavaMissing, match=r"no `java` was found(.|\n)*JAVA_HOME"):
        spark_als.require_java()


def test_master_url_prefers_argument_then_environment(monkeypatch):
    monkeypatch.delenv(spark_als.MASTER_ENV, raising=False)
    assert spark_als.master_url(cores=2) == "local[2]"
    assert spark_als.master_url() == f"local[{os.cpu_count()}]"
    monkeypatch.setenv(spark_als.MASTER_ENV, "spark://head:7077")
    assert spark_als.master_url(cores=2) == "spark://head:7077"
    assert spark_als.master_url("local[1]") == "local[1]"
    with pytest.raises(ValueError, match="cores"):
        spark_als.master_url(cores=0)


@pytest.fixture(scope="module")
def spark():
    if spark_als.java_version() is None:
        pytest.skip("no Java: Spark cannot start (see llmrec_utils.models.spark_als.require_java)")
    session = spark_als.session("llmrec-tests", cores=2)
    yield session
    session.stop()


def test_local_session_is_sized_for_the_machine(spark):
    conf = spark.sparkContext.getConf()
    assert spark.sparkContext.master == "local[2]"
    assert conf.get("spark.sql.shuffle.partitions") == "4"
    assert conf.get("spark.ui.enabled") == "false"


def test_ratings_frame_types_and_checks(spark):
    ratings = pd.DataFrame({USER: [1, 1, 2], ITEM: [10, 11, 10], RATING: [5, 3, 4]})
    df = spark_als.ratings_frame(ratings, spark)
    assert dict(df.dtypes) == {USER: "int", ITEM: "int", RATING: "float"}
    assert df.count() == 3
    with pytest.raises(ValueError, match="missing"):
        spark_als.ratings_frame(ratings.rename(columns={USER: "userId"}), spark)
    with pytest.raises(ValueError, match="duplicate"):
        spark_als.ratings_frame(pd.concat([ratings, ratings.iloc[:1]]), spark)


def low_rank_ratings(n_users=30, n_items=20, seen=0.6, seed=0):
    """Ratings 3 + 0.5 p_u.q_i (rank 3 with the constant), a share ``seen`` observed."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
    R = 3 + 0.5 * (P @ Q.T)
    u, i = np.nonzero(rng.random(R.shape) < seen)
    return pd.DataFrame({USER: u + 1, ITEM: i + 100, RATING: np.clip(R[u, i], 1, 5)})


def test_spark_als_fits_a_low_rank_matrix(spark):
    train = low_rank_ratings()
    model = spark_als.SparkALS(factors=3, reg=0.001, max_iter=15).fit(train)
    pred = model.predict(train[USER], train[ITEM])
    assert np.sqrt(np.mean((pred - train[RATING]) ** 2)) < 0.1
    assert model.mu_ == pytest.approx(train[RATING].mean(), rel=1e-5)
    # unknown users or items fall back to the training mean
    out = model.predict(np.array([999, 1]), np.array([100, 999]))
    assert out == pytest.approx([model.mu_, model.mu_])


def test_spark_recommendations_match_the_factors(spark):
    """Top-k from recommendForAllUsers + anti-join equals ranking by the
    factors themselves, seen items excluded."""
    train = low_rank_ratings(seen=0.5)
    model = spark_als.SparkALS(factors=3, reg=0.05).fit(train)
    P = model.model_.userFactors.toPandas().set_index("id").sort_index()
    Q = model.model_.itemFactors.toPandas().set_index("id").sort_index()
    scores = pd.DataFrame(np.stack(P["features"]) @ np.stack(Q["features"]).T,
                          index=P.index, columns=Q.index)  # fmt: skip
    for u, i in train[[USER, ITEM]].itertuples(index=False):
        scores.loc[u, i] = -np.inf
    recs = model.recommend(k=4)
    assert set(recs.columns) == {USER, ITEM, SCORE, RANK}
    assert recs.groupby(USER).size().eq(4).all() and len(recs) == 4 * len(P)
    assert recs.merge(train, on=[USER, ITEM]).empty  # nothing already seen
    for u, got in recs.groupby(USER):
        expected = scores.loc[u].nlargest(4)
        assert got.sort_values(RANK)[ITEM].tolist() == expected.index.tolist()
        assert got.sort_values(RANK)[SCORE].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-4)
    some = model.recommend([1, 2], k=2)
    assert sorted(some[USER].unique()) == [1, 2] and len(some) == 4
    with pytest.raises(ValueError, match="not in the training data"):
        model.recommend([12345])
    # candidates: ranked from the collected factors, like every other model
    few = model.recommend([1, 2], k=2, items=[100, 101, 102, 103])
    assert set(few[ITEM]) <= {100, 101, 102, 103}
    for u, got in few.groupby(USER):
        expected = scores.loc[u, [100, 101, 102, 103]].nlargest(2)
        expected = expected[np.isfinite(expected)]
        assert got.sort_values(RANK)[ITEM].tolist() == expected.index.tolist()


def test_spark_als_rejects_bad_input(spark):
    with pytest.raises(RuntimeError, match="not fitted"):
        spark_als.SparkALS().predict([1], [2])
    with pytest.raises(ValueError, match="outside"):
        spark_als.SparkALS().fit(low_rank_ratings().assign(rating=10.0))
    with pytest.raises(ValueError, match="at least 1"):
        spark_als.SparkALS(factors=0)
    frame = spark_als.ratings_frame(low_rank_ratings(), spark).withColumnRenamed(RATING, "stars")
    with pytest.raises(ValueError, match=r"lacks columns \['rating'\]"):
        spark_als.SparkALS().fit(frame)


def test_embed_matches_the_single_machine_encoder(spark):
    from llmrec_utils.text.embeddings import Encoder

    texts = ["a soft cotton dress", "runs small, order a size up", "love it", "the zip broke"] * 3
    df = spark.createDataFrame(pd.DataFrame({"id": range(len(texts)), "text": texts})).repartition(3)
    got = spark_text.embed(df, "text").toPandas().sort_values("id")
    vectors = np.stack(got["vector"].to_numpy())
    expected = Encoder.load(precision="float32").encode(texts, progress=False)
    assert vectors.shape == (12, 384)
    assert np.abs(vectors - expected).max() < 1e-5
    with pytest.raises(ValueError, match="no column"):
        spark_text.embed(df, "review")


def test_item_prompts_carry_the_keys_of_the_local_run(spark, tmp_path):
    items = pd.DataFrame({ITEM: [1, 2], "title": ["Toy Story (1995)", "GoldenEye (1995)"],
                          "genres": ["Animation|Comedy", "Action|Thriller"]})  # fmt: skip
    recipe = augment.RECIPES["items"]
    for attempt in (0, 1):
        got = spark_text.item_prompt_frame(spark.createDataFrame(items), attempt, "m").toPandas()
        dec = llm.attempt_decoding(recipe.decoding, attempt)
        jobs = augment.item_jobs(items)
        assert got.set_index(ITEM)["key"].to_dict() == {
            i: llm.cache_key("m", recipe.template, m, dec) for i, m in jobs.items()}
        assert json.loads(got["messages"][0]) == jobs[got[ITEM][0]]
    record = {"key": "k1", "status": "accepted", "text": "{}", "completion_tokens": 3,
              "seconds": 0.5, "value": {"summary": "x"}}  # fmt: skip
    (tmp_path / "c.jsonl").write_text(json.dumps(record) + "\n" + json.dumps(record) + "\n")
    cached = spark_text.cache_frame(tmp_path / "c.jsonl", spark).toPandas()
    assert cached.to_dict("records") == [
        {k: record[k] for k in ("key", "status", "text", "completion_tokens", "seconds")}]
    (tmp_path / "bad.jsonl").write_text('{"key": "k2", "status": "acc\n')
    with pytest.raises(Exception, match="(?i)malformed"):
        spark_text.cache_frame(tmp_path / "bad.jsonl", spark).count()


def test_spark_top_k_exercise_check(spark):
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from llmrec_utils.course import exercises

    def top_k(scores, seen, k, anti=True, desc=True, per_user=True, limit=True,
              number=F.row_number, ties=F.asc):
        if anti:
            scores = scores.join(seen, [USER, ITEM], "left_anti")
        order = Window.partitionBy(USER) if per_user else Window
        by = [F.desc("score") if desc else F.asc("score")] + ([ties(ITEM)] if ties else [])
        order = order.orderBy(*by)
        ranked = scores.withColumn("rank", number().over(order))
        return ranked.where(F.col("rank") <= k) if limit else ranked

    exercises.check_spark_top_k(top_k)
    # the chapter's own solution cell
    chapter = Path(__file__).resolve().parents[1] / "notebooks" / "09_scaling_with_spark.ipynb"
    nb = json.loads(chapter.read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    cell = next(src for src in sources if "def spark_top_k(" in src)
    ns = {"F": F, "USER": USER, "ITEM": ITEM}
    exec(cell, ns)  # noqa: S102 - our own notebook
    exercises.check_spark_top_k(ns["spark_top_k"])
    for wrong, hint in [({"anti": False}, "left_anti"), ({"desc": False}, "descending"),
                        ({"per_user": False}, "partition the window by user"),
                        ({"limit": False}, "rank <= k"),
                        ({"number": F.rank, "ties": None}, "as rank\\(\\) gives them"),
                        ({"number": F.dense_rank, "ties": None},
                         "as dense_rank\\(\\) gives them"),
                        ({"ties": F.desc}, "smaller item id")]:  # fmt: skip
        with pytest.raises(exercises.ExerciseError, match=hint):
            exercises.check_spark_top_k(lambda s, seen, k, kw=wrong: top_k(s, seen, k, **kw))
    for stub, hint in [(lambda s, seen, k: None, "returned None"),
                       (lambda s, seen, k: s.select("nope"), "raised"),
                       (lambda s, seen, k: s.toPandas(), "Spark DataFrame")]:  # fmt: skip
        with pytest.raises(exercises.ExerciseError, match=hint):
            exercises.check_spark_top_k(stub)


def test_cost_lines_recover_known_lines():
    size = np.array([1000, 2000, 4000, 8000])
    times = pd.concat([
        pd.DataFrame({"engine": "book", "n": size, "seconds": 0.5 + 0.002 * size}),
        pd.DataFrame({"engine": "Spark", "n": size, "seconds": 3.0 + 0.0005 * size}),
    ])  # fmt: skip
    lines = spark_costs.cost_lines(times, "n")
    assert np.allclose(lines.loc["book"], [0.5, 2.0]) and np.allclose(lines.loc["Spark"], [3.0, 0.5])
    assert list(lines.columns) == ["fixed s", "s per 1,000"]
