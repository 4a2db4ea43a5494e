"""Typed, versioned event model; the JSON Schema is generated from it.

Every event carries a deterministic ``event_id`` (node id + sequence number)
so that retries and replays deduplicate downstream, the capture time ``ts`` in
UTC, and a body specific to its ``type``. No field may carry identity: track
ids are local to one node run, and the only pixels allowed are an anonymised
snapshot. No field is open-ended either: every number is finite and bounded
by what the lake's columns hold, and every string is an id or a word of a
declared vocabulary (``edge.events.vocab``), so nothing can be smuggled in a
long string or an odd class name.

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

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from edge.events.vocab import ObjectClass, ReportedStage

SCHEMA_VERSION = 1

# Every bound below is one the lake and the twin can hold: integers fit the lake's int64 columns, and
# counters stay exact as JSON numbers read into a double (the cockpit), floats are finite and bounded.
MAX_SEQ = 2**63 - 1  # the lake's seq column is int64
MAX_COUNTER = 2**53 - 1  # frames, track ids: exact in every JSON reader
MAX_OCCUPANCY = 10_000  # objects in one zone at once; more than any detector reports in a frame
MAX_INTERVAL_COUNT = 2**31 - 1  # objects or crossings in one counting interval
MAX_CLOCK_OFFSET_MS = 3_600_000.0

IDENT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
Ident = Annotated[
    str,
    Field(pattern=IDENT_PATTERN, description="lower-case id, safe in MQTT topics and file names"),
]
Occupancy = Annotated[int, Field(ge=0, le=MAX_OCCUPANCY)]
IntervalCount = Annotated[int, Field(ge=0, le=MAX_INTERVAL_COUNT)]
Counter = Annotated[int, Field(ge=0, le=MAX_COUNTER)]
StageMs = Annotated[float, Field(ge=0, le=3_600_000)]
ClassOccupancy = dict[ObjectClass, Occupancy]
ClassCounts = dict[ObjectClass, IntervalCount]


def event_id(node: str, seq: int) -> str:
    """The globally unique, deterministic id of a node's ``seq``-th event."""
    return f"{node}:{seq}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EventEnvelope(_Strict):
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


class LineCrossingBody(_Strict):
    line: Ident = Field(description="counting line id")
    direction: Literal["in", "out"] = Field(description="side the object crossed to, as configured")
    object_class: ObjectClass = Field(description="detector label, one of the COCO-80 classes")
    track_id: Counter = Field(description="track id local to this node run, below 2^53; not an identity")


class LineCrossing(EventEnvelope):
    """An object crossed a counting line."""

    type: Literal["line_crossing"] = "line_crossing"
    body: LineCrossingBody


class ZoneOccupancyBody(_Strict):
    zone: Ident
    total: Occupancy = Field(description="objects inside the zone now, at most 10000")
    by_class: ClassOccupancy = Field(description="objects inside the zone now, per COCO-80 class, each at most 10000")


class ZoneOccupancy(EventEnvelope):
    """How many objects are inside a zone, sent when it changes."""

    type: Literal["zone_occupancy"] = "zone_occupancy"
    body: ZoneOccupancyBody


class DwellBody(_Strict):
    zone: Ident
    object_class: ObjectClass = Field(description="detector label, one of the COCO-80 classes")
    track_id: Counter = Field(description="track id local to this node run, below 2^53; not an identity")
    entered: AwareDatetime = Field(description="capture time the object entered the zone")
    seconds: float = Field(ge=0, le=31_536_000, description="time spent inside the zone, at most a year")


class Dwell(EventEnvelope):
    """An object left a zone after spending ``seconds`` inside."""

    type: Literal["dwell"] = "dwell"
    body: DwellBody


class LineTotals(_Strict):
    line: Ident
    inbound: ClassCounts = Field(description="crossings in the 'in' direction, per class, each below 2^31")
    outbound: ClassCounts = Field(description="crossings in the 'out' direction, per class, each below 2^31")


class CountBody(_Strict):
    interval_start: AwareDatetime
    interval_s: float = Field(gt=0, le=86_400, description="length of the counting interval, at most a day")
    by_class: ClassCounts = Field(description="distinct confirmed tracks seen in the interval, per class, each below 2^31")
    lines: list[LineTotals] = Field(default_factory=list, max_length=256, description="totals per line, at most 256 lines")


class Count(EventEnvelope):
    """Per-interval class counts for one camera."""

    type: Literal["count"] = "count"
    body: CountBody


class NodeHealthBody(_Strict):
    fps: float = Field(ge=0, le=10_000, description="frames processed per second since the last report, at most 10000")
    stage_ms: dict[ReportedStage, StageMs] = Field(
        description="median latency per stage the node times (decode, motion, preprocess, infer, postprocess, track, "
        "analytics, snapshot, publish; detect from older nodes), at most an hour"
    )
    frames: Counter = Field(description="frames processed since start")
    dropped_frames: Counter = Field(description="frames read but not processed since start")
    cpu_percent: float = Field(ge=0, le=100_000, description="CPU use of the node process; 100 per busy core")
    rss_mb: float = Field(ge=0, le=16_777_216, description="resident memory of the node process, MiB")
    temperature_c: float | None = Field(
        None, ge=-100, le=250, description="SoC temperature where the device reports one in -100..250 °C"
    )
    spool_depth: Counter = Field(0, description="events waiting in the on-disk buffer")
    spool_dropped: Counter = Field(0, description="events dropped because the buffer was full")
    uptime_s: float = Field(ge=0, le=1e9, description="seconds since the node started")
    clock_offset_ms: float | None = Field(
        None,
        ge=-MAX_CLOCK_OFFSET_MS,
        le=MAX_CLOCK_OFFSET_MS,
        description="the kernel's estimate of the system clock's offset from its NTP source, ms; null where unknown",
    )
    clock_synced: bool | None = Field(
        None, description="whether the kernel reports the system clock synchronised (NTP); null where unknown"
    )


class NodeHealth(EventEnvelope):
    """Periodic health report of an edge node."""

    type: Literal["node_health"] = "node_health"
    body: NodeHealthBody


class SnapshotBody(_Strict):
    jpeg_b64: str = Field(
        max_length=2_000_000,
        pattern=r"^[A-Za-z0-9+/]*={0,2}$",
        description="base64 JPEG with faces and plates blurred, at most 2 MB of base64",
    )
    width: int = Field(gt=0, le=16_384, description="image width in pixels")
    height: int = Field(gt=0, le=16_384, description="image height in pixels")
    anonymised: Literal[True] = Field(description="always true: raw frames never leave the node")
    faces_blurred: Occupancy = Field(description="faces blurred in the image")
    vehicles_blurred: Occupancy = Field(description="vehicles whose lower part was blurred")


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
