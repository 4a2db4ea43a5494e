"""The type-specific bodies of events, each with the typed columns the twin keeps of it.

No field may carry identity: track ids are local to one node run, and the
only pixels allowed are an anonymised snapshot. No field is open-ended
either: every number is finite and bounded (``contract.ids``), and every
string is an id or a word of a declared vocabulary (``contract.vocab``).

A body declares next to its fields what the twin makes of it: ``view``, the
name of the twin's SQL view of its events, and ``columns``, the fields read
out of its JSON into typed columns. A ``stored`` column is one of the typed
columns of the twin's ``events`` view; the others are read from the body by
the type's own view only. So a new field reaches SQL by one line here.

Example:
    >>> [c.name for c in LineCrossingBody.columns], LineCrossingBody.view
    (['line', 'direction', 'object_class', 'track_id'], 'crossings')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.ids import (
    MAX_CLOCK_OFFSET_MS,
    MAX_HEATMAP_CELL_M,
    MAX_HEATMAP_CELLS,
    MAX_HEATMAP_INDEX,
    MAX_SPEED_KMH,
    MIN_HEATMAP_CELL_M,
    ClassCounts,
    ClassOccupancy,
    Counter,
    Ident,
    IntervalCount,
    Occupancy,
    StageMs,
)
from contract.vocab import ObjectClass, ReportedStage, SceneFlag

# The DuckDB types a body column may have; JSON keeps a nested value as JSON text.
SqlType = Literal["VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "BOOLEAN", "TIMESTAMPTZ", "JSON"]


@dataclass(frozen=True)
class Column:
    """A body field as a typed SQL column of the twin."""

    name: str
    sql: SqlType
    stored: bool = True  # a typed column of ``events`` too; False: only the type's view reads it from the body


class Strict(BaseModel):
    """Frozen, closed and finite: no unknown field, no NaN or infinity."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Body(Strict):
    """A body type: its fields, and what the twin makes of them."""

    view: ClassVar[str | None] = None
    columns: ClassVar[tuple[Column, ...]] = ()


class LineCrossingBody(Body):
    view = "crossings"
    columns = (Column("line", "VARCHAR"), Column("direction", "VARCHAR"), Column("object_class", "VARCHAR"),
               Column("track_id", "BIGINT"))

    line: Ident = Field(description="counting line id")
    direction: Literal["in", "out"] = Field(description="side the object crossed to, as configured")
    object_class: ObjectClass = Field(description="detector label, one of the COCO-80 classes")
    track_id: Counter = Field(description="track id local to this node run, below 2^53; not an identity")


class ZoneOccupancyBody(Body):
    view = "occupancy"
    columns = (Column("zone", "VARCHAR"), Column("total", "INTEGER"), Column("by_class", "JSON", stored=False))

    zone: Ident
    total: Occupancy = Field(description="objects inside the zone now, at most 10000")
    by_class: ClassOccupancy = Field(description="objects inside the zone now, per COCO-80 class, each at most 10000")


class DwellBody(Body):
    view = "dwell"
    columns = (Column("zone", "VARCHAR"), Column("object_class", "VARCHAR"), Column("track_id", "BIGINT"),
               Column("entered", "TIMESTAMPTZ"), Column("seconds", "DOUBLE"))

    zone: Ident
    object_class: ObjectClass = Field(description="detector label, one of the COCO-80 classes")
    track_id: Counter = Field(description="track id local to this node run, below 2^53; not an identity")
    entered: AwareDatetime = Field(description="capture time the object entered the zone")
    seconds: float = Field(ge=0, le=31_536_000, description="time spent inside the zone, at most a year")


class LineTotals(Strict):
    line: Ident
    inbound: ClassCounts = Field(description="crossings in the 'in' direction, per class, each below 2^31")
    outbound: ClassCounts = Field(description="crossings in the 'out' direction, per class, each below 2^31")


class Gate(Strict):
    """A line crossed in one direction, or a zone entered, of the event's camera."""

    kind: Literal["line", "zone"] = Field(description="a counting line or a zone")
    id: Ident = Field(description="the line's or zone's id")
    direction: Literal["in", "out"] | None = Field(None, description="for a line, the direction crossed; null for a zone")


class TurnTotals(Strict):
    origin: Gate = Field(description="the first line or zone of the trips")
    destination: Gate = Field(description="the last line or zone of the trips")
    object_class: ObjectClass = Field(description="detector label, one of the COCO-80 classes")
    trips: IntervalCount = Field(description="trips from origin to destination that ended in the interval, below 2^31")


class QueueTotals(Strict):
    zone: Ident
    mean: float = Field(ge=0, le=10_000, description="mean objects inside the zone moving slower than the queue speed, per frame")
    peak: Occupancy = Field(description="most such objects on one frame of the interval, at most 10000")


class SpeedTotals(Strict):
    """Ground speeds of the objects that crossed a line in one direction, per class, over the interval."""

    line: Ident = Field(description="counting line id")
    direction: Literal["in", "out"] = Field(description="side the objects crossed to, as configured")
    object_class: ObjectClass = Field(description="detector label, one of the COCO-80 classes")
    samples: IntervalCount = Field(description="crossings whose speed was measured, below 2^31")
    mean_kmh: float = Field(ge=0, le=MAX_SPEED_KMH, description="mean ground speed at the crossing, km/h, at most 400")
    p85_kmh: float = Field(
        ge=0, le=MAX_SPEED_KMH, description="85th percentile of the ground speeds at the crossing, km/h, at most 400"
    )


class HeatOrigin(Strict):
    """The WGS84 point the heatmap's grid is laid from."""

    lon: float = Field(ge=-180, le=180, description="degrees east, WGS84")
    lat: float = Field(ge=-90, le=90, description="degrees north, WGS84")


HeatIndex = Annotated[int, Field(ge=-MAX_HEATMAP_INDEX, le=MAX_HEATMAP_INDEX)]


class HeatCell(Strict):
    """One square of the grid: ``east`` and ``north`` count cells from the origin; it spans [east, east + 1) cells."""

    east: HeatIndex = Field(description="cells east of the origin (negative: west), at most 2500 either way")
    north: HeatIndex = Field(description="cells north of the origin (negative: south), at most 2500 either way")
    objects: IntervalCount = Field(description="distinct tracked objects whose ground point was in the cell in the interval")


class Heatmap(Strict):
    """Objects per square cell of the ground over the interval; cells with none are left out."""

    cell_m: float = Field(
        ge=MIN_HEATMAP_CELL_M, le=MAX_HEATMAP_CELL_M, description="side of a cell on the ground, metres, 2 to 1000"
    )
    origin: HeatOrigin = Field(
        description="corner of cell (0, 0); cells are laid east and north of it in metres on the plane tangent there"
    )
    cells: list[HeatCell] = Field(max_length=MAX_HEATMAP_CELLS, description="cells with objects, at most 4096")


class CountBody(Body):
    interval_start: AwareDatetime
    interval_s: float = Field(gt=0, le=86_400, description="length of the counting interval, at most a day")
    by_class: ClassCounts = Field(description="distinct confirmed tracks seen in the interval, per class, each below 2^31")
    lines: list[LineTotals] = Field(default_factory=list, max_length=256, description="totals per line, at most 256 lines")
    turns: list[TurnTotals] = Field(
        default_factory=list, max_length=4096,
        description="origin-destination counts between the camera's lines and zones, per class, at most 4096 pairs",
    )
    queues: list[QueueTotals] = Field(
        default_factory=list, max_length=256, description="queue length per zone over the interval, at most 256 zones"
    )
    speeds: list[SpeedTotals] = Field(
        default_factory=list, max_length=4096,
        description="ground speeds at each line, per direction and class; empty from an uncalibrated camera; at most 4096",
    )
    heatmap: Heatmap | None = Field(
        None, description="objects per ground cell over the interval; null from an uncalibrated camera"
    )


class SceneQuality(Strict):
    """How the camera's picture looked since the last report, and why its counts may be unreliable."""

    brightness: float = Field(ge=0, le=255, description="mean luma of the sampled frames, 0-255")
    colour: float = Field(ge=0, le=255, description="mean colour saturation, 0-255; near 0 for a grey (infrared) picture")
    contrast: float = Field(ge=0, le=128, description="mean standard deviation of luma, 0-128")
    sharpness: float = Field(
        ge=0, le=1000, description="mean variance of the Laplacian over that of luma at 320 px wide; low when blurred"
    )
    confidence: float | None = Field(
        None, ge=0, le=1, description="mean detection confidence since the last report; null with too few detections"
    )
    confidence_baseline: float | None = Field(
        None, ge=0, le=1, description="mean confidence of the node's first detections; null until there are enough"
    )
    flags: list[SceneFlag] = Field(
        max_length=5, description="dark, infrared, low_contrast, blur, confidence_drift: why the counts may be unreliable"
    )
    reliable: bool = Field(description="true when no flag is raised")


class NodeHealthBody(Body):
    view = "health"
    columns = (
        Column("fps", "DOUBLE"), Column("cpu_percent", "DOUBLE"), Column("rss_mb", "DOUBLE"),
        Column("temperature_c", "DOUBLE"), Column("dropped_frames", "BIGINT"), Column("spool_depth", "BIGINT"),
        Column("stage_ms", "JSON", stored=False), Column("clock_offset_ms", "DOUBLE", stored=False),
        Column("clock_synced", "BOOLEAN", stored=False), Column("scene", "JSON", stored=False),
    )

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
    scene: SceneQuality | None = Field(
        None, description="the picture's quality since the last report and its flags; null from nodes that do not judge it"
    )


class SnapshotBody(Body):
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
