"""Check one MQTT message against the event contract and decide where it goes in Kafka.

Pure and total: ``Validator.check`` never raises on any input. A valid event
becomes an ``Accepted`` record for the events topic, keyed ``{site}/{camera}``,
holding the payload byte for byte as it arrived (it was just proven to parse,
and the sink parses it again). An event as the edge writes it is checked on
the fast path of ``cloud.bridge.canonical``; any other goes through pydantic,
which alone explains what is wrong. A node status becomes a record for the
status topic; anything else becomes a ``Rejected`` verdict whose ``error``
code and ``reason`` end up in the dead-letter record's headers.

Example:
    >>> from cloud.config import KafkaTopics
    >>> v = Validator("citytwin", KafkaTopics(), max_payload_bytes=1024)
    >>> v.check("citytwin/campus/cam-1/events/count", b'{"schema_version": 1').error
    'invalid_json'
"""

from __future__ import annotations

import json
from typing import NamedTuple

from pydantic import ValidationError

from cloud.bridge import canonical
from cloud.bridge.canonical import CanonicalEvent
from cloud.config import KafkaTopics
from cloud.dlq.records import describe_errors
from edge.events.model import SCHEMA_VERSION, Event, parse_event
from edge.events.status import NodeStatus

class Accepted(NamedTuple):
    """A valid message, ready for Kafka."""

    topic: str
    key: bytes
    value: bytes
    ts: float  # capture (event) or status time, epoch seconds; for the lag report


class Rejected(NamedTuple):
    """An invalid message and why, for the dead-letter topic."""

    error: str  # short code: too_large, invalid_utf8, invalid_json, schema_version, schema, topic
    reason: str  # for people: what is wrong and where


def _explain(payload: bytes, error: ValidationError) -> Rejected:
    """Classify a payload that failed validation; runs only on the error path."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected("invalid_utf8", f"payload is not UTF-8: byte 0x{payload[exc.start]:02x} at offset {exc.start}")
    if error.errors()[0]["type"] == "json_invalid":
        return Rejected("invalid_json", f"payload is not JSON: {error.errors()[0]['msg'].removeprefix('Invalid JSON: ')}")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and document.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        version = str(document.get("schema_version"))[:40]
        return Rejected("schema_version", f"schema_version {version} is not supported; this bridge understands {SCHEMA_VERSION}")
    return Rejected("schema", describe_errors(error))


class Validator:
    """Routes MQTT messages: events and status to their topics, the rest to the dead letters."""

    def __init__(self, prefix: str, topics: KafkaTopics, max_payload_bytes: int) -> None:
        self.prefix = prefix
        self.topics = topics
        self.max_payload_bytes = max_payload_bytes

    def check(self, mqtt_topic: str, payload: bytes) -> Accepted | Rejected:
        """Where ``payload`` received on ``mqtt_topic`` goes; never raises."""
        if len(payload) > self.max_payload_bytes:
            return Rejected("too_large", f"payload is {len(payload)} bytes; the limit is {self.max_payload_bytes}")
        levels = mqtt_topic.split("/")
        try:
            if len(levels) == 5 and levels[0] == self.prefix and levels[3] == "events":
                return self._event(levels, payload)
            if len(levels) == 4 and levels[0] == self.prefix and levels[3] == "status":
                return self._status(levels, payload)
        except ValidationError as exc:
            return _explain(payload, exc)
        except (ValueError, TypeError, RecursionError) as exc:  # belt and braces: input must never crash the bridge
            return Rejected("schema", f"payload could not be validated: {type(exc).__name__}: {exc}"[:500])
        return Rejected("topic", f"MQTT topic {mqtt_topic!r} is neither {self.prefix}/+/+/events/+ nor {self.prefix}/+/+/status")

    def _event(self, levels: list[str], payload: bytes) -> Accepted | Rejected:
        event: CanonicalEvent | Event | None = canonical.decode(payload)
        if event is None:
            event = parse_event(payload)
        if (event.site, event.camera, event.type) != (levels[1], levels[2], levels[4]):
            return Rejected(
                "topic",
                f"event {event.event_id} says site={event.site} camera={event.camera} type={event.type} "
                f"but came on {'/'.join(levels)}",
            )
        key = f"{event.site}/{event.camera}".encode()
        return Accepted(self.topics.events, key, payload, event.ts.timestamp())

    def _status(self, levels: list[str], payload: bytes) -> Accepted | Rejected:
        status = NodeStatus.model_validate_json(payload)
        if (status.site, status.camera) != (levels[1], levels[2]):
            return Rejected(
                "topic", f"status of site={status.site} camera={status.camera} came on {'/'.join(levels)}"
            )
        key = f"{status.site}/{status.camera}".encode()
        return Accepted(self.topics.status, key, status.to_json(), status.since.timestamp())
