"""Each rule type on generated event streams: fires exactly when it should, no flapping, ack stops reminders."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cloud.rules.alerts import AlertManager, Reading, Thresholds
from cloud.rules.engine import RuleEngine
from cloud.rules.settings import BorderCrossing, LineFlow, LongDwell, NodeDegraded, NodeOffline, PortArrival, WrongWay, ZoneCapacity
from cloud.twin.tail import TailBuffer
from cloud.twin.twin import Twin
from contract.site import CameraSpec, SiteSpec
from edge.events.factory import EventFactory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SITE = SiteSpec(id="port", name="Port", width_m=100, height_m=100)
CAMERA = CameraSpec.model_validate({
    "id": "cam-1", "map": {"x_m": 1, "y_m": 1},
    "lines": [{"id": "quay", "points": [[0, 0], [10, 0]]}, {"id": "oneway", "points": [[0, 5], [10, 5]], "one_way": True}],
    "zones": [{"id": "plaza", "polygon": [[0, 0], [1, 0], [1, 1]], "capacity": 5}],
})


class Stream:
    """Generated events for one camera, fed to a twin through its live tail."""

    def __init__(self, tmp: Path) -> None:
        self.buffer = TailBuffer()
        self.twin = Twin(tmp / "lake", SITE, [CAMERA], tail=self.buffer)
        self.factory = EventFactory("port", "cam-1", "port-cam-1")

    def add(self, kind: str, at: datetime, **body: Any) -> None:
        self.buffer.add(self.factory.make(kind, at, body))

    def occupancy(self, at: datetime, total: int) -> None:
        self.add("zone_occupancy", at, zone="plaza", total=total, by_class={"person": total})

    def crossing(self, at: datetime, line: str, direction: str = "in", cls: str = "person") -> None:
        self.add("line_crossing", at, line=line, direction=direction, object_class=cls, track_id=1)

    def health(self, at: datetime, fps: float = 10.0) -> None:
        self.add("node_health", at, fps=fps, stage_ms={}, frames=1, dropped_frames=0, cpu_percent=1.0, rss_mb=1.0, uptime_s=1.0)


@pytest.fixture
def stream(tmp_path: Path) -> Stream:
    return Stream(tmp_path)


def run(engine: RuleEngine, start: datetime, seconds: int, step: int = 5) -> list[tuple[int, str]]:
    """Evaluate every ``step`` seconds; returns (second, notice kind) pairs."""
    engine.twin.refresh()
    out = []
    for s in range(0, seconds + 1, step):
        out += [(s, n.kind) for n in engine.evaluate(start + timedelta(seconds=s), refresh=False)]
    return out


def test_zone_over_capacity_fires_after_the_hold_time(stream: Stream) -> None:
    # 4 (ok) -> 6 (over) at 10 s -> 5 (at capacity, still not cleared with margin 1) at 60 s -> 3 at 80 s
    for at, total in ((0, 4), (10, 6), (60, 5), (80, 3)):
        stream.occupancy(T0 + timedelta(seconds=at), total)
    rule = ZoneCapacity(name="plaza-full", for_s=30, clear_s=10, action="dispatch steward to {zone}")
    notices = run(RuleEngine(stream.twin, [rule]), T0, 120)
    assert notices == [(40, "fired"), (90, "resolved")]


def test_zone_alert_carries_evidence_and_action(stream: Stream) -> None:
    stream.occupancy(T0, 9)
    engine = RuleEngine(stream.twin, [ZoneCapacity(name="plaza-full", severity="critical", action="open gate B for {zone}")])
    (notice,) = engine.evaluate(T0)
    alert = notice.alert
    assert (alert.severity, alert.action, alert.subject) == ("critical", "open gate B for plaza", "cam-1/plaza")
    assert alert.evidence["occupancy"] == 9 and alert.evidence["capacity"] == 5 and "query" in alert.evidence


def test_exactly_at_capacity_does_not_fire(stream: Stream) -> None:
    stream.occupancy(T0, 5)
    assert run(RuleEngine(stream.twin, [ZoneCapacity(name="z")]), T0, 60) == []


def test_hysteresis_prevents_flapping(stream: Stream) -> None:
    # Occupancy hovers around capacity: 6, 5, 6, 5 ... every 5 s. Margin 1 means it must drop to 4 to clear.
    for i in range(24):
        stream.occupancy(T0 + timedelta(seconds=5 * i), 6 if i % 2 == 0 else 5)
    notices = run(RuleEngine(stream.twin, [ZoneCapacity(name="z", margin=1, renotify_s=10_000)]), T0, 115)
    assert notices == [(0, "fired")]


def test_acknowledgement_stops_renotification(stream: Stream) -> None:
    stream.occupancy(T0, 8)
    engine = RuleEngine(stream.twin, [ZoneCapacity(name="z", renotify_s=20)])
    engine.twin.refresh()
    kinds = [n.kind for s in range(0, 45, 5) for n in engine.evaluate(T0 + timedelta(seconds=s), refresh=False)]
    assert kinds == ["fired", "renotify", "renotify"]
    alert = engine.manager.active()[0]
    engine.manager.acknowledge(alert.alert_id, "olivia", false_alarm=True)
    later = [n.kind for s in range(45, 200, 5) for n in engine.evaluate(T0 + timedelta(seconds=s), refresh=False)]
    assert later == []
    assert engine.manager.false_alarms == {"z": 1}


@pytest.mark.parametrize(("crossings", "above", "below", "fires"), [(5, 4, None, True), (4, 4, None, False), (1, None, 2, True), (2, None, 2, False)])
def test_line_flow_thresholds(stream: Stream, crossings: int, above: int | None, below: int | None, fires: bool) -> None:
    for i in range(crossings):
        stream.crossing(T0 + timedelta(seconds=i), "quay")
    rule = LineFlow(name="flow", line="quay", window_s=60, above=above, below=below)
    notices = RuleEngine(stream.twin, [rule]).evaluate(T0 + timedelta(seconds=30))
    assert [n.kind for n in notices] == (["fired"] if fires else [])


def test_wrong_way_only_on_one_way_lines(stream: Stream) -> None:
    stream.crossing(T0 + timedelta(seconds=10), "oneway", "in")
    stream.crossing(T0 + timedelta(seconds=20), "quay", "out")
    stream.crossing(T0 + timedelta(seconds=70), "oneway", "out")
    notices = run(RuleEngine(stream.twin, [WrongWay(name="ww", period_s=60)]), T0, 180, step=60)
    assert notices == [(120, "fired"), (180, "resolved")]


def test_port_arrival_needs_a_boat_coming_in(stream: Stream) -> None:
    stream.crossing(T0 + timedelta(seconds=5), "quay", "in", "person")
    stream.crossing(T0 + timedelta(seconds=10), "quay", "out", "boat")
    stream.crossing(T0 + timedelta(seconds=70), "quay", "in", "boat")
    rule = PortArrival(name="arrival", line="quay", period_s=60, severity="info", action="assign berth")
    notices = run(RuleEngine(stream.twin, [rule]), T0, 120, step=60)
    assert notices == [(120, "fired")]


@pytest.mark.parametrize(
    ("clock", "cls", "fires"),
    [(time(12, 0), "car", False), (time(21, 59), "truck", False), (time(22, 0), "truck", True), (time(3, 0), "car", True), (time(3, 0), "person", False)],
)
def test_border_crossing_outside_opening_hours(stream: Stream, clock: time, cls: str, fires: bool) -> None:
    at = datetime.combine(T0.date(), clock, tzinfo=timezone.utc)
    stream.crossing(at, "quay", "in", cls)
    rule = BorderCrossing(name="border", line="quay", opens=time(6, 0), closes=time(22, 0), period_s=60)
    notices = RuleEngine(stream.twin, [rule]).evaluate(at + timedelta(seconds=1))
    assert [n.kind for n in notices] == (["fired"] if fires else [])


def test_node_offline_after_silence_and_back(stream: Stream) -> None:
    for s in (0, 10, 20):
        stream.health(T0 + timedelta(seconds=s))
    stream.health(T0 + timedelta(seconds=200))
    notices = run(RuleEngine(stream.twin, [NodeOffline(name="offline", silent_s=60)]), T0, 210, step=10)
    assert notices == [(90, "fired"), (200, "resolved")]


def test_node_degraded_below_the_fps_floor(stream: Stream) -> None:
    stream.health(T0, fps=9.0)
    stream.health(T0 + timedelta(seconds=30), fps=3.0)
    stream.health(T0 + timedelta(seconds=60), fps=5.0)
    notices = run(RuleEngine(stream.twin, [NodeDegraded(name="slow", fps_floor=5.0)]), T0, 70, step=10)
    assert notices == [(30, "fired"), (60, "resolved")]


def test_long_dwell(stream: Stream) -> None:
    stream.add("dwell", T0 + timedelta(seconds=10), zone="plaza", object_class="person", track_id=3, entered=T0 - timedelta(seconds=290), seconds=300.0)
    stream.add("dwell", T0 + timedelta(seconds=20), zone="plaza", object_class="person", track_id=4, entered=T0, seconds=20.0)
    notices = run(RuleEngine(stream.twin, [LongDwell(name="loiter", zone="plaza", max_s=299, period_s=60)]), T0, 120, step=30)
    assert notices == [(30, "fired"), (90, "resolved")]


def test_manager_boundary_is_strictly_above() -> None:
    manager = AlertManager({"r": Thresholds(threshold=10, clear_below=10)})
    assert manager.observe(Reading("r", "s", 10, T0)) == []
    assert [n.kind for n in manager.observe(Reading("r", "s", 10.001, T0))] == ["fired"]


def test_duplicate_rule_names_are_refused(stream: Stream) -> None:
    with pytest.raises(ValueError, match="unique: z"):
        RuleEngine(stream.twin, [ZoneCapacity(name="z"), ZoneCapacity(name="z")])


def test_alerts_are_stored_where_the_twin_reads_them(stream: Stream) -> None:
    from cloud.rules.outlets import AlertStore, Fanout

    store = AlertStore(stream.twin.lake)
    engine = RuleEngine(stream.twin, [ZoneCapacity(name="plaza-full", action="dispatch steward to {zone}")], notify=Fanout([store]))
    stream.occupancy(T0, 9)
    engine.evaluate(T0)
    stream.twin.refresh()
    rows = stream.twin.query("SELECT kind, rule, subject, action FROM alerts").rows
    assert rows == [("fired", "plaza-full", "cam-1/plaza", "dispatch steward to plaza")]


def test_an_action_template_naming_an_unknown_value_is_kept_as_written(stream: Stream) -> None:
    stream.occupancy(T0, 9)
    (notice,) = RuleEngine(stream.twin, [ZoneCapacity(name="z", action="call {nobody}")]).evaluate(T0)
    assert notice.alert.action == "call {nobody}"
