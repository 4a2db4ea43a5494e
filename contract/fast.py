"""A fast path for events exactly as the edge writes them: compact JSON in model field order.

``contract.model.parse_event`` (pydantic) is the contract and stays the
judge, but at about 10 µs an event it would be most of what the bridge, the
sink and the twin's tail spend per event (``contract.wire.decode`` tries this
path first). Nearly every payload is an edge node's own
``Event.to_json()``. ``decode`` validates a payload against msgspec structs
that mirror the model field by field, encodes what it decoded, and accepts
the payload only if that comes out byte for byte the same. Anything else,
valid or not, gives ``None`` and takes the pydantic path. So what is
accepted here pydantic accepts too, with the same values:

- the round trip rules out whitespace, duplicate, missing or unknown keys,
  other spellings of numbers and dates, and with them every leniency in
  which two JSON parsers could differ;
- only printable ASCII without backslashes is taken, so there are no escapes
  and no non-ASCII text, which ``json.dumps`` writes differently;
- a float that Python writes in exponent form (below 1e-4, or from 1e16 on)
  is never taken, because msgspec writes those differently;
- every bound on a number or a length is the model's own, read from it
  (``_like``); class and stage names are the model's vocabularies; ``NaN``
  and ``Infinity`` are not JSON, and msgspec refuses them;
- snapshots (rare and large) always take the pydantic path.

It follows that the body's text in the payload is also its canonical text,
``json.dumps(body.model_dump(mode="json"), separators=(",", ":"))``
(``contract.wire.body_json``), so the sink can store it as it came.
``tests/contract/test_fast.py`` checks the mirror against the model.

Example:
    >>> payload = (b'{"schema_version":1,"event_id":"n:7","site":"s","camera":"c","node":"n","seq":7,'
    ...            b'"ts":"2026-01-01T00:00:00Z","type":"line_crossing",'
    ...            b'"body":{"line":"gate","direction":"in","object_class":"person","track_id":3}}')
    >>> decode(payload).event_id, body_text(payload)
    ('n:7', '{"line":"gate","direction":"in","object_class":"person","track_id":3}')
    >>> decode(b'{"schema_version": 1}') is None
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Annotated, Literal, get_args

import msgspec
from pydantic import BaseModel

from contract import bodies, ids, model
from contract.vocab import ObjectClass, ReportedStage, SceneFlag

_BOUNDS = ("ge", "gt", "le", "lt", "min_length", "max_length")


def _like(source: object, field: str | None = None) -> msgspec.Meta:
    """The model's bounds of an annotated type, or of ``field`` of a model class, as msgspec's.

    Taken from the model rather than written again, so the two cannot drift
    apart. Patterns are not taken: msgspec's ``re.search`` is not pydantic's
    Rust ``$``; identifiers are checked with ``IDENTS`` instead.
    """
    if field is not None:
        if not (isinstance(source, type) and issubclass(source, BaseModel)):
            raise TypeError(f"a field's bounds are taken from a model class, not {source!r}")
        constraints = source.model_fields[field].metadata
    else:
        constraints = [m for info in get_args(source)[1:] for m in getattr(info, "metadata", [])]
    found = {name: getattr(c, name) for c in constraints for name in _BOUNDS if getattr(c, name, None) is not None}
    return msgspec.Meta(**found)


# Identifiers are checked against the model's pattern outside msgspec (see ``_Names``); msgspec
# checks the lengths, which bound what the pattern is asked to match.
Ident = Annotated[str, msgspec.Meta(min_length=1, max_length=63)]
Counter = Annotated[int, _like(ids.Counter)]
Occupancy = Annotated[int, _like(ids.Occupancy)]
IntervalCount = Annotated[int, _like(ids.IntervalCount)]
Aware = Annotated[datetime, msgspec.Meta(tz=True)]
ClassOccupancy = dict[ObjectClass, Occupancy]
ClassCounts = dict[ObjectClass, IntervalCount]


class _Names:
    """Strings proven to match one of the model's patterns.

    A site sends the same few names (sites, cameras, lines, zones) over and
    over; a set lookup is much cheaper than a regular expression.
    """

    def __init__(self, pattern: str, size: int = 4096) -> None:
        # fullmatch: pydantic's ``$`` is Rust's, which matches only at the very end.
        self.pattern = pattern
        self._match = re.compile(pattern).fullmatch
        self._seen: set[str] = set()
        self._size = size

    def ok(self, values: Iterable[str]) -> bool:
        """Whether every value matches; those that do are remembered."""
        for value in values:
            if value not in self._seen:
                if self._match(value) is None:
                    return False
                if len(self._seen) >= self._size:
                    self._seen.clear()
                self._seen.add(value)
        return True


IDENTS = _Names(ids.IDENT_PATTERN.removeprefix("^").removesuffix("$"))


def plain(value: float) -> bool:
    """Whether ``repr`` writes ``value`` without an exponent; msgspec then writes it the same."""
    return value == 0 or 1e-4 <= abs(value) < 1e16


class _Body(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A body type; every field is required: the edge writes defaults out, and the round trip needs them."""

    def valid(self) -> bool:
        """Whether the checks msgspec does not make hold: patterns, and floats it writes like ``repr``."""
        return True


class LineCrossingBody(_Body):
    line: Ident
    direction: Literal["in", "out"]
    object_class: ObjectClass
    track_id: Counter

    def valid(self) -> bool:
        return IDENTS.ok((self.line,))


class ZoneOccupancyBody(_Body):
    zone: Ident
    total: Occupancy
    by_class: ClassOccupancy

    def valid(self) -> bool:
        return IDENTS.ok((self.zone,))


class DwellBody(_Body):
    zone: Ident
    object_class: ObjectClass
    track_id: Counter
    entered: Aware
    seconds: Annotated[float, _like(bodies.DwellBody, "seconds")]

    def valid(self) -> bool:
        return IDENTS.ok((self.zone,)) and plain(self.seconds)


class LineTotals(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    line: Ident
    inbound: ClassCounts
    outbound: ClassCounts


class Gate(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    kind: Literal["line", "zone"]
    id: Ident
    direction: Literal["in", "out"] | None


class TurnTotals(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    origin: Gate
    destination: Gate
    object_class: ObjectClass
    trips: IntervalCount


class QueueTotals(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    zone: Ident
    mean: Annotated[float, _like(bodies.QueueTotals, "mean")]
    peak: Occupancy


class SpeedTotals(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    line: Ident
    direction: Literal["in", "out"]
    object_class: ObjectClass
    samples: IntervalCount
    mean_kmh: Annotated[float, _like(bodies.SpeedTotals, "mean_kmh")]
    p85_kmh: Annotated[float, _like(bodies.SpeedTotals, "p85_kmh")]


class HeatOrigin(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    lon: Annotated[float, _like(bodies.HeatOrigin, "lon")]
    lat: Annotated[float, _like(bodies.HeatOrigin, "lat")]


class HeatCell(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    east: Annotated[int, _like(bodies.HeatCell, "east")]
    north: Annotated[int, _like(bodies.HeatCell, "north")]
    objects: IntervalCount


class Heatmap(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    cell_m: Annotated[float, _like(bodies.Heatmap, "cell_m")]
    origin: HeatOrigin
    cells: Annotated[list[HeatCell], _like(bodies.Heatmap, "cells")]

    def floats(self) -> list[float]:
        return [self.cell_m, self.origin.lon, self.origin.lat]


class CountBody(_Body):
    interval_start: Aware
    interval_s: Annotated[float, _like(bodies.CountBody, "interval_s")]
    by_class: ClassCounts
    lines: Annotated[list[LineTotals], _like(bodies.CountBody, "lines")]
    turns: Annotated[list[TurnTotals], _like(bodies.CountBody, "turns")]
    queues: Annotated[list[QueueTotals], _like(bodies.CountBody, "queues")]
    speeds: Annotated[list[SpeedTotals], _like(bodies.CountBody, "speeds")]
    heatmap: Heatmap | None

    def valid(self) -> bool:
        gates = (gate.id for turn in self.turns for gate in (turn.origin, turn.destination))
        names = (IDENTS.ok(totals.line for totals in self.lines) and IDENTS.ok(gates) and IDENTS.ok(q.zone for q in self.queues)
                 and IDENTS.ok(s.line for s in self.speeds))
        floats = [self.interval_s, *(q.mean for q in self.queues), *(v for s in self.speeds for v in (s.mean_kmh, s.p85_kmh))]
        if self.heatmap is not None:
            floats += self.heatmap.floats()
        return all(plain(value) for value in floats) and names


class SceneQuality(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    brightness: Annotated[float, _like(bodies.SceneQuality, "brightness")]
    colour: Annotated[float, _like(bodies.SceneQuality, "colour")]
    contrast: Annotated[float, _like(bodies.SceneQuality, "contrast")]
    sharpness: Annotated[float, _like(bodies.SceneQuality, "sharpness")]
    confidence: Annotated[float, _like(bodies.SceneQuality, "confidence")] | None
    confidence_baseline: Annotated[float, _like(bodies.SceneQuality, "confidence_baseline")] | None
    flags: Annotated[list[SceneFlag], _like(bodies.SceneQuality, "flags")]
    reliable: bool

    def floats(self) -> list[float]:
        optional = [v for v in (self.confidence, self.confidence_baseline) if v is not None]
        return [self.brightness, self.colour, self.contrast, self.sharpness, *optional]


class NodeHealthBody(_Body):
    fps: Annotated[float, _like(bodies.NodeHealthBody, "fps")]
    stage_ms: dict[ReportedStage, Annotated[float, _like(ids.StageMs)]]
    frames: Counter
    dropped_frames: Counter
    cpu_percent: Annotated[float, _like(bodies.NodeHealthBody, "cpu_percent")]
    rss_mb: Annotated[float, _like(bodies.NodeHealthBody, "rss_mb")]
    temperature_c: Annotated[float, _like(bodies.NodeHealthBody, "temperature_c")] | None
    spool_depth: Counter
    spool_dropped: Counter
    uptime_s: Annotated[float, _like(bodies.NodeHealthBody, "uptime_s")]
    clock_offset_ms: Annotated[float, _like(bodies.NodeHealthBody, "clock_offset_ms")] | None
    clock_synced: bool | None
    scene: SceneQuality | None

    def valid(self) -> bool:
        floats = [self.fps, self.cpu_percent, self.rss_mb, self.uptime_s, *self.stage_ms.values()]
        for optional in (self.temperature_c, self.clock_offset_ms):
            if optional is not None:
                floats.append(optional)
        if self.scene is not None:
            floats += self.scene.floats()
        return all(plain(value) for value in floats)


class CanonicalEvent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A canonical event; each type narrows ``type`` and ``body`` (fields keep their place)."""

    schema_version: Literal[1]
    event_id: Annotated[str, _like(model.EventEnvelope, "event_id")]
    site: Ident
    camera: Ident
    node: Ident
    seq: Annotated[int, _like(model.EventEnvelope, "seq")]
    ts: Aware
    type: str
    body: _Body

    def valid(self) -> bool:
        """Whether the envelope checks msgspec does not make hold (the model's validators and patterns)."""
        return (
            self.ts.tzinfo is timezone.utc  # msgspec's for "Z"; the round trip leaves no other spelling of UTC
            and self.event_id == f"{self.node}:{self.seq}"
            and IDENTS.ok((self.site, self.camera, self.node))
        )


class LineCrossing(CanonicalEvent):
    type: Literal["line_crossing"]
    body: LineCrossingBody


class ZoneOccupancy(CanonicalEvent):
    type: Literal["zone_occupancy"]
    body: ZoneOccupancyBody


class Dwell(CanonicalEvent):
    type: Literal["dwell"]
    body: DwellBody


class Count(CanonicalEvent):
    type: Literal["count"]
    body: CountBody


class NodeHealth(CanonicalEvent):
    type: Literal["node_health"]
    body: NodeHealthBody


EVENTS: dict[str, type[CanonicalEvent]] = {
    "line_crossing": LineCrossing,
    "zone_occupancy": ZoneOccupancy,
    "dwell": Dwell,
    "count": Count,
    "node_health": NodeHealth,
}
_DECODERS = {kind.encode(): msgspec.json.Decoder(event) for kind, event in EVENTS.items()}
_encode = msgspec.json.Encoder().encode
# In canonical form ``type`` and ``body`` are the last fields, and no string holds a quote.
_TYPE = b',"type":"'
_BODY = b'","body":'


def decode(payload: bytes) -> CanonicalEvent | None:
    """The event in ``payload`` if it is valid and canonical; ``None`` means: ask ``parse_event``."""
    if not payload.isascii() or b"\\" in payload or b"\x7f" in payload:
        return None
    start = payload.find(_TYPE) + len(_TYPE)
    decoder = _DECODERS.get(payload[start : payload.find(b'"', start)]) if start >= len(_TYPE) else None
    if decoder is None:
        return None
    try:
        event: CanonicalEvent = decoder.decode(payload)
        if _encode(event) != payload:
            return None
    except (msgspec.MsgspecError, ValueError):
        return None
    return event if event.valid() and event.body.valid() else None


def body_text(payload: bytes) -> str:
    """The canonical JSON text of the body of ``payload``, which ``decode`` accepted."""
    return payload[payload.find(_BODY) + len(_BODY) : -1].decode("ascii")
