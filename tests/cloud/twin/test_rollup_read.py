"""History over rollups: the window's resolution, only its partitions, and sums equal to the files' own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.compute as pc
import pytest

from cloud.rollup.tables import table
from cloud.twin.rollup_read import history, partitions
from cloud.twin.rollup_synth import RollupShape, write
from cloud.twin.sandbox import locked_config

SHAPE = RollupShape(cameras=3, days=40, minute_days=2, start=datetime(2026, 1, 1, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def rollups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rollups")
    write(root, SHAPE)
    return root


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:", config=locked_config(256, 1, tmp_path, 64))


def _truth(root: Path, name: str, start: datetime, end: datetime, camera: str | None = None) -> dict[str, int]:
    """Crossings per direction in [start, end), straight from every file of the table."""
    data = ds.dataset(root / "rollups" / name, format="parquet", partitioning="hive").to_table()
    keep = pc.and_(pc.greater_equal(data["bucket_start"], start), pc.less(data["bucket_start"], end))
    if camera is not None:
        keep = pc.and_(keep, pc.equal(data["camera"], camera))
    rows = data.filter(keep)
    return {d: int(pc.sum(rows.filter(pc.equal(rows["direction"], d))["crossings"]).as_py() or 0) for d in ("in", "out")}


@pytest.mark.parametrize(("window", "resolution"), [
    (timedelta(hours=5), "minute"), (timedelta(days=1), "minute"), (timedelta(days=9), "hour"),
    (timedelta(days=31), "hour"), (timedelta(days=38), "day"),
])
@pytest.mark.parametrize("camera", [None, "cam-1"])
def test_history_reads_the_windows_resolution_and_sums_as_the_files_do(
    rollups: Path, con: duckdb.DuckDBPyConnection, window: timedelta, resolution: str, camera: str | None
) -> None:
    end = SHAPE.end - timedelta(hours=7, minutes=13)  # edges inside a partition, not on its boundary
    start = end - window
    got, rows = history(con, rollups, "crossings", start, end, camera=camera)
    assert got == resolution
    sums = {d: sum(n for _, direction, n in rows if direction == d) for d in ("in", "out")}
    truth = _truth(rollups, f"crossings_{resolution}", start, end, camera)
    assert sums == truth and truth["in"] > 0
    assert all(start <= bucket < end for bucket, _, _ in rows)


def test_occupancy_mean_is_exact_over_the_buckets_it_merges(rollups: Path, con: duckdb.DuckDBPyConnection) -> None:
    start = SHAPE.start + timedelta(days=3)
    _, rows = history(con, rollups, "occupancy", start, start + timedelta(days=7))
    data = ds.dataset(rollups / "rollups" / "occupancy_hour", format="parquet", partitioning="hive").to_table()
    first = data.filter(pc.equal(data["bucket_start"], rows[0][0]))
    assert rows[0][2] == pytest.approx(pc.sum(first["sum_total"]).as_py() / pc.sum(first["samples"]).as_py())
    assert rows[0][1] == pc.max(first["max_total"]).as_py()
    assert len(rows) == 7 * 24


def test_a_window_opens_only_the_partitions_it_covers() -> None:
    start = datetime(2026, 1, 30, 12, tzinfo=timezone.utc)
    folders = partitions(table("crossings_day"), start, start + timedelta(days=40))
    assert [f.name for f in folders] == ["month=2026-01", "month=2026-02", "month=2026-03"]
    assert len(partitions(table("crossings_hour"), start, start + timedelta(days=7))) == 8


def test_history_refuses_a_filter_the_table_lacks(rollups: Path, con: duckdb.DuckDBPyConnection) -> None:
    start = SHAPE.start + timedelta(days=3)
    with pytest.raises(ValueError, match="cannot be narrowed by zone"):
        history(con, rollups, "crossings", start, start + timedelta(days=2), zone="zone-0")
    with pytest.raises(ValueError, match="no history of 'dwell'"):
        history(con, rollups, "dwell", start, start + timedelta(days=2))
