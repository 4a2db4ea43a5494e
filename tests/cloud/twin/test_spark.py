"""Apache Spark reads the lake as it lies, with no converter, and counts a day exactly as the twin does.

The lake is a Hive-partitioned Parquet layout: Spark (local mode, on the
machine's Java) reads the raw event files with ``basePath`` at the lake root,
so ``date`` and ``hour`` come from the folder names, and the rollup tables'
folders and the alert log beside them are never touched. Deduplicated on the
twin's key, Spark's counts per event type and per line and direction equal the
twin's, replayed files included.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cloud.rollup.reconcile import Reconciler
from cloud.rollup.tables import table
from cloud.twin.columns import KEY
from cloud.twin.lake import alert_log
from cloud.twin.listing import LakeFiles
from cloud.twin.twin import Twin
from tests.cloud.twin.conftest import CAMERAS, SHAPE, SITE

DAY = SHAPE.start.date()


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One small local Spark: one core, no web UI, no Hive, a warehouse of its own."""
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[1]").appName("citytwin-lake-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.session.timeZone", "UTC")
        # A few thousand rows: compiling query code and re-planning cost more than they save.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={warehouse}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    # py4j logs its connections closing from finalizers, after pytest has closed the streams it captured.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, clean_lake: Path) -> Path:
    """The synthetic lake with a replayed copy of every fourth file, an alert log, and its rollups beside it."""
    lake = tmp_path_factory.mktemp("spark-lake")
    shutil.copytree(clean_lake, lake, dirs_exist_ok=True)
    for original in sorted(lake.glob("date=*/hour=*/*.parquet"))[::4]:
        shutil.copy(original, original.with_name("replayed-copy.parquet"))
    log = alert_log(lake)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(json.dumps({"id": "a-1", "state": "open"}) + "\n")
    reconciler = Reconciler(lake, LakeFiles(lake))
    try:
        reconciler.run(force=True)
    finally:
        reconciler.close()
    return lake


def raw_files(spark: SparkSession, lake: Path) -> DataFrame:
    """The lake's raw event files as they are, ``date`` and ``hour`` as partition columns."""
    return spark.read.option("basePath", str(lake)).parquet(f"{lake}/date=*/hour=*/*.parquet")


def raw_events(spark: SparkSession, lake: Path, day: date) -> DataFrame:
    """One row per twin key of ``day``: duplicates share their capture time, so filtering first prunes folders."""
    return raw_files(spark, lake).where(F.col("date") == F.lit(day)).dropDuplicates(list(KEY))


def _twin_rows(lake: Path, sql: str, day: date) -> set[tuple[Any, ...]]:
    twin = Twin(lake, SITE, CAMERAS)
    try:
        return {tuple(row) for row in twin.read(sql, {"day": day}).rows}
    finally:
        twin.close()


@pytest.mark.slow
def test_spark_counts_a_day_of_raw_events_as_the_twin_does(spark: SparkSession, lake: Path) -> None:
    day = raw_events(spark, lake, DAY)
    by_type = {(r["type"], r["n"]) for r in day.groupBy("type").agg(F.count("*").alias("n")).collect()}
    twin_by_type = _twin_rows(lake, "SELECT type, count(*) FROM events WHERE date = $day GROUP BY type", DAY)
    assert by_type == twin_by_type
    assert sum(n for _, n in by_type) > 5_000  # a real day of the synthetic city, not an empty match

    crossings = (
        day.where(F.col("type") == "line_crossing")
        .select(F.get_json_object("body", "$.line").alias("line"),
                F.get_json_object("body", "$.direction").alias("direction"))
        .groupBy("line", "direction").agg(F.count("*").alias("n"))
    )
    spark_lines = {(r["line"], r["direction"], r["n"]) for r in crossings.collect()}
    twin_lines = _twin_rows(
        lake, "SELECT line, direction, count(*) FROM crossings WHERE date = $day GROUP BY ALL", DAY)
    assert spark_lines == twin_lines and len(spark_lines) == 4


@pytest.mark.slow
def test_duplicates_are_in_the_files_and_only_the_key_removes_them(spark: SparkSession, lake: Path) -> None:
    files = raw_files(spark, lake).where(F.col("date") == F.lit(DAY))
    per_hour = files.groupBy("hour").agg(F.count("*").alias("rows"), F.countDistinct(*KEY).alias("events"))
    hours = {r["hour"]: (r["rows"], r["events"]) for r in per_hour.collect()}
    assert set(hours) == set(range(24))  # hour=HH is a partition column, read from the folder names
    assert sum(rows for rows, _ in hours.values()) > sum(events for _, events in hours.values())  # replayed copies


@pytest.mark.slow
@pytest.mark.parametrize("name", ["crossings_minute", "crossings_quarter", "crossings_hour", "crossings_day"])
def test_spark_reads_the_crossing_rollups_as_the_twin_counts_them(spark: SparkSession, lake: Path, name: str) -> None:
    """The rollups the reconciler made, read by Spark from their folder alone, sum to the twin's crossings of the day."""
    target = table(name)
    root = lake / "rollups" / target.name
    rollup = spark.read.parquet(str(root))  # Spark discovers the Hive partitions (date=, hour=, month=) itself
    day = rollup.where(F.to_date(F.col("bucket_start")) == F.lit(DAY))
    per_line = (day.groupBy("line", "direction")
                .agg(F.sum("crossings").alias("n")).collect())
    twin_lines = _twin_rows(
        lake, "SELECT line, direction, count(*) FROM crossings WHERE date = $day GROUP BY ALL", DAY)
    assert {(r["line"], r["direction"], r["n"]) for r in per_line} == twin_lines
    first = day.agg(F.date_format(F.min("bucket_start"), "yyyy-MM-dd HH:mm").alias("t")).collect()[0]["t"]
    assert first == f"{DAY.isoformat()} 00:00"  # an instant in UTC (the session's zone), not a local wall time
