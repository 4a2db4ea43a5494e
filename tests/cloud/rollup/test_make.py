"""Rollups made from the raw lake are exact at every resolution, whatever duplicates or damaged files it holds."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cloud.rollup import make
from cloud.rollup.sources import Recorded
from cloud.rollup.tables import DWELL_EDGES_S, META_VERSION, VERSION
from tests.cloud.rollup.support import brute, raw_totals, rolled_copy, rollup, totals


# Each resolution's bucket of a raw ``ts``, written here from epoch seconds, not with the code under test.
_BUCKET = {"minute": "date_trunc('minute', ts)", "quarter": "to_timestamp(floor(epoch(ts) / 900) * 900)",
           "hour": "date_trunc('hour', ts)", "day": "date_trunc('day', ts)"}


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory, messy_lake: Path) -> Path:
    lake = rolled_copy(messy_lake, tmp_path_factory.mktemp("rolled") / "lake")
    assert len(list((lake / "rollups" / "crossings_minute").glob("date=*/hour=*/part.parquet"))) == 48
    return lake


@pytest.mark.parametrize(("resolution", "least"), [("minute", 1000), ("quarter", 500)])
def test_crossings_are_the_deduplicated_raw_counts(rolled: Path, resolution: str, least: int) -> None:
    want = brute(rolled, f"SELECT {_BUCKET[resolution]} AS b, site, camera, line, direction, object_class, count(*) "
                         "FROM raw WHERE type = 'line_crossing' GROUP BY ALL ORDER BY ALL")
    got = rollup(rolled, f"crossings_{resolution}", "SELECT * FROM t ORDER BY ALL")
    assert got == want and len(got) > least


def test_quarters_start_on_the_quarter_hour(rolled: Path) -> None:
    minutes = rollup(rolled, "crossings_quarter", "SELECT DISTINCT minute(bucket_start), second(bucket_start) FROM t ORDER BY ALL")
    assert minutes == [(0, 0), (15, 0), (30, 0), (45, 0)]


@pytest.mark.parametrize("resolution", ["minute", "quarter", "hour", "day"])
def test_occupancy_at_every_resolution_matches_raw(rolled: Path, resolution: str) -> None:
    want = brute(rolled, f"SELECT {_BUCKET[resolution]}, camera, zone, max(total), sum(total), count(total), "
                         "max(ts) FROM raw WHERE type = 'zone_occupancy' GROUP BY ALL ORDER BY ALL")
    got = rollup(rolled, f"occupancy_{resolution}",
                 "SELECT bucket_start, camera, zone, max_total, sum_total, samples, last_ts FROM t ORDER BY ALL")
    assert got == want


def test_the_last_occupancy_is_the_newest_report(rolled: Path) -> None:
    want = brute(rolled, "SELECT camera, zone, arg_max(total, (ts, event_id)) FROM raw WHERE type = 'zone_occupancy' "
                         "AND date_trunc('day', ts) = TIMESTAMPTZ '2026-01-01' GROUP BY ALL ORDER BY ALL")
    got = rollup(rolled, "occupancy_day", "SELECT camera, zone, last_total FROM t "
                                           "WHERE bucket_start = TIMESTAMPTZ '2026-01-01' ORDER BY ALL")
    assert got == want


def test_the_mean_over_any_buckets_is_exact(rolled: Path) -> None:
    want = brute(rolled, "SELECT zone, round(avg(total), 9) FROM raw WHERE type = 'zone_occupancy' "
                         "AND ts >= TIMESTAMPTZ '2026-01-01 05:00' AND ts < TIMESTAMPTZ '2026-01-02 17:00' GROUP BY ALL ORDER BY ALL")
    got = rollup(rolled, "occupancy_hour", "SELECT zone, round(sum(sum_total) / sum(samples), 9) FROM t "
                                            "WHERE bucket_start >= TIMESTAMPTZ '2026-01-01 05:00' "
                                            "AND bucket_start < TIMESTAMPTZ '2026-01-02 17:00' GROUP BY ALL ORDER BY ALL")
    assert got == want


@pytest.mark.parametrize("resolution", ["minute", "quarter", "day"])
def test_the_dwell_histogram_bins_every_stay_once(rolled: Path, resolution: str) -> None:
    edges = (0.0, *DWELL_EDGES_S, 1e18)
    bins = ", ".join(f"count(*) FILTER (WHERE seconds >= {lo} AND seconds < {hi})" for lo, hi in zip(edges, edges[1:]))
    want = brute(rolled, f"SELECT {_BUCKET[resolution]}, camera, zone, count(*), round(sum(seconds), 6), [{bins}] "
                         "FROM raw WHERE type = 'dwell' GROUP BY ALL ORDER BY ALL")
    got = rollup(rolled, f"dwell_{resolution}",
                 "SELECT bucket_start, camera, zone, dwells, round(total_s, 6), histogram FROM t ORDER BY ALL")
    assert got == want
    assert all(sum(row[5]) == row[3] for row in got)


@pytest.mark.parametrize("resolution", ["quarter", "hour"])
def test_health_matches_raw(rolled: Path, resolution: str) -> None:
    want = brute(rolled, f"SELECT {_BUCKET[resolution]}, node, count(*), round(sum(fps), 6), min(fps), max(ts), "
                         "arg_max(fps, (ts, event_id)) FROM raw WHERE type = 'node_health' GROUP BY ALL ORDER BY ALL")
    got = rollup(rolled, f"health_{resolution}", "SELECT bucket_start, node, reports, round(fps_sum, 6), fps_min, last_ts, "
                                                 "last_fps FROM t ORDER BY ALL")
    assert got == want and got


def test_day_tables_hold_the_whole_lake_once(rolled: Path) -> None:
    assert totals(rolled) == raw_totals(rolled)


def test_each_file_records_its_version_and_sources(rolled: Path) -> None:
    minute = pq.read_schema(make.path_of(rolled, "crossings_minute", date(2026, 1, 1), 3)).metadata
    assert minute[META_VERSION] == str(VERSION).encode()
    recorded = Recorded.of(minute)
    assert recorded is not None and list(recorded.hours) == ["2026-01-01/03"]
    listed = sorted(p.name for p in (rolled / "date=2026-01-01" / "hour=03").glob("*.parquet") if p.name != "half-written.parquet")
    assert [name for name, _ in recorded.files] == listed
    month = Recorded.of(pq.read_schema(make.path_of(rolled, "dwell_day", date(2026, 1, 1))).metadata)
    assert month is not None and len(month.hours) == 48
    quarter = Recorded.of(pq.read_schema(make.path_of(rolled, "health_quarter", date(2026, 1, 2))).metadata)
    assert quarter is not None and sorted(quarter.hours) == [f"2026-01-02/{h:02d}" for h in range(24)]


def test_rows_are_sorted_by_bucket_and_keys(rolled: Path) -> None:
    rows = rollup(rolled, "crossings_hour", "SELECT bucket_start, site, camera, line, direction, object_class FROM t")
    assert rows == sorted(rows) and len(rows) > 10


def test_a_crash_mid_write_leaves_the_old_file(rolled: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(rolled, lake)
    target = make.path_of(lake, "crossings_hour", date(2026, 1, 1))
    before = target.read_bytes()

    def dies(writer: object, table: object, **_kw: object) -> None:  # the header is written: half a file
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr("cloud.sink.writer.pq.ParquetWriter.write_table", dies)
    maker = make.Maker(lake)
    with pytest.raises(KeyboardInterrupt):
        maker.coarser("hour", date(2026, 1, 1))
    maker.close()
    assert target.read_bytes() == before
    assert not [p for p in target.parent.iterdir() if p.name != target.name]
