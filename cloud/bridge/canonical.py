"""A fast path for events exactly as the edge writes them: compact JSON in model field order.

``edge.events.model.parse_event`` (pydantic) is the contract and stays the
judge, but at about 10 µs an event it would be most of what the bridge and
the sink spend per event. Nearly every payload is an edge node's own
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
- snapshots (rare and large) always take the pydantic path.

It follows that the body's text in the payload is also its canonical text,
``json.dumps(body.model_dump(mode="json"), separators=(",", ":"))``
(``cloud.sink.schema.body_json``), so the sink can store it as it came.
``tests/cloud/bridge/test_canonical.py`` checks the mirror against the model.

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
from typing import Annotated, Literal

import msgspec

# Identifiers and class names are checked against the model's patterns outside msgspec (see
# ``_Names``); msgspec checks the lengths, which bound what a pattern is asked to match.
Ident = Annotated[str, msgspec.Meta(min_length=1, max_length=63)]
ObjectClass = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Natural = Annotated[int, msgspec.Meta(ge=0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Aware = Annotated[datetime, msgspec.Meta(tz=True)]
ClassCounts = dict[ObjectClass, Natural]


class _Names:
    """Strings proven to match one of the model's patterns.

    A site sends the same few names (sites, cameras, lines, zones, classes)
    over and over; a set lookup is much cheaper than a regular expression.
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


IDENTS = _Names(r"[a-z0-9][a-z0-9_-]{0,62}")
CLASSES = _Names(r"[a-z][a-z0-9 _-]{0,31}")


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
    track_id: Natural

    def valid(self) -> bool:
        return IDENTS.ok((self.line,)) and CLASSES.ok((self.object_class,))


class ZoneOccupancyBody(_Body):
    zone: Ident
    total: Natural
    by_class: ClassCounts

    def valid(self) -> bool:
        return IDENTS.ok((self.zone,)) and CLASSES.ok(self.by_class)


class DwellBody(_Body):
    zone: Ident
    object_class: ObjectClass
    track_id: Natural
    entered: Aware
    seconds: NonNegative

    def valid(self) -> bool:
        return IDENTS.ok((self.zone,)) and CLASSES.ok((self.object_class,)) and plain(self.seconds)


class LineTotals(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    line: Ident
    inbound: ClassCounts
    outbound: ClassCounts


class CountBody(_Body):
    interval_start: Aware
    interval_s: Annotated[float, msgspec.Meta(gt=0)]
    by_class: ClassCounts
    lines: list[LineTotals]

    def valid(self) -> bool:
        return (
            plain(self.interval_s)
            and CLASSES.ok(self.by_class)
            and IDENTS.ok(totals.line for totals in self.lines)
            and all(CLASSES.ok(totals.inbound) and CLASSES.ok(totals.outbound) for totals in self.lines)
        )


class NodeHealthBody(_Body):
    fps: NonNegative
    stage_ms: dict[str, NonNegative]
    frames: Natural
    dropped_frames: Natural
    cpu_percent: NonNegative
    rss_mb: NonNegative
    temperature_c: float | None
    spool_depth: Natural
    spool_dropped: Natural
    uptime_s: NonNegative

    def valid(self) -> bool:
        floats = [self.fps, self.cpu_percent, self.rss_mb, self.uptime_s, *self.stage_ms.values()]
        if self.temperature_c is not None:
            floats.append(self.temperature_c)
        return all(plain(value) for value in floats)


class CanonicalEvent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A canonical event; each type narrows ``type`` and ``body`` (fields keep their place)."""

    schema_version: Literal[1]
    event_id: str
    site: Ident
    camera: Ident
    node: Ident
    seq: Natural
    ts: Aware
    type: str
    body: _Body

    def valid(self) -> bool:
        """Whether the envelope checks msgspec does not make hold (the model's validators and patterns)."""
        node, sep, seq = self.event_id.rpartition(":")
        return (
            self.ts.tzinfo is timezone.utc  # msgspec's for "Z"; the round trip leaves no other spelling of UTC
            and bool(sep and node and seq.isdigit())
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
