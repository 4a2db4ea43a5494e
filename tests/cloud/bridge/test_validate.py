"""Routing of MQTT messages by ``Validator.check``: a table of cases, then fuzzing for totality."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.bridge.clock import ClockWindow
from cloud.bridge.sources import Sources
from cloud.bridge.validate import Accepted, Rejected, Validator
from cloud.kafka.settings import KafkaTopics
from contract.status import NodeStatus
from edge.events.factory import EventFactory

TOPICS = KafkaTopics(events="ev", dlq="dlq", status="st")
TS = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
SOURCES = Sources("campus", {"cam-1": "campus-cam-1", "cam-2": "campus-cam-2"})
WINDOW = ClockWindow(ahead_s=300, behind_s=30 * 86_400, now=TS.timestamp)  # the bridge's clock reads TS
VALIDATOR = Validator("citytwin", TOPICS, 64 * 1024, SOURCES, WINDOW)


def _event(kind: str = "line_crossing", camera: str = "cam-1", ts: datetime = TS, node: str | None = None) -> bytes:
    bodies = {
        "line_crossing": {"line": "gate", "direction": "in", "object_class": "person", "track_id": 3},
        "zone_occupancy": {"zone": "plaza", "total": 2, "by_class": {"person": 2}},
        "dwell": {"zone": "plaza", "object_class": "person", "track_id": 3, "entered": TS, "seconds": 4.0},
        "count": {"interval_start": TS, "interval_s": 60, "by_class": {"car": 1}, "lines": []},
        "node_health": {"fps": 9.0, "stage_ms": {"detect": 40}, "frames": 1, "dropped_frames": 0,
                        "cpu_percent": 50, "rss_mb": 200, "uptime_s": 5},
    }
    return EventFactory("campus", camera, node or f"campus-{camera}").make(kind, ts, bodies[kind]).to_json()


def _patched(**changes: object) -> bytes:
    doc = json.loads(_event())
    doc.update(changes)
    return json.dumps(doc).encode()


STATUS = NodeStatus(site="campus", camera="cam-1", node="campus-cam-1", status="online", since=TS).to_json()


@pytest.mark.parametrize("kind", ["line_crossing", "zone_occupancy", "dwell", "count", "node_health"])
def test_valid_events_go_to_the_events_topic_keyed_by_camera(kind: str) -> None:
    verdict = VALIDATOR.check(f"citytwin/campus/cam-1/events/{kind}", _event(kind))
    assert isinstance(verdict, Accepted)
    assert (verdict.topic, verdict.key) == ("ev", b"campus/cam-1")
    assert json.loads(verdict.value)["type"] == kind
    assert verdict.ts == TS.timestamp()


def test_status_goes_to_the_status_topic() -> None:
    verdict = VALIDATOR.check("citytwin/campus/cam-1/status", STATUS)
    assert isinstance(verdict, Accepted) and (verdict.topic, verdict.key) == ("st", b"campus/cam-1")


@pytest.mark.parametrize(
    ("topic", "payload", "error", "reason_part"),
    [
        ("citytwin/campus/cam-1/events/line_crossing", _event()[:40], "invalid_json", "not JSON"),
        ("citytwin/campus/cam-1/events/line_crossing", b"\xff\xfe" + _event(), "invalid_utf8", "byte 0xff at offset 0"),
        ("citytwin/campus/cam-1/events/line_crossing", b"[1, 2]", "schema", "object"),
        ("citytwin/campus/cam-1/events/line_crossing", _patched(schema_version=2), "schema_version", "schema_version 2"),
        ("citytwin/campus/cam-1/events/line_crossing", _patched(seq="seven"), "schema", "line_crossing.seq"),
        ("citytwin/campus/cam-1/events/line_crossing", _patched(face="x"), "schema", "line_crossing.face"),
        ("citytwin/campus/cam-1/events/line_crossing", _patched(ts="2026-01-01T12:00:00+02:00"), "schema", "UTC"),
        ("citytwin/campus/cam-1/events/line_crossing", _patched(type="teleport"), "schema", "teleport"),
        ("citytwin/campus/cam-2/events/line_crossing", _event(), "topic", "camera=cam-1"),
        ("citytwin/campus/cam-1/events/dwell", _event(), "topic", "type=line_crossing"),
        ("citytwin/campus/cam-1/other", _event(), "topic", "neither"),
        ("citytwin/campus/cam-2/status", STATUS, "topic", "camera=cam-1"),
        ("citytwin/campus/cam-1/status", b'{"status": "maybe"}', "schema", "status"),
        ("citytwin/campus/cam-1/events/line_crossing", b"x" * (64 * 1024 + 1), "too_large", "65537 bytes"),
        ("citytwin/bench/cam-1/events/line_crossing", _event(), "unknown_source", "site 'bench'"),
        ("citytwin/campus/cam-9/events/line_crossing", _event(camera="cam-9"), "unknown_source", "camera 'cam-9'"),
        ("citytwin/campus/cam-9/status", STATUS, "unknown_source", "camera 'cam-9'"),
        ("citytwin/campus/cam-1/events/line_crossing", _event(node="campus-cam-2"), "identity", "its node is campus-cam-1"),
        ("citytwin/campus/cam-1/status", NodeStatus(site="campus", camera="cam-1", node="campus-cam-2", status="online",
                                                     since=TS).to_json(), "identity", "may not speak for camera cam-1"),
        ("citytwin/campus/cam-1/events/line_crossing", _event(ts=TS + timedelta(seconds=301)), "clock", "ahead"),
        ("citytwin/campus/cam-1/events/zone_occupancy", _event("zone_occupancy", ts=datetime(2099, 1, 1, tzinfo=timezone.utc)),
         "clock", "ahead of the bridge's clock"),
        ("citytwin/campus/cam-1/events/dwell", _event("dwell", ts=datetime(9999, 12, 31, tzinfo=timezone.utc)), "clock", "ahead"),
        ("citytwin/campus/cam-1/events/line_crossing", _event(ts=datetime(1, 1, 1, tzinfo=timezone.utc)), "clock", "older than"),
        ("citytwin/campus/cam-1/events/line_crossing", _event(ts=TS - timedelta(days=31)), "clock", "lake_days = 30"),
        ("citytwin/campus/cam-1/status", NodeStatus(site="campus", camera="cam-1", node="campus-cam-1", status="online",
                                                     since=datetime(2099, 1, 1, tzinfo=timezone.utc)).to_json(), "clock", "since"),
    ],
)
def test_invalid_messages_are_rejected_with_a_reason(topic: str, payload: bytes, error: str, reason_part: str) -> None:
    verdict = VALIDATOR.check(topic, payload)
    assert isinstance(verdict, Rejected), verdict
    assert verdict.error == error
    assert reason_part in verdict.reason


def test_times_just_inside_the_window_are_taken() -> None:
    for ts in (TS + timedelta(seconds=299), TS - timedelta(days=29)):
        assert isinstance(VALIDATOR.check("citytwin/campus/cam-1/events/line_crossing", _event(ts=ts)), Accepted)
    old_since = NodeStatus(site="campus", camera="cam-1", node="campus-cam-1", status="offline",
                           since=TS - timedelta(days=400)).to_json()
    assert isinstance(VALIDATOR.check("citytwin/campus/cam-1/status", old_since), Accepted)


def test_body_times_obey_the_window_too() -> None:
    doc = json.loads(_event("dwell"))
    doc["body"]["entered"] = "2099-01-01T00:00:00Z"
    verdict = VALIDATOR.check("citytwin/campus/cam-1/events/dwell", json.dumps(doc).encode())
    assert isinstance(verdict, Rejected) and verdict.error == "clock" and "entered 2099" in verdict.reason


def test_a_custom_prefix_isolates_traffic() -> None:
    validator = Validator("staging", TOPICS, 1024, SOURCES, WINDOW)
    assert isinstance(validator.check("staging/campus/cam-1/events/line_crossing", _event()), Accepted)
    assert isinstance(validator.check("citytwin/campus/cam-1/events/line_crossing", _event()), Rejected)


@settings(max_examples=300, deadline=None)
@given(topic=st.text(max_size=80), payload=st.binary(max_size=2000))
def test_check_never_raises(topic: str, payload: bytes) -> None:
    assert isinstance(VALIDATOR.check(topic, payload), Accepted | Rejected)


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(_event()) - 1))
def test_every_truncation_of_an_event_is_rejected(cut: int) -> None:
    verdict = VALIDATOR.check("citytwin/campus/cam-1/events/line_crossing", _event()[:cut])
    assert isinstance(verdict, Rejected) and verdict.error in {"invalid_json", "invalid_utf8", "schema"}
