"""The one history reader: rollups where exact, raw elsewhere, the coarsest tables first, only the files it needs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import shutil

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from cloud.twin.history import _gaps, chart, resolutions
from cloud.twin.rollup_synth import RollupShape, write
from cloud.twin.twin import Twin
from tests.cloud.rollup.support import rolled_then_changed
from tests.cloud.twin.conftest import CAMERAS, SITE, clean_lake, messy_lake

__all__ = ["clean_lake", "messy_lake"]

UTC = timezone.utc
SYNTH = RollupShape(cameras=3, days=40, minute_days=2, start=datetime(2026, 1, 1, tzinfo=UTC))
_RAW = {
    "crossings": ("SELECT time_bucket($size, ts) AS b, count(*) FILTER (WHERE direction = 'in'), "
                  "count(*) FILTER (WHERE direction = 'out') FROM crossings WHERE ts >= $start AND ts < $end {extra} "
                  "GROUP BY ALL ORDER BY b"),
    "occupancy": ("SELECT time_bucket($size, ts) AS b, max(total), sum(total) / count(total) FROM occupancy "
                  "WHERE ts >= $start AND ts < $end {extra} GROUP BY ALL ORDER BY b"),
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, messy_lake: Path) -> Path:
    return rolled_then_changed(messy_lake, tmp_path_factory.mktemp("reader") / "lake")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    write(root, SYNTH)
    return root


def _rounded(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in rows]


@pytest.mark.parametrize(("kind", "bucket", "start", "end", "narrow"), [
    ("crossings", timedelta(minutes=15), "2026-01-01T10:07:00", "2026-01-01T19:00:00", {}),
    ("crossings", timedelta(hours=1), "2026-01-01T03:20:00", "2026-01-02T22:00:00", {"camera": "cam-1"}),
    ("crossings", timedelta(days=1), "2025-12-01T00:00:00", "2026-02-05T00:00:00", {}),
    ("crossings", timedelta(days=1), "2026-01-01T05:00:00", "2026-01-03T00:00:00", {"line": "line-1"}),
    ("crossings", timedelta(seconds=30), "2026-01-01T13:00:00", "2026-01-01T14:00:00", {"camera": "cam-2"}),
    ("crossings", timedelta(minutes=45), "2026-01-01T02:10:00", "2026-01-02T21:00:00", {"camera": "cam-0"}),
    ("occupancy", timedelta(minutes=90), "2026-01-01T02:00:00", "2026-01-02T23:59:00", {}),
    ("occupancy", timedelta(hours=6), "2026-01-01T00:00:00", "2026-01-03T00:00:00", {"zone": "zone-1"}),
    ("occupancy", timedelta(days=1), "2026-01-01T00:00:00", "2026-01-03T00:00:00", {"camera": "cam-0"}),
])
def test_a_chart_is_the_raw_answer(lake: Path, kind: str, bucket: timedelta, start: str, end: str,
                                   narrow: dict[str, str]) -> None:
    twin = Twin(lake, SITE, CAMERAS)
    t1, t2 = (datetime.fromisoformat(x).replace(tzinfo=UTC) for x in (start, end))
    got = chart(twin, kind, t1, t2, bucket, **narrow)
    extra = "".join(f" AND {k} = ${k}" for k in narrow)
    want = twin.read(_RAW[kind].format(extra=extra), {"start": t1, "end": t2, "size": bucket, **narrow}).rows
    assert _rounded(got.rows) == _rounded(want) and want
    assert got.columns[0] == "bucket_start"
    allowed = [f"{kind}_{r}" for r in resolutions(bucket)]  # coarsest first
    assert got.tables == tuple(t for t in allowed if t in got.tables)
    assert bool(got.tables) == bool(allowed)  # the rollups did part of the work wherever they can
    twin.close()


def test_the_coarsest_table_answers_and_finer_ones_only_what_it_left(lake: Path) -> None:
    twin = Twin(lake, SITE, CAMERAS)
    start, end = datetime(2026, 1, 1, 5, 30, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    got = chart(twin, "crossings", start, end, timedelta(days=1))
    # 2026-01-02 whole from the day table; 06:00.. of the first day from hours (13:00 is stale: raw), 05:30..06:00
    # from the minute table.
    assert got.tables == ("crossings_day", "crossings_hour", "crossings_minute")
    twin.close()


def test_a_year_of_days_opens_no_minute_file_and_sums_as_the_files_do(synthetic: Path) -> None:
    twin = Twin(synthetic, SITE, CAMERAS)
    start = SYNTH.start + timedelta(days=2, hours=7, minutes=13)  # edges inside a partition, not on its boundary
    end = SYNTH.end - timedelta(hours=3)
    got = chart(twin, "crossings", start, end, timedelta(days=1), camera="cam-1")
    assert got.tables == ("crossings_day", "crossings_hour")
    whole = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), UTC)
    last = datetime.combine(end.date(), datetime.min.time(), UTC)
    # Whole days from the day table, the whole hours around them from the hour table, 07:13-08:00 from raw.
    parts = [("crossings_day", whole, last), ("crossings_hour", start.replace(minute=0) + timedelta(hours=1), whole),
             ("crossings_hour", last, end)]
    truth = 0
    for name, lo, hi in parts:
        data = ds.dataset(synthetic / "rollups" / name, format="parquet", partitioning="hive").to_table()
        keep = pc.and_(pc.and_(pc.greater_equal(data["bucket_start"], lo), pc.less(data["bucket_start"], hi)),
                       pc.equal(data["camera"], "cam-1"))
        truth += int(pc.sum(data.filter(keep)["crossings"]).as_py())
    assert sum(i + o for _, i, o in got.rows) == truth > 0  # the raw hours hold health reports, no crossings
    assert len(got.rows) == (end.date() - start.date()).days + 1
    twin.close()


def _raw_answer(twin: Twin, kind: str, start: datetime, end: datetime, size: timedelta) -> list[tuple[object, ...]]:
    return twin.read(_RAW[kind].format(extra=""), {"start": start, "end": end, "size": size}).rows


def test_a_day_of_quarter_hours_reads_the_quarter_table_alone(lake: Path) -> None:
    twin = Twin(lake, SITE, CAMERAS)
    start, end, size = datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC), timedelta(minutes=15)
    for kind in ("crossings", "occupancy"):
        got = chart(twin, kind, start, end, size)
        assert got.tables == (f"{kind}_quarter",)  # every hour of the day exact: no minute file, no raw hour
        assert _rounded(got.rows) == _rounded(_raw_answer(twin, kind, start, end, size)) and len(got.rows) == 96
    twin.close()


def test_hours_the_quarter_table_lacks_are_read_from_minutes(lake: Path, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    shutil.copytree(lake, root)
    shutil.rmtree(root / "rollups" / "crossings_quarter" / "date=2026-01-02")  # not made yet, or removed
    twin = Twin(root, SITE, CAMERAS)
    start, end, size = datetime(2026, 1, 1, 18, tzinfo=UTC), datetime(2026, 1, 2, 6, tzinfo=UTC), timedelta(minutes=30)
    got = chart(twin, "crossings", start, end, size)
    assert got.tables == ("crossings_quarter", "crossings_minute")
    assert got.rows == _raw_answer(twin, "crossings", start, end, size) and len(got.rows) == 24
    twin.close()


def test_a_day_of_quarters_sums_as_the_quarter_files_do(synthetic: Path) -> None:
    twin = Twin(synthetic, SITE, CAMERAS)
    start = SYNTH.start + timedelta(days=5, hours=7, minutes=13)  # far from the minute tables' newest days
    got = chart(twin, "crossings", start, start + timedelta(days=1), timedelta(minutes=15), camera="cam-2")
    assert got.tables == ("crossings_quarter",)
    lo, hi = start.replace(minute=0) + timedelta(hours=1), start.replace(minute=0) + timedelta(days=1)
    data = ds.dataset(synthetic / "rollups" / "crossings_quarter", format="parquet", partitioning="hive").to_table()
    keep = pc.and_(pc.and_(pc.greater_equal(data["bucket_start"], lo), pc.less(data["bucket_start"], hi)),
                   pc.equal(data["camera"], "cam-2"))
    assert sum(i + o for _, i, o in got.rows) == int(pc.sum(data.filter(keep)["crossings"]).as_py()) > 0
    assert len(got.rows) == 92  # the whole hours' quarters; the ragged edges are raw, which holds no crossings
    twin.close()


def test_gaps_are_the_hours_left_clipped_to_the_window() -> None:
    start, end = datetime(2026, 1, 1, 5, 30, tzinfo=UTC), datetime(2026, 1, 1, 10, 15, tzinfo=UTC)
    held = {datetime(2026, 1, 1, h, tzinfo=UTC) for h in (7, 8)}
    assert _gaps(start, end, held) == [(start, datetime(2026, 1, 1, 7, tzinfo=UTC)),
                                       (datetime(2026, 1, 1, 9, tzinfo=UTC), end)]
    assert _gaps(start, end, set()) == [(start, end)]


@pytest.mark.parametrize(("size", "want"), [
    (timedelta(minutes=15), ("quarter", "minute")), (timedelta(hours=1), ("hour", "quarter", "minute")),
    (timedelta(minutes=90), ("quarter", "minute")), (timedelta(days=1), ("day", "hour", "quarter", "minute")),
    (timedelta(hours=6), ("hour", "quarter", "minute")), (timedelta(seconds=30), ()), (timedelta(seconds=90), ()),
    (timedelta(days=7), ("day", "hour", "quarter", "minute")), (timedelta(minutes=5), ("minute",)),
    (timedelta(minutes=20), ("minute",)), (timedelta(minutes=45), ("quarter", "minute")),
])
def test_the_tables_read_divide_the_bucket(size: timedelta, want: tuple[str, ...]) -> None:
    assert resolutions(size) == want


def test_a_chart_refuses_a_filter_its_kind_lacks(lake: Path) -> None:
    twin = Twin(lake, SITE, CAMERAS)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="cannot be narrowed by zone"):
        chart(twin, "crossings", start, start + timedelta(days=1), timedelta(hours=1), zone="zone-0")
    with pytest.raises(ValueError, match="no history of 'dwell'"):
        chart(twin, "dwell", start, start + timedelta(days=1), timedelta(hours=1))
    twin.close()
