"""Clock sanity: times ahead of the bridge's clock or older than the lake keeps are dead letters, with reason ``clock``.

Before, one ``zone_occupancy`` stamped 2099-01-01 with ``total: 999`` pinned
the cockpit's live tile at 999 for good (the live value is the one with the
latest ``ts``), and years 0001 and 9999 were accepted. Each node now reports
its clock offset, and the cockpit's node table shows it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cloud.cockpit import live
from cloud.twin.twin import Twin
from cloud.twin.tail import TailBuffer
from contract.bodies import NodeHealthBody
from contract.model import parse_event
from contract.site import CameraSpec, SiteSpec
from edge.runtime.health import HealthReporter
from edge.runtime.stats import StageTimer
from tests.security.pipeline import Pipeline, make_ingest, now, pipeline, wire  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt]


def _occupancy(seq: int, total: int, ts: datetime) -> bytes:
    body = {"zone": "plaza", "total": total, "by_class": {"person": total}}
    return json.dumps(wire("cam-1", seq, "zone_occupancy", ts=ts, body=body)).encode()


def test_times_outside_the_window_are_dead_lettered_and_the_live_tile_shows_the_present(pipeline: Pipeline) -> None:  # noqa: F811
    topic = pipeline.topic("cam-1", "zone_occupancy")
    utc = timezone.utc
    outside = [
        _occupancy(1, 999, datetime(2099, 1, 1, tzinfo=utc)),
        _occupancy(2, 998, datetime(9999, 12, 31, 23, tzinfo=utc)),
        _occupancy(3, 997, datetime(1, 1, 1, tzinfo=utc)),
        _occupancy(4, 996, now() + timedelta(seconds=330)),
        _occupancy(5, 995, now() - timedelta(days=31)),  # the test deployment keeps 30 days
    ]
    present = _occupancy(6, 3, now())
    pipeline.publish([(topic, payload) for payload in [*outside, present]])

    letters = pipeline.dead_letters(len(outside))
    assert sorted(dl.raw for dl in letters) == sorted(outside)
    assert {dl.error for dl in letters} == {"clock"}
    assert sum("ahead of the bridge's clock" in dl.reason for dl in letters) == 3
    assert sum("older than the lake keeps (retention.lake_days = 30)" in dl.reason for dl in letters) == 2
    assert pipeline.wait_for_lake({"campus-cam-1:6"}) == {"campus-cam-1:6"}, pipeline.logs()
    with pipeline.twin() as twin:
        tiles = live.live(twin, datetime.now(timezone.utc), stale_after_s=600)
    assert [(z["zone"], z["total"]) for z in tiles["zones"]] == [("plaza", 3)]


def test_node_health_carries_the_clock_offset_and_the_cockpit_node_table_shows_it(tmp_path: Path) -> None:
    body = HealthReporter(interval_s=1).body(StageTimer(), dropped=0, spool_depth=0, spool_dropped=0)
    NodeHealthBody.model_validate(body)
    assert {"clock_offset_ms", "clock_synced"} <= body.keys()
    assert body["clock_synced"] in (True, False, None)

    reported = {**body, "clock_offset_ms": -42.5, "clock_synced": False}
    event = parse_event(json.dumps(wire("cam-1", 1, "node_health", body=reported)))
    buffer = TailBuffer()
    buffer.add(event)
    site = SiteSpec(id="campus", name="Campus", width_m=10, height_m=10)
    twin = Twin(tmp_path / "lake", site, [CameraSpec(id="cam-1", map={"x_m": 1, "y_m": 1})], tail=buffer)  # type: ignore[arg-type]
    try:
        twin.refresh()
        (node,) = live.nodes(twin, datetime.now(timezone.utc), 60)
    finally:
        twin.close()
    assert (node["node"], node["clock_offset_ms"], node["clock_synced"]) == ("campus-cam-1", -42.5, False)
