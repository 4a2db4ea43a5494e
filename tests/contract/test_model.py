"""The event contract: validation, determinism, privacy and the published schema."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from contract.ids import event_id
from contract.model import EVENT_TYPES, json_schema, parse_event
from contract.schema import SCHEMA_FILE, rendered
from contract.topics import event_topic, status_topic

TS = "2026-01-01T12:00:00Z"

BODIES: dict[str, dict[str, Any]] = {
    "line_crossing": {"line": "gate", "direction": "in", "object_class": "person", "track_id": 4},
    "zone_occupancy": {"zone": "plaza", "total": 3, "by_class": {"person": 2, "car": 1}},
    "dwell": {"zone": "plaza", "object_class": "person", "track_id": 4, "entered": TS, "seconds": 12.5},
    "count": {
        "interval_start": TS,
        "interval_s": 60,
        "by_class": {"person": 7},
        "lines": [{"line": "gate", "inbound": {"person": 3}, "outbound": {"person": 1}}],
    },
    "node_health": {
        "fps": 9.8,
        "stage_ms": {"detect": 40.1},
        "frames": 100,
        "dropped_frames": 0,
        "cpu_percent": 80.0,
        "rss_mb": 300.0,
        "temperature_c": None,
        "uptime_s": 10.0,
    },
    "snapshot": {
        "jpeg_b64": "/9j/",
        "width": 10,
        "height": 10,
        "anonymised": True,
        "faces_blurred": 1,
        "vehicles_blurred": 0,
    },
}


def wire(kind: str, **overrides: Any) -> dict[str, Any]:
    payload = {
        "schema_version": 1,
        "event_id": "campus-cam-1:7",
        "site": "campus",
        "camera": "cam-1",
        "node": "campus-cam-1",
        "seq": 7,
        "ts": TS,
        "type": kind,
        "body": BODIES[kind],
    }
    payload.update(overrides)
    return payload


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_every_type_round_trips(kind: str) -> None:
    event = parse_event(json.dumps(wire(kind)))
    assert event.type == kind
    again = parse_event(event.to_json())
    assert again == event
    assert event_topic(event) == f"citytwin/campus/cam-1/events/{kind}"


def test_every_type_has_an_example() -> None:
    assert set(BODIES) == set(EVENT_TYPES)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"schema_version": 2}, "schema_version"),
        ({"type": "teleport"}, "type"),
        ({"ts": "2026-01-01T12:00:00"}, "ts"),
        ({"ts": "2026-01-01T13:00:00+01:00"}, "ts"),
        ({"event_id": "no-sequence"}, "event_id"),
        ({"site": "Campus/Main"}, "site"),
        ({"camera": "cam/+"}, "camera"),
        ({"seq": -1}, "seq"),
        ({"face_embedding": [0.1, 0.2]}, "face_embedding"),
        ({"body": {**BODIES["line_crossing"], "plate": "AB-123"}}, "plate"),
        ({"body": {**BODIES["line_crossing"], "direction": "sideways"}}, "direction"),
    ],
)
def test_invalid_payloads_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_event(json.dumps(wire("line_crossing", **change)))
    assert field in str(exc.value)


def test_snapshots_must_be_anonymised() -> None:
    body = {**BODIES["snapshot"], "anonymised": False}
    with pytest.raises(ValidationError, match="anonymised"):
        parse_event(json.dumps(wire("snapshot", body=body)))


def test_event_ids_are_deterministic() -> None:
    assert event_id("campus-cam-1", 7) == "campus-cam-1:7"
    assert event_id("campus-cam-1", 7) == event_id("campus-cam-1", 7)
    assert event_id("a", 1) != event_id("a", 2)


def test_timestamps_stay_utc() -> None:
    event = parse_event(json.dumps(wire("dwell")))
    assert event.ts == datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    assert event.ts.utcoffset() == timedelta(0)


def test_status_topic() -> None:
    assert status_topic("campus", "cam-1") == "citytwin/campus/cam-1/status"


def test_committed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text() == rendered(), "run: python -m contract.schema"


def _schema_fields(schema: dict[str, Any]) -> set[str]:
    fields: set[str] = set()
    for definition in [schema, *schema.get("$defs", {}).values()]:
        fields |= set(definition.get("properties", {}))
    return fields


@pytest.mark.parametrize("word", ["embedding", "face", "plate", "name", "person_id", "image", "pixels"])
def test_schema_has_no_identity_fields(word: str) -> None:
    identity_like = [f for f in _schema_fields(json_schema()) if word in f and f != "faces_blurred"]
    assert not identity_like, f"identity-like fields in the event schema: {identity_like}"


def test_every_field_is_documented() -> None:
    doc = (SCHEMA_FILE.parent.parent / "README.md").read_text()
    documented = set(re.findall(r"`([a-z0-9_]+)`", doc))
    missing = _schema_fields(json_schema()) - documented
    assert not missing, f"fields missing from contract/README.md: {sorted(missing)}"
    assert set(EVENT_TYPES) <= documented
