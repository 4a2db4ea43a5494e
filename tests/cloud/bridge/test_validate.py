"""Routing of MQTT messages by ``Validator.check``: a table of cases, then fuzzing for totality."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.bridge.validate import Accepted, Rejected, Validator
from cloud.config import KafkaTopics
from edge.events.factory import EventFactory
from edge.events.status import NodeStatus

TOPICS = KafkaTopics(events="ev", dlq="dlq", status="st")
TS = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
VALIDATOR = Validator("citytwin", TOPICS, max_payload_bytes=64 * 1024)


def _event(kind: str = "line_crossing", camera: str = "cam-1") -> bytes:
    bodies = {
        "line_crossing": {"line": "gate", "direction": "in", "object_class": "person", "track_id": 3},
        "zone_occupancy": {"zone": "plaza", "total": 2, "by_class": {"person": 2}},
        "dwell": {"zone": "plaza", "object_class": "person", "track_id": 3, "entered": TS, "seconds": 4.0},
        "count": {"interval_start": TS, "interval_s": 60, "by_class": {"car": 1}, "lines": []},
        "node_health": {"fps": 9.0, "stage_ms": {"detect": 40}, "frames": 1, "dropped_frames": 0,
                        "cpu_percent": 50, "rss_mb": 200, "uptime_s": 5},
    }
    return EventFactory("campus", camera, f"campus-{camera}").make(kind, TS, bodies[kind]).to_json()


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
    ],
)
def test_invalid_messages_are_rejected_with_a_reason(topic: str, payload: bytes, error: str, reason_part: str) -> None:
    verdict = VALIDATOR.check(topic, payload)
    assert isinstance(verdict, Rejected), verdict
    assert verdict.error == error
    assert reason_part in verdict.reason


def test_a_custom_prefix_isolates_traffic() -> None:
    validator = Validator("staging", TOPICS, max_payload_bytes=1024)
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
