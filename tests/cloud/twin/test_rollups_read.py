"""The twin reads rollups only where they are exact: the answers are the raw ones whatever the reconciler has done."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cloud.twin.twin import Twin
from tests.cloud.rollup.support import rolled_copy
from tests.cloud.twin.conftest import CAMERAS, SITE

T1, T2 = datetime(2026, 1, 1, 3, 30, tzinfo=timezone.utc), datetime(2026, 1, 2, 20, 15, tzinfo=timezone.utc)
_RAW = {
    "flow_per_line_per_hour": (
        "SELECT make_timestamptz(year(date), month(date), day(date), CAST(hour AS INTEGER), 0, 0, 'UTC'), "
        "site, camera, line, direction, count(*) FROM crossings WHERE ts >= $t1 AND ts < $t2 GROUP BY ALL ORDER BY ALL"),
    "busiest_zones": (
        "SELECT site, camera, zone, max(total) AS p, avg(total) AS m, count(*) FROM occupancy WHERE ts >= $t1 AND ts < $t2 "
        "GROUP BY ALL ORDER BY p DESC, m DESC, site, camera, zone LIMIT 10"),
}


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory, messy_lake: Path) -> Path:
    return rolled_copy(messy_lake, tmp_path_factory.mktemp("rolled-read") / "lake")


def _same(twin: Twin, name: str) -> None:
    got = twin.named(name, t1=T1, t2=T2).rows
    want = twin.read(_RAW[name], {"t1": T1, "t2": T2}).rows
    assert [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in got] == \
        [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in want]
    assert got


@pytest.mark.parametrize("name", sorted(_RAW))
def test_named_queries_over_rollups_are_the_raw_answers(rolled: Path, name: str) -> None:
    twin = Twin(rolled, SITE, CAMERAS)
    assert len(twin.exact("crossings_hour", T1, T2)) == 40  # 04:00 on the first day to 20:00 on the second
    _same(twin, name)
    twin.close()


@pytest.mark.parametrize("name", sorted(_RAW))
def test_an_hour_changed_after_its_rollup_is_read_from_raw(rolled: Path, tmp_path: Path, name: str) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(rolled, lake)
    folder = lake / "date=2026-01-01" / "hour=10"
    original = next(p for p in folder.glob("*.parquet") if p.name == "synthetic.parquet")
    rows = pq.read_table(original)
    pq.write_table(rows.slice(0, rows.num_rows // 2), original)  # a rewrite the reconciler has not seen yet
    twin = Twin(lake, SITE, CAMERAS)
    hours = twin.exact("crossings_hour", T1, T2)
    assert datetime(2026, 1, 1, 10, tzinfo=timezone.utc) not in hours and len(hours) == 39
    assert twin.exact("crossings_day", T1, datetime(2026, 1, 3, tzinfo=timezone.utc)) == \
        [datetime(2026, 1, 2, tzinfo=timezone.utc)]
    _same(twin, name)
    twin.close()


def test_typed_sql_reads_the_rollup_tables(rolled: Path) -> None:
    twin = Twin(rolled, SITE, CAMERAS)
    rolled_total = twin.query("SELECT sum(crossings) FROM crossings_day").rows[0][0]
    assert rolled_total == twin.query("SELECT count(*) FROM crossings").rows[0][0]
    assert twin.query("SELECT count(DISTINCT hour) FROM crossings_minute WHERE date = DATE '2026-01-02'").rows == [(24,)]
    twin.close()


def test_an_hour_the_tail_touches_is_read_from_raw(rolled: Path) -> None:
    from cloud.twin.tail import TailBuffer
    from edge.events.factory import EventFactory

    tail = TailBuffer()
    factory = EventFactory("city", "cam-0", "city-cam-0", iter(range(10**9, 10**9 + 10)).__next__)
    at = datetime(2026, 1, 2, 6, 20, tzinfo=timezone.utc)
    for _ in range(3):
        tail.add(factory.make("line_crossing", at, {"line": "line-0", "direction": "in", "object_class": "person", "track_id": 1}))
    plain, tailed = Twin(rolled, SITE, CAMERAS), Twin(rolled, SITE, CAMERAS, tail=tail)
    hour = datetime(2026, 1, 2, 6, tzinfo=timezone.utc)
    assert hour in plain.exact("crossings_hour", T1, T2) and hour not in tailed.exact("crossings_hour", T1, T2)
    day = datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert tailed.exact("crossings_day", day, day + timedelta(days=1)) == []
    total = [sum(r[-1] for r in t.named("flow_per_line_per_hour", t1=T1, t2=T2).rows) for t in (plain, tailed)]
    assert total[1] == total[0] + 3
    flows = [t.state_at(at + timedelta(minutes=1)).flow for t in (plain, tailed)]
    assert flows[1][("city", "cam-0", "line-0", "in")] == flows[0].get(("city", "cam-0", "line-0", "in"), 0) + 3
    _same(tailed, "busiest_zones")
    plain.close()
    tailed.close()


_OFFLINE_RAW = (
    "SELECT site, camera, node, max(ts) AS last_seen FROM health WHERE ts >= $now - INTERVAL 1 DAY AND ts <= $now "
    "GROUP BY ALL HAVING max(ts) < $now - to_seconds(CAST($after_s AS DOUBLE)) ORDER BY last_seen, site, camera, node")


@pytest.mark.parametrize("after_s", [30, 3600, 6 * 3600])
@pytest.mark.parametrize("now", [datetime(2026, 1, 2, 18, 20, 7, tzinfo=timezone.utc),  # inside the lake
                                 datetime(2026, 1, 3, 2, 10, tzinfo=timezone.utc)])  # after its last report
def test_nodes_offline_over_health_rollups_is_the_raw_answer(rolled: Path, now: datetime, after_s: int) -> None:
    twin = Twin(rolled, SITE, CAMERAS)
    assert len(twin.exact("health_hour", now - timedelta(days=1), now)) in (23, 21)
    got = twin.named("nodes_offline", now=now, after_s=after_s).rows
    assert got == twin.read(_OFFLINE_RAW, {"now": now, "after_s": after_s}).rows
    if now.day == 3 and after_s <= 3600:
        assert len(got) == len(CAMERAS)  # every node has gone quiet since the lake's end
    twin.close()


def test_nodes_offline_names_a_now_that_is_not_a_time(rolled: Path) -> None:
    twin = Twin(rolled, SITE, CAMERAS)
    with pytest.raises(ValueError, match="'now' must be a time"):
        twin.named("nodes_offline", now="yesterday", after_s=30)
    twin.close()


_ENTERING_RAW = (
    "SELECT count(*) FROM (SELECT DISTINCT node, track_id FROM dwell WHERE zone = $zone AND object_class = 'person' "
    "AND entered >= $t1 AND entered < $t2 AND date BETWEEN CAST($t1 AS DATE) AND CAST($t2 AS DATE) + 1)")


@pytest.mark.parametrize(("t1", "hours"), [(datetime(2026, 1, 1, 5, 17, tzinfo=timezone.utc), 4),
                                           (datetime(2026, 1, 1, 22, 0, tzinfo=timezone.utc), 3),
                                           (datetime(2026, 1, 2, 20, 40, tzinfo=timezone.utc), 9)])
def test_people_entering_a_zone_over_pruned_hours_is_the_raw_answer(rolled: Path, t1: datetime, hours: int) -> None:
    twin = Twin(rolled, SITE, CAMERAS)
    for zone in ("zone-0", "zone-1", "no-such-zone"):
        params = {"zone": zone, "t1": t1, "t2": t1 + timedelta(hours=hours)}
        got = twin.named("people_entering_zone", **params).rows
        assert got == twin.read(_ENTERING_RAW, params).rows
        assert got[0][0] > 0 or zone == "no-such-zone"
    twin.close()


def test_only_the_hours_that_may_hold_an_entry_are_read(rolled: Path) -> None:
    from cloud.twin.named import _no_entries

    twin = Twin(rolled, SITE, CAMERAS)
    t1 = datetime(2026, 1, 1, 5, 17, tzinfo=timezone.utc)
    t2 = t1 + timedelta(hours=4)
    exact = twin.exact("dwell_hour", datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 3, tzinfo=timezone.utc))
    assert len(exact) > 40
    unread = _no_entries(lambda sql, p: twin.read(sql, p).rows, {"zone": "zone-0", "t1": t1, "t2": t2}, exact)
    read = sorted(set(exact) - set(unread))
    # the lake's stays last seconds to minutes: only the hours from t1's to t2's end visits that began in between
    assert read == [datetime(2026, 1, 1, h, tzinfo=timezone.utc) for h in range(5, 10)]
    twin.close()


def test_a_stay_of_hours_is_still_counted_where_it_ended(rolled: Path, tmp_path: Path) -> None:
    import pyarrow as pa

    from tests.cloud.rollup.support import rolled_copy

    source = tmp_path / "source"
    shutil.copytree(rolled, source, ignore=shutil.ignore_patterns("rollups"))
    t1 = datetime(2026, 1, 1, 5, 17, tzinfo=timezone.utc)
    t2 = t1 + timedelta(hours=4)
    left = datetime(2026, 1, 1, 16, 30, tzinfo=timezone.utc)  # seven hours after t2
    template = pq.read_table(next((source / "date=2026-01-01" / "hour=16").glob("*.parquet")))
    row = template.filter(pa.compute.equal(template.column("type"), "dwell")).slice(0, 1).to_pylist()[0]
    row.update(seq=10**12, event_id=f"{row['node']}:{10**12}", ts=left, body=(
        '{"zone":"zone-0","object_class":"person","track_id":987654321,'
        f'"entered":"{(t1 + timedelta(minutes=5)).isoformat()}","seconds":{(left - t1).total_seconds() - 300}}}'))
    pq.write_table(pa.Table.from_pylist([row], schema=template.schema), source / "date=2026-01-01" / "hour=16" / "long-stay.parquet")
    lake = rolled_copy(source, tmp_path / "lake")
    twin = Twin(lake, SITE, CAMERAS)
    params = {"zone": "zone-0", "t1": t1, "t2": t2}
    assert datetime(2026, 1, 1, 16, tzinfo=timezone.utc) in twin.exact("dwell_hour", t1, left + timedelta(hours=1))
    got = twin.named("people_entering_zone", **params).rows
    assert got == twin.read(_ENTERING_RAW, params).rows
    before = Twin(rolled, SITE, CAMERAS)
    assert got[0][0] == before.named("people_entering_zone", **params).rows[0][0] + 1
    before.close()
    twin.close()


_EDGES = [(datetime(2026, 1, 1, 3, 30, 17, 250_000, tzinfo=timezone.utc), datetime(2026, 1, 2, 20, 15, 42, 1, tzinfo=timezone.utc)),
          (datetime(2026, 1, 1, 7, 59, 59, 999_999, tzinfo=timezone.utc), datetime(2026, 1, 1, 8, 0, 0, 1, tzinfo=timezone.utc)),
          (datetime(2026, 1, 2, 5, 10, 3, tzinfo=timezone.utc), datetime(2026, 1, 2, 5, 44, 58, tzinfo=timezone.utc))]


@pytest.mark.parametrize(("t1", "t2"), _EDGES)
@pytest.mark.parametrize("name", sorted(_RAW))
def test_windows_off_the_minute_take_their_whole_minutes_from_the_minute_rollups(
    rolled: Path, name: str, t1: datetime, t2: datetime
) -> None:
    twin = Twin(rolled, SITE, CAMERAS)
    try:
        edge = t1.replace(minute=0, second=0, microsecond=0)
        assert edge in twin.exact(f"{'crossings' if name.startswith('flow') else 'occupancy'}_minute", edge, t2 + timedelta(hours=1))
        got = twin.named(name, t1=t1, t2=t2).rows
        want = twin.read(_RAW[name], {"t1": t1, "t2": t2}).rows
        assert [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in got] == \
            [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in want]
    finally:
        twin.close()


@pytest.mark.parametrize("at", [datetime(2026, 1, 1, 12, 37, 29, 500_000, tzinfo=timezone.utc),
                                datetime(2026, 1, 2, 0, 0, 0, 1, tzinfo=timezone.utc),
                                datetime(2026, 1, 2, 9, 59, 59, 999_999, tzinfo=timezone.utc),
                                datetime(2026, 1, 2, 17, 3, tzinfo=timezone.utc)])
def test_state_at_over_minute_rollups_is_the_raw_answer(rolled: Path, messy_lake: Path, at: datetime) -> None:
    """The newest values up to ``at``'s minute and the flow's whole minutes come from the minute rollups."""
    rolled_twin, raw_twin = Twin(rolled, SITE, CAMERAS), Twin(messy_lake, SITE, CAMERAS)
    try:
        hour = at.replace(minute=0, second=0, microsecond=0)
        assert hour in rolled_twin.exact("occupancy_minute", hour, hour + timedelta(hours=1))
        assert raw_twin.exact("occupancy_minute", hour, hour + timedelta(hours=1)) == []
        got, want = rolled_twin.state_at(at), raw_twin.state_at(at)
        assert (got.zones, got.nodes, got.flow) == (want.zones, want.nodes, want.flow)
        assert got.zones and got.nodes
    finally:
        rolled_twin.close()
        raw_twin.close()
