"""The twin over a lake with duplicates and damage: counts, time travel, named queries, safety."""

from __future__ import annotations

import json
import logging
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cloud.twin.twin import Twin
from cloud.twin.readonly import QueryRefused
from tests.cloud.twin.conftest import CAMERAS, SHAPE, SITE


def raw_events(lake: Path) -> list[dict[str, Any]]:
    """Every distinct event of the clean lake, read without DuckDB."""
    seen: dict[str, dict[str, Any]] = {}
    for path in sorted(lake.glob("date=*/hour=*/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            seen[row["event_id"]] = row
    return list(seen.values())


def brute_state(events: list[dict[str, Any]], at: datetime, offline_after_s: float, window: timedelta) -> dict[str, Any]:
    zones: dict[tuple[str, str, str], tuple[datetime, int]] = {}
    nodes: dict[str, datetime] = {}
    flow: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for e in events:
        ts, body = e["ts"], json.loads(e["body"])
        if ts > at:
            continue
        if e["type"] == "zone_occupancy":
            key = (e["site"], e["camera"], body["zone"])
            if key not in zones or ts >= zones[key][0]:
                zones[key] = (ts, body["total"])
        elif e["type"] == "node_health":
            nodes[e["node"]] = max(ts, nodes.get(e["node"], ts))
        elif e["type"] == "line_crossing" and ts > at - window:
            flow[(e["site"], e["camera"], body["line"], body["direction"])] += 1
    return {
        "zones": {k: v for k, (_, v) in zones.items()},
        "nodes": {n: at - last <= timedelta(seconds=offline_after_s) for n, last in nodes.items()},
        "flow": dict(flow),
    }


def test_counts_ignore_duplicate_rows(twin: Twin, clean_lake: Path) -> None:
    twin.refresh()
    raw = twin.query("SELECT count(*) FROM lake_raw").rows[0][0]
    distinct = twin.query("SELECT count(*) FROM events").rows[0][0]
    assert raw > distinct == SHAPE.events
    crossings = twin.query("SELECT sum(crossings) FROM counts('1 hour')").rows[0][0]
    assert crossings == sum(1 for e in raw_events(clean_lake) if e["type"] == "line_crossing")


@pytest.mark.parametrize("bucket", ["1 minute", "15 minutes", "1 hour", "1 day"])
def test_every_bucket_size_adds_up(twin: Twin, bucket: str) -> None:
    total = twin.query("SELECT count(*) FROM crossings").rows[0][0]
    assert twin.query(f"SELECT sum(crossings) FROM counts('{bucket}')").rows[0][0] == total


def test_damaged_files_are_skipped_and_named(messy_lake: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        twin = Twin(messy_lake, SITE, CAMERAS)
    assert any("half-written.parquet" in r.getMessage() for r in caplog.records)
    assert [p.name for p in twin.files.skipped] == ["half-written.parquet"]
    assert twin.query("SELECT count(*) FROM events").rows[0][0] == SHAPE.events


def test_state_at_matches_brute_force_at_20_instants(twin: Twin, clean_lake: Path) -> None:
    events = raw_events(clean_lake)
    rng = random.Random(11)
    span = SHAPE.days * 86_400
    for _ in range(20):
        at = SHAPE.start + timedelta(seconds=rng.uniform(0, span))
        expected = brute_state(events, at, twin.offline_after_s, timedelta(minutes=15))
        state = twin.state_at(at)
        assert state.zones == expected["zones"], at
        assert {n: v["online"] for n, v in state.nodes.items()} == expected["nodes"], at
        assert state.flow == expected["flow"], at


def test_state_at_a_century_ahead_is_the_newest_state_and_costs_no_more(twin: Twin, clean_lake: Path) -> None:
    """A far instant (a cockpit user may ask for any) gives the lake's newest state, answered from its hours alone."""
    at = datetime(2146, 1, 1, tzinfo=timezone.utc)
    expected = brute_state(raw_events(clean_lake), at, twin.offline_after_s, timedelta(minutes=15))
    state = twin.state_at(at)
    assert state.zones == expected["zones"] and state.zones
    assert state.flow == expected["flow"] == {}
    assert not any(v["online"] for v in state.nodes.values())


def _changed_after_rollup(lake: Path) -> None:
    """An hour rewritten and a day's hour rollups lost since the reconciler ran: those hours are read from raw."""
    folder = lake / "date=2026-01-02" / "hour=08"
    rows = pq.read_table(folder / "synthetic.parquet")
    pq.write_table(rows.slice(0, rows.num_rows // 2), folder / "synthetic.parquet")
    for lost in (lake / "rollups").glob("*_hour/date=2026-01-01/part.parquet"):
        lost.unlink()


@pytest.mark.parametrize("change", [None, _changed_after_rollup])
def test_state_at_over_rollups_matches_brute_force(tmp_path: Path, clean_lake: Path, change: Any) -> None:
    from tests.cloud.rollup.support import rolled_copy

    lake = rolled_copy(clean_lake, tmp_path / "lake")
    if change is not None:
        change(lake)
    twin = Twin(lake, SITE, CAMERAS)
    assert twin.exact("occupancy_hour", SHAPE.start, SHAPE.start + timedelta(days=2))
    events = raw_events(lake)
    rng = random.Random(5)
    instants = [SHAPE.start + timedelta(seconds=rng.uniform(0, SHAPE.days * 86_400)) for _ in range(12)]
    instants += [SHAPE.start + timedelta(hours=h) for h in (1, 24, 33)]  # hour and day boundaries
    instants += [SHAPE.start + timedelta(hours=32, minutes=8, seconds=s) for s in (0, 0.5)]  # a minute boundary
    for at in instants:
        expected = brute_state(events, at, twin.offline_after_s, timedelta(minutes=15))
        state = twin.state_at(at)
        assert state.zones == expected["zones"], at
        assert {n: v["online"] for n, v in state.nodes.items()} == expected["nodes"], at
        assert state.flow == expected["flow"], at
    twin.close()


def test_registry_tables(twin: Twin) -> None:
    assert twin.query("SELECT count(*) FROM cameras").rows[0][0] == SHAPE.cameras
    assert twin.query("SELECT name FROM sites").rows == [("City",)]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("flow_per_line_per_hour", {"t1": SHAPE.start, "t2": SHAPE.start + timedelta(hours=6)}),
        ("busiest_zones", {"t1": SHAPE.start, "t2": SHAPE.start + timedelta(days=1)}),
        ("nodes_offline", {"now": SHAPE.start + timedelta(days=2), "after_s": 30}),
        ("people_entering_zone", {"zone": "zone-0", "t1": SHAPE.start, "t2": SHAPE.start + timedelta(days=2)}),
    ],
)
def test_named_queries_answer(twin: Twin, name: str, params: dict[str, Any]) -> None:
    result = twin.named(name, **params)
    assert result.rows and result.columns


def test_flow_per_hour_equals_a_hand_count(twin: Twin, clean_lake: Path) -> None:
    t1, t2 = SHAPE.start + timedelta(hours=3), SHAPE.start + timedelta(hours=5)
    rows = twin.named("flow_per_line_per_hour", t1=t1, t2=t2).rows
    expected = sum(1 for e in raw_events(clean_lake) if e["type"] == "line_crossing" and t1 <= e["ts"] < t2)
    assert sum(r[-1] for r in rows) == expected


def test_unknown_named_query_lists_the_known_ones(twin: Twin) -> None:
    with pytest.raises(KeyError, match="known: busiest_zones"):
        twin.named("nope")


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO 'x.csv'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "ATTACH '/tmp/other.db'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CREATE TABLE t AS SELECT 1",
        "DELETE FROM sites",
        "SET enable_external_access = true",
        "SELECT 1; SELECT 2",
    ],
)
def test_writes_and_file_access_are_refused(twin: Twin, sql: str) -> None:
    with pytest.raises(QueryRefused):
        twin.query(sql)


def test_new_files_appear_after_refresh(tmp_path: Path, clean_lake: Path) -> None:
    twin = Twin(tmp_path, SITE, CAMERAS)
    assert twin.query("SELECT count(*) FROM events").rows[0][0] == 0
    source = sorted(clean_lake.glob("date=*/hour=*/*.parquet"))[0]
    target = tmp_path / source.parent.parent.name / source.parent.name / source.name
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes())
    twin.refresh()
    assert twin.query("SELECT count(*) FROM events").rows[0][0] == pq.read_metadata(source).num_rows


def test_current_views_show_the_newest_values(twin: Twin) -> None:
    zones = twin.query("SELECT count(*), count(DISTINCT (site, camera, zone)) FROM current_occupancy").rows[0]
    assert zones[0] == zones[1] > 0
    nodes = twin.query("SELECT node, online FROM current_nodes").rows
    assert len(nodes) == SHAPE.cameras
    assert not any(online for _, online in nodes), "synthetic nodes reported in 2026-01 are offline now"
