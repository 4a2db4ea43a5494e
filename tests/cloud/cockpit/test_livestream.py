"""The live stream: the snapshot first, then only the entries that changed, which rebuild the next snapshot exactly."""

from __future__ import annotations

import copy
import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloud.cockpit.livestream import LiveChanges, StreamEvents, changes
from cloud.cockpit.service import Cockpit
from edge.events.factory import EventFactory
from tests.cloud.cockpit.support import login

BASE: dict[str, Any] = {
    "at": "2026-12-01T10:00:00+00:00", "people_now": 3, "camera_counts": {"online": 2, "silent": 0},
    "cameras": [{"camera": "cam-0", "state": "online", "fps": 9.5}, {"camera": "cam-1", "state": "online", "fps": 9.0}],
    "flow": [{"camera": "cam-0", "line": "line-0", "total": 4}], "tags": ["a", "b"],
}


def apply(snapshot: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """What the screen does with a live_changes event (api.js)."""
    out = {**snapshot, **delta["fields"]}
    for key, entries in delta["entries"].items():
        out[key] = list(snapshot[key])
        for i, entry in entries:
            out[key][i] = entry
    return out


def edited(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    out.update(changes)
    return out


CASES = {
    "nothing but the instant": edited(at="2026-12-01T10:00:01+00:00"),
    "one camera of two": edited(cameras=[BASE["cameras"][0], {"camera": "cam-1", "state": "degraded", "fps": 1.0}]),
    "a list grows": edited(flow=[*BASE["flow"], {"camera": "cam-1", "line": "line-0", "total": 1}]),
    "a list empties": edited(cameras=[], flow=[]),
    "a list of plain values": edited(tags=["b", "a"]),
    "a nested count": edited(camera_counts={"online": 1, "silent": 1}),
    "a value turns into a list": edited(people_now=[1, 2]),
    "entries change their keys": edited(cameras=[{"camera": "cam-9"}, {"camera": "cam-0", "state": None, "fps": None}]),
}


@pytest.mark.parametrize("after", CASES.values(), ids=CASES.keys())
def test_changes_rebuild_the_next_snapshot_and_carry_only_what_changed(after: dict[str, Any]) -> None:
    delta = changes(BASE, after, 7, 8)
    assert delta is not None and (delta.base, delta.version) == (7, 8)
    sent = json.loads(delta.model_dump_json())
    assert apply(BASE, sent) == after
    unchanged = {k for k in BASE if BASE[k] == after[k]}
    assert not unchanged & (set(sent["fields"]) | set(sent["entries"]))
    for key, entries in sent["entries"].items():
        assert [i for i, _ in entries] == [i for i, (a, b) in enumerate(zip(BASE[key], after[key])) if a != b]


def test_snapshots_with_other_fields_are_sent_whole() -> None:
    assert changes(BASE, {**BASE, "new_field": 1}, 1, 2) is None
    assert changes(BASE, {k: v for k, v in BASE.items() if k != "flow"}, 1, 2) is None
    events = StreamEvents()
    events.add(1, BASE)
    events.add(2, {**BASE, "new_field": 1})
    assert events.next_event(1, 2, {**BASE, "new_field": 1}).startswith("event: live\nid: 2\n")


def test_a_stream_behind_gets_the_changes_from_its_version_or_else_the_whole_snapshot() -> None:
    events = StreamEvents(keep=3)
    for version in (1, 2, 3, 4):
        events.add(version, edited(people_now=version))
    one = events.next_event(3, 4, edited(people_now=4))
    assert one.startswith("event: live_changes\nid: 4\n") and events.next_event(3, 4, edited(people_now=4)) is one
    two = events.next_event(2, 4, edited(people_now=4))
    assert json.loads(two.split("data: ", 1)[1]) == {"base": 2, "version": 4, "fields": {"people_now": 4}, "entries": {}}
    for sent in (None, 1, 0, 4, 5, -5):  # never sent, forgotten, not yet made, or ahead: the whole snapshot
        assert events.next_event(sent, 4, edited(people_now=4)).startswith("event: live\nid: 4\n")
    assert LiveChanges.model_validate(json.loads(one.split("data: ", 1)[1])).fields == {"people_now": 4}


def _events(text: str) -> list[tuple[str, int, dict[str, Any]]]:
    out = []
    for chunk in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in chunk.split("\n"))
        out.append((fields["event"], int(fields["id"]), json.loads(fields["data"])))
    return out


def test_the_stream_sends_the_snapshot_then_changes_that_rebuild_every_next_one(client: TestClient, cockpit: Cockpit) -> None:
    first = copy.deepcopy(cockpit.refresh())
    snapshots = {cockpit.version: first}
    factory = EventFactory(site="city", camera="cam-0", node="city-cam-0", sequence=iter(range(10**6, 10**7)).__next__)
    health = {"fps": 9.5, "stage_ms": {"infer": 30.0}, "frames": 1, "dropped_frames": 0, "cpu_percent": 50.0,
              "rss_mb": 200.0, "uptime_s": 10.0}

    def refresh_twice() -> None:
        for _ in range(2):
            threading.Event().wait(1.2)
            cockpit.twin.tail.add(factory.make("node_health", datetime.now(timezone.utc) - timedelta(seconds=1), health))
            snapshot = copy.deepcopy(cockpit.refresh())
            snapshots[cockpit.version] = snapshot

    feeder = threading.Thread(target=refresh_twice)
    feeder.start()
    with client.stream("GET", "/api/stream?max_events=3", headers=login(client, "vic")) as r:
        text = "".join(r.iter_text())
    feeder.join()
    (kind, version, shown), *rest = _events(text)
    assert kind == "live" and shown == snapshots[version]
    for kind, next_version, delta in rest:
        assert kind == "live_changes" and (delta["base"], delta["version"]) == (version, next_version)
        shown, version = apply(shown, delta), next_version
        assert shown == snapshots[version]
        # Only cam-0 reported: of the cameras and nodes, only its entries travel.
        assert {e["camera"] for _, e in delta["entries"].get("cameras", [])} <= {"cam-0"}
        assert {e["camera"] for _, e in delta["entries"].get("nodes", [])} <= {"cam-0"}
    assert len(rest) == 2
    cam = next(c for c in shown["cameras"] if c["camera"] == "cam-0")
    assert cam["state"] == "online" and "age_s" not in cam
    silent = [c for c in shown["cameras"] if c["state"] == "silent"]
    assert silent and all(c["reasons"][0].startswith("no report since ") and c["reasons"][0].endswith(" UTC") for c in silent)
