"""Typed, versioned event model; the JSON Schema is generated from it.

Every event carries a deterministic ``event_id`` (node id + sequence number)
so that retries and replays deduplicate downstream, the capture time ``ts`` in
UTC, and a body specific to its ``type``. No field may carry identity: track
ids are local to one node run, and the only pixels allowed are an anonymised
snapshot.

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

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

SCHEMA_VERSION = 1

Ident = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="lower-case id, safe in MQTT topics and file names",
    ),
]
ObjectClass = Annotated[str, Field(pattern=r"^[a-z][a-z0-9 _-]{0,31}$", description="detector label, e.g. person")]
ClassCounts = dict[ObjectClass, Annotated[int, Field(ge=0)]]


def event_id(node: str, seq: int) -> str:
    """The globally unique, deterministic id of a node's ``seq``-th event."""
    return f"{node}:{seq}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventEnvelope(_Strict):
    """Fields every event carries."""

    schema_version: Literal[1] = Field(1, description="version of this event schema")
    event_id: str = Field(description="node id and sequence number, 'node:seq'; unique and deterministic")
    site: Ident = Field(description="site the camera belongs to")
    camera: Ident = Field(description="camera id within the site")
    node: Ident = Field(description="edge node that produced the event")
    seq: int = Field(ge=0, description="per-node sequence number, gap-free within one node run; a replay starts at 0, a live node continues where it left off")
    ts: AwareDatetime = Field(description="capture time of the frame the event describes, UTC")

    @field_validator("ts")
    @classmethod
    def _utc(cls, ts: datetime) -> datetime:
        if ts.utcoffset() != timedelta(0):
            raise ValueError(f"ts must be in UTC (offset +00:00), got offset {ts.utcoffset()}")
        return ts

    @field_validator("event_id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        node, sep, seq = value.rpartition(":")
        if not sep or not node or not seq.isdigit():
            raise ValueError(f"event_id must be 'node:seq', got {value!r}")
        return value

    def to_json(self) -> bytes:
        """Wire form: compact UTF-8 JSON."""
        return self.model_dump_json().encode()


class LineCrossingBody(_Strict):
    line: Ident = Field(description="counting line id")
    direction: Literal["in", "out"] = Field(description="side the object crossed to, as configured")
    object_class: ObjectClass
    track_id: int = Field(ge=0, description="track id local to this node run; not an identity")


class LineCrossing(EventEnvelope):
    """An object crossed a counting line."""

    type: Literal["line_crossing"] = "line_crossing"
    body: LineCrossingBody


class ZoneOccupancyBody(_Strict):
    zone: Ident
    total: int = Field(ge=0, description="objects inside the zone now")
    by_class: ClassCounts = Field(description="objects inside the zone now, per class")


class ZoneOccupancy(EventEnvelope):
    """How many objects are inside a zone, sent when it changes."""

    type: Literal["zone_occupancy"] = "zone_occupancy"
    body: ZoneOccupancyBody


class DwellBody(_Strict):
    zone: Ident
    object_class: ObjectClass
    track_id: int = Field(ge=0, description="track id local to this node run; not an identity")
    entered: AwareDatetime = Field(description="capture time the object entered the zone")
    seconds: float = Field(ge=0, description="time spent inside the zone")


class Dwell(EventEnvelope):
    """An object left a zone after spending ``seconds`` inside."""

    type: Literal["dwell"] = "dwell"
    body: DwellBody


class LineTotals(_Strict):
    line: Ident
    inbound: ClassCounts = Field(description="crossings in the 'in' direction, per class")
    outbound: ClassCounts = Field(description="crossings in the 'out' direction, per class")


class CountBody(_Strict):
    interval_start: AwareDatetime
    interval_s: float = Field(gt=0, description="length of the counting interval")
    by_class: ClassCounts = Field(description="distinct confirmed tracks seen in the interval, per class")
    lines: list[LineTotals] = Field(default_factory=list)


class Count(EventEnvelope):
    """Per-interval class counts for one camera."""

    type: Literal["count"] = "count"
    body: CountBody


class NodeHealthBody(_Strict):
    fps: float = Field(ge=0, description="frames processed per second since the last report")
    stage_ms: dict[str, Annotated[float, Field(ge=0)]] = Field(description="median latency per stage")
    frames: int = Field(ge=0, description="frames processed since start")
    dropped_frames: int = Field(ge=0, description="frames read but not processed since start")
    cpu_percent: float = Field(ge=0)
    rss_mb: float = Field(ge=0)
    temperature_c: float | None = Field(None, description="SoC temperature where the device reports it")
    spool_depth: int = Field(0, ge=0, description="events waiting in the on-disk buffer")
    spool_dropped: int = Field(0, ge=0, description="events dropped because the buffer was full")
    uptime_s: float = Field(ge=0)


class NodeHealth(EventEnvelope):
    """Periodic health report of an edge node."""

    type: Literal["node_health"] = "node_health"
    body: NodeHealthBody


class SnapshotBody(_Strict):
    jpeg_b64: str = Field(max_length=2_000_000, description="base64 JPEG with faces and plates blurred")
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    anonymised: Literal[True] = Field(description="always true: raw frames never leave the node")
    faces_blurred: int = Field(ge=0)
    vehicles_blurred: int = Field(ge=0)


class Snapshot(EventEnvelope):
    """Opt-in anonymised still of the scene."""

    type: Literal["snapshot"] = "snapshot"
    body: SnapshotBody


Event = Annotated[
    LineCrossing | ZoneOccupancy | Dwell | Count | NodeHealth | Snapshot,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[str, ...] = ("line_crossing", "zone_occupancy", "dwell", "count", "node_health", "snapshot")

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
