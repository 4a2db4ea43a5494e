"""Typed, versioned event model; the JSON Schema is generated from it.

Every event carries a deterministic ``event_id`` (node id + sequence number)
so that retries and replays deduplicate downstream, the capture time ``ts`` in
UTC, and a body specific to its ``type`` (``contract.bodies``). Nothing in an
event carries identity, and nothing is open-ended: see the bodies and the
bounds in ``contract.ids``.

Example:
    >>> from datetime import datetime, timezone
    >>> e = LineCrossing(
    ...     event_id=event_id("campus-cam-1", 7), site="campus", camera="cam-1",
    ...     node="campus-cam-1", seq=7, ts=datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...     body={"line": "gate", "direction": "in", "object_class": "person", "track_id": 3},
    ... )
    >>> parse_event(e.to_json()).event_id
    'campus-cam-1:7'
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter, field_validator, model_validator

from contract.bodies import (
    Body,
    CountBody,
    DwellBody,
    LineCrossingBody,
    NodeHealthBody,
    SnapshotBody,
    Strict,
    ZoneOccupancyBody,
)
from contract.ids import MAX_SEQ, Ident, event_id

SCHEMA_VERSION = 1


class EventEnvelope(Strict):
    """Fields every event carries."""

    schema_version: Literal[1] = Field(1, description="version of this event schema")
    event_id: str = Field(
        max_length=83,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}:(0|[1-9][0-9]{0,18})$",
        description="exactly '{node}:{seq}' of this event; unique and deterministic",
    )
    site: Ident = Field(description="site the camera belongs to")
    camera: Ident = Field(description="camera id within the site")
    node: Ident = Field(description="edge node that produced the event; the camera's configured node")
    seq: int = Field(
        ge=0,
        le=MAX_SEQ,
        description="per-node sequence number below 2^63, gap-free within one node run; a replay starts at 0, "
        "a live node continues where it left off",
    )
    ts: AwareDatetime = Field(description="capture time of the frame the event describes, UTC")

    @field_validator("ts")
    @classmethod
    def _utc(cls, ts: datetime) -> datetime:
        if ts.utcoffset() != timedelta(0):
            raise ValueError(f"ts must be in UTC (offset +00:00), got offset {ts.utcoffset()}")
        return ts

    @model_validator(mode="after")
    def _id_is_node_and_seq(self) -> EventEnvelope:
        if self.event_id != event_id(self.node, self.seq):
            raise ValueError(f"event_id must be '{event_id(self.node, self.seq)}' (node:seq), got {self.event_id!r}")
        return self

    def to_json(self) -> bytes:
        """Wire form: compact UTF-8 JSON."""
        return self.model_dump_json().encode()


class LineCrossing(EventEnvelope):
    """An object crossed a counting line."""

    type: Literal["line_crossing"] = "line_crossing"
    body: LineCrossingBody


class ZoneOccupancy(EventEnvelope):
    """How many objects are inside a zone, sent when it changes."""

    type: Literal["zone_occupancy"] = "zone_occupancy"
    body: ZoneOccupancyBody


class Dwell(EventEnvelope):
    """An object left a zone after spending ``seconds`` inside."""

    type: Literal["dwell"] = "dwell"
    body: DwellBody


class Count(EventEnvelope):
    """Per-interval class counts for one camera."""

    type: Literal["count"] = "count"
    body: CountBody


class NodeHealth(EventEnvelope):
    """Periodic health report of an edge node."""

    type: Literal["node_health"] = "node_health"
    body: NodeHealthBody


class Snapshot(EventEnvelope):
    """Opt-in anonymised still of the scene."""

    type: Literal["snapshot"] = "snapshot"
    body: SnapshotBody


EventType = LineCrossing | ZoneOccupancy | Dwell | Count | NodeHealth | Snapshot
Event = Annotated[EventType, Field(discriminator="type")]
EVENT_CLASSES: tuple[type[EventType], ...] = (LineCrossing, ZoneOccupancy, Dwell, Count, NodeHealth, Snapshot)
EVENT_TYPES: tuple[str, ...] = tuple(cls.model_fields["type"].default for cls in EVENT_CLASSES)
# Each type's body model, in the order of EVENT_TYPES.
BODIES: dict[str, type[Body]] = {
    kind: cls.model_fields["body"].annotation for kind, cls in zip(EVENT_TYPES, EVENT_CLASSES)  # type: ignore[misc]
}

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(raw: bytes | str) -> Event:
    """Validate one wire payload; raises ``pydantic.ValidationError`` naming the bad field."""
    return _ADAPTER.validate_json(raw)


def json_schema() -> dict[str, object]:
    """The JSON Schema of every event type, as published in ``schema/``."""
    schema = _ADAPTER.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://citytwin.example/schema/event-v{SCHEMA_VERSION}.json"
    schema["title"] = f"citytwin event, schema version {SCHEMA_VERSION}"
    return schema
