"""The twin reads the lake in place: newest values across days, late files, the range, and what a reopen costs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloud.twin import listing
from cloud.twin.twin import Twin
from cloud.twin.daily import ZONES
from cloud.twin.settings import TwinSettings
from cloud.twin.synth import SCHEMA, write_table
from tests.cloud.twin.conftest import CAMERAS, SITE

DAY1 = datetime(2026, 3, 1, 10, tzinfo=timezone.utc)


def _occupancy(at: datetime, zone: str, total: int, seq: int, camera: str = "cam-0") -> dict[str, Any]:
    node = f"city-{camera}"
    return {"event_id": f"{node}:{seq}", "site": "city", "camera": camera, "node": node, "seq": seq, "ts": at,
            "type": "zone_occupancy", "body": json.dumps({"zone": zone, "total": total, "by_class": {"person": total}})}


def _health(at: datetime, seq: int, camera: str = "cam-0") -> dict[str, Any]:
    node = f"city-{camera}"
    return {"event_id": f"{node}:{seq}", "site": "city", "camera": camera, "node": node, "seq": seq, "ts": at,
            "type": "node_health", "body": json.dumps({"fps": 9.0 + seq % 2, "stage_ms": {}, "frames": 1,
                                                        "dropped_frames": 0, "cpu_percent": 50.0, "rss_mb": 1.0,
                                                        "temperature_c": None, "spool_depth": 0, "spool_dropped": 0,
                                                        "uptime_s": 1.0})}


def _put(lake: Path, rows: list[dict[str, Any]], name: str) -> Path:
    hour = rows[0]["ts"].replace(minute=0, second=0, microsecond=0)
    return write_table(lake, hour, pa.Table.from_pylist(rows, schema=SCHEMA), name)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """Five days: zone-a and node cam-0 report on day 1 only; zone-b every day."""
    lake = tmp_path / "lake"
    _put(lake, [_occupancy(DAY1, "zone-a", 7, 1), _health(DAY1, 2)], "day1.parquet")
    for day in range(5):
        at = DAY1 + timedelta(days=day, hours=1)
        _put(lake, [_occupancy(at, "zone-b", day, 100 + day, camera="cam-1")], f"b{day}.parquet")
    return lake


def test_a_zone_last_seen_days_ago_keeps_its_value(lake: Path) -> None:
    twin = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=lake.parent / "state"))
    try:
        state = twin.state_at(DAY1 + timedelta(days=4, hours=5))
        assert state.zones == {("city", "cam-0", "zone-a"): 7, ("city", "cam-1", "zone-b"): 4}
        assert set(state.nodes) == {"city-cam-0"}
        assert twin.since(ZONES, DAY1 + timedelta(days=4, hours=5)) == DAY1.date()
        before = twin.state_at(DAY1 - timedelta(minutes=1))
        assert before.zones == {} and before.nodes == {}
    finally:
        twin.close()


def test_a_late_file_for_an_earlier_day_is_seen_at_the_next_refresh(lake: Path) -> None:
    twin = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=lake.parent / "state"))
    try:
        at = DAY1 + timedelta(days=4, hours=5)
        assert twin.state_at(at).zones[("city", "cam-0", "zone-a")] == 7  # the per-day answers are now kept
        _put(lake, [_occupancy(DAY1 + timedelta(days=2, hours=3), "zone-a", 3, 50)], "late.parquet")
        _put(lake, [_occupancy(DAY1 + timedelta(days=1, hours=3), "zone-c", 5, 60, camera="cam-2")], "late.parquet")
        twin.refresh()
        assert twin.state_at(at).zones == {("city", "cam-0", "zone-a"): 3, ("city", "cam-1", "zone-b"): 4,
                                           ("city", "cam-2", "zone-c"): 5}
        assert twin.span()[2] == 9
    finally:
        twin.close()


def test_a_late_file_moves_the_first_day_to_read_back(lake: Path) -> None:
    """Per-day answers are kept by each day's listing: a file arriving late for a closed day is read."""
    (lake / f"date={DAY1:%Y-%m-%d}" / "hour=10" / "day1.parquet").unlink()
    twin = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=lake.parent / "state"))
    try:
        at = DAY1 + timedelta(days=4, hours=5)
        assert twin.state_at(at).zones == {("city", "cam-1", "zone-b"): 4}
        assert twin.since(ZONES, at) == at.date()  # zone-b reported earlier that day: one day is read
        _put(lake, [_occupancy(DAY1 + timedelta(days=1, hours=3), "zone-c", 5, 60, camera="cam-2")], "late.parquet")
        twin.refresh()
        assert twin.state_at(at).zones == {("city", "cam-1", "zone-b"): 4, ("city", "cam-2", "zone-c"): 5}
    finally:
        twin.close()


def test_the_range_counts_each_event_once_with_the_tail(lake: Path) -> None:
    _put(lake, [_occupancy(DAY1, "zone-a", 7, 1), _health(DAY1, 2)], "replayed.parquet")
    twin = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=lake.parent / "state"))
    try:
        first, last, events = twin.span()
        assert (first, last, events) == (DAY1, DAY1 + timedelta(days=4, hours=1), 7)
    finally:
        twin.close()


def test_a_reopen_judges_no_file_again(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = TwinSettings(state_dir=lake.parent / "state")
    Twin(lake, SITE, CAMERAS, settings=settings).close()
    judged: list[Path] = []
    real = listing.judge
    monkeypatch.setattr(listing, "judge", lambda path, data=False: judged.append(path) or real(path, data))
    twin = Twin(lake, SITE, CAMERAS, settings=settings)
    try:
        assert judged == [] and len(twin.files.list()) == 6
        changed = _put(lake, [_occupancy(DAY1, "zone-a", 8, 1)], "day1.parquet")  # rewritten: judged again
        twin.refresh()
        assert judged == [changed]
    finally:
        twin.close()


def test_the_trusted_connection_has_the_configured_limits(lake: Path, tmp_path: Path) -> None:
    settings = TwinSettings(memory_limit_mb=300, threads=1, spill_dir=tmp_path / "spill", state_dir=tmp_path / "state")
    twin = Twin(lake, SITE, CAMERAS, settings=settings)
    try:
        memory, threads = twin.read("SELECT current_setting('memory_limit'), current_setting('threads')").rows[0]
        assert memory.replace(" ", "") in ("300.0MiB", "300MiB", "314.5MB") and int(threads) == 1
        assert twin.folder.parent == tmp_path / "spill"
        with pytest.raises(Exception, match="locked|configuration"):
            twin.read("SET memory_limit = '100GB'")
    finally:
        twin.close()
    assert not twin.folder.exists()
    with pytest.raises(ValueError, match="cloud.twin.spill_dir .* is inside the lake"):
        Twin(lake, SITE, CAMERAS, settings=TwinSettings(spill_dir=lake / "spill"))


@pytest.mark.parametrize("removed", ["merged", "dropped"])
def test_files_removed_since_the_listing_are_listed_again_not_judged(
        lake: Path, removed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A compaction (or retention) between a listing and a query: the query sees the lake as it is now."""
    twin = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=lake.parent / "state"))
    try:
        judged: list[Path] = []
        recheck = twin.files.recheck
        monkeypatch.setattr(twin.files, "recheck", lambda files: judged.extend(files) or recheck(files))
        folder = lake / f"date={DAY1:%Y-%m-%d}" / "hour=11"
        inputs = sorted(folder.glob("*.parquet"))
        rows = pa.concat_tables([pq.read_table(p, schema=SCHEMA) for p in inputs])
        for path in inputs:  # the listing still names them
            path.unlink()
        if removed == "merged":
            pq.write_table(rows, folder / "merged.parquet")
        assert twin.span()[2] == (7 if removed == "merged" else 6)
        assert judged == []  # no file's data was read to find a culprit
        assert twin.files.recheck(inputs) == []  # a file that is gone is not judged bad: there is nothing to judge
        assert twin.state_at(DAY1 + timedelta(days=4, hours=5)).zones[("city", "cam-1", "zone-b")] == 4
    finally:
        twin.close()


def test_a_newest_value_question_reads_back_to_the_hour_that_holds_it(lake: Path) -> None:
    (lake / f"date={DAY1:%Y-%m-%d}" / "hour=10" / "day1.parquet").unlink()  # zone-b alone, every day at 11:00
    twin = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=lake.parent / "state"))
    try:
        at = DAY1 + timedelta(days=4, hours=5)
        hours = twin.hours_since(ZONES, at)
        assert hours == f"((date = DATE '{DAY1 + timedelta(days=4):%Y-%m-%d}' AND hour IN ('11')))"
        sql = f"SELECT zone, arg_max(total, ts) FROM occupancy WHERE ts <= $at AND {hours} GROUP BY ALL"
        assert twin.read(sql, {"at": at}).rows == [("zone-b", 4)]
    finally:
        twin.close()


@pytest.mark.parametrize(("start", "end", "kept"), [
    (DAY1 + timedelta(hours=1), DAY1 + timedelta(hours=1), 1),  # an event at exactly ``end``, on an hour's edge
    (DAY1, DAY1 + timedelta(hours=1, microseconds=-1), 1),  # the hour before that edge alone
    (DAY1, DAY1 + timedelta(hours=1), 2),
    (DAY1 - timedelta(days=30), DAY1 + timedelta(days=400), 6),  # a window far wider than the lake
    (DAY1 + timedelta(days=1), DAY1, 0),  # an empty window
])
def test_hours_between_keeps_both_ends(lake: Path, start: datetime, end: datetime, kept: int) -> None:
    twin = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=lake.parent / "state"))
    try:
        sql = f"SELECT count(*) FROM occupancy WHERE {twin.hours_between(start, end)}"
        assert twin.read(sql).rows == [(kept,)]
    finally:
        twin.close()


_FAR = (datetime(1, 1, 1, tzinfo=timezone.utc), datetime(1969, 12, 31, tzinfo=timezone.utc),
        datetime(2200, 1, 1, 0, 0, 1, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc))
_EDGE = (datetime(1970, 1, 2, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc))


def _asks(name: str, at: datetime) -> list[dict[str, Any]]:
    """Every way ``at`` can reach query ``name``: as each of its instants, the other one the lake's first day."""
    from cloud.twin.named import QUERIES

    given = [p for p in QUERIES[name].params if p in ("t1", "t2", "now")]
    base: dict[str, Any] = {"zone": "zone-a", "after_s": 60, "t1": DAY1, "t2": DAY1 + timedelta(days=1), "now": DAY1}
    return [{**{k: base[k] for k in QUERIES[name].params}, p: at} for p in given]


@pytest.mark.parametrize("at", _FAR + _EDGE)
def test_an_instant_at_the_ends_of_the_calendar_is_refused_by_name_or_answered(lake: Path, at: datetime) -> None:
    """The windows reach past what they are given; no instant may make that overflow into a crash."""
    from cloud.twin.named import QUERIES

    twin = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=lake.parent / "state"))
    try:
        calls: list[tuple[str, Any]] = [("at", lambda: twin.state_at(at))]
        for name in QUERIES:
            calls += [(next(k for k, v in params.items() if v is at), lambda n=name, p=params: twin.named(n, **p))
                      for params in _asks(name, at)]
        for param, call in calls:
            if at in _FAR:
                with pytest.raises(ValueError, match=f"^{param} must be between 1970 and 2200"):
                    call()
            else:
                call()  # answered, however empty
    finally:
        twin.close()
