"""The Arrow schema of the lake's event files, and the conversion from Kafka records.

One schema serves every event type: typed envelope columns that every query
filters and groups on, the type-specific body as canonical JSON, and where
the row came from in Kafka.

| column | type | meaning |
| --- | --- | --- |
| ``event_id`` | string | ``node:seq``; the twin deduplicates on it |
| ``schema_version`` | int16 | event schema version (1) |
| ``site``, ``camera``, ``node`` | string | where the event comes from |
| ``seq`` | int64 | per-node sequence number |
| ``ts`` | timestamp[us, UTC] | capture time; also decides the ``date=/hour=`` partition |
| ``type`` | string | ``line_crossing``, ``zone_occupancy``, ``dwell``, ``count``, ``node_health``, ``snapshot`` |
| ``body`` | string (JSON) | the type's body as canonical JSON (``contract.wire.body_json``) |
| ``kafka_partition``, ``kafka_offset`` | int32, int64 | the record's position; unique per row within a topic |
| ``kafka_ts`` | timestamp[ms, UTC] | when the bridge produced the record |

A body kept as JSON lets a new event type or field reach the lake without a
schema migration; DuckDB reads fields with ``body->>'line'`` and friends. The
body JSON is deterministic for an event, so the same event read twice gives
identical rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from contract.wire import Decoded, decode

UTC_US = pa.timestamp("us", tz="UTC")
UTC_MS = pa.timestamp("ms", tz="UTC")


def _field(name: str, kind: pa.DataType, doc: str, nullable: bool = False) -> pa.Field:
    return pa.field(name, kind, nullable=nullable, metadata={"description": doc})


SCHEMA = pa.schema(
    [
        _field("event_id", pa.string(), "node id and sequence number, 'node:seq'"),
        _field("schema_version", pa.int16(), "event schema version"),
        _field("site", pa.string(), "site id"),
        _field("camera", pa.string(), "camera id within the site"),
        _field("node", pa.string(), "edge node that produced the event"),
        _field("seq", pa.int64(), "per-node sequence number"),
        _field("ts", UTC_US, "capture time of the frame, UTC"),
        _field("type", pa.string(), "event type"),
        _field("body", pa.string(), "type-specific body as canonical JSON"),
        _field("kafka_partition", pa.int32(), "Kafka partition of the record"),
        _field("kafka_offset", pa.int64(), "Kafka offset of the record"),
        _field("kafka_ts", UTC_MS, "Kafka record timestamp: when the bridge produced it"),
    ],
    metadata={"citytwin": "events, schema version 1"},
)


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A Kafka record that is not a valid event, and why."""

    offset: int
    value: bytes
    error: str
    reason: str


def _columns(rows: list[tuple[Any, ...]]) -> pa.Table:
    # Rows hold the columns in SCHEMA order; transposed once, they become one array per column.
    columns = zip(*rows) if rows else ([] for _ in SCHEMA)
    arrays = [pa.array(column, type=f.type) for column, f in zip(columns, SCHEMA)]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


# What Arrow raises for a value its column cannot hold (an integer beyond int64, a string that is not text, ...).
_UNSTORABLE = (pa.ArrowException, OverflowError, ValueError, TypeError)


def _unstorable(row: tuple[Any, ...]) -> str | None:
    """Why the lake's columns cannot hold ``row``, naming the column; None if they can."""
    for value, f in zip(row, SCHEMA):
        try:
            pa.array([value], type=f.type)
        except _UNSTORABLE as exc:
            return f"column {f.name} ({f.type}) cannot hold this record's value: {type(exc).__name__}: {exc}"[:500]
    return None


def to_table(partition: int, offsets: list[int], values: list[bytes], kafka_ts: list[int]) -> tuple[pa.Table, list[BadRecord]]:
    """Rows for the records of one partition, in offset order; invalid records come back apart.

    Each record is read by ``contract.wire.decode``: one as the edge writes it on the fast path, whose
    body text is already canonical, any other through pydantic. Whatever it cannot read is a ``schema``
    error (the bridge, which saw it first, tells those apart). The event
    schema's bounds are the lake's, so every valid event fits; should one not, it comes back apart
    as ``unstorable`` rather than failing the batch, which would stall the partition for good.
    """
    rows: list[tuple[Any, ...]] = []
    kept: list[tuple[int, bytes]] = []
    bad: list[BadRecord] = []
    for offset, value, stamp in zip(offsets, values, kafka_ts):
        decoded = decode(value)
        if not isinstance(decoded, Decoded):
            bad.append(BadRecord(offset, value, "schema", decoded.reason))
            continue
        event = decoded.event
        rows.append(
            (event.event_id, event.schema_version, event.site, event.camera, event.node, event.seq, event.ts, event.type,
             decoded.body_json(), partition, offset, stamp)
        )
        kept.append((offset, value))
    try:
        return _columns(rows), bad
    except _UNSTORABLE:
        pass  # some row does not fit: find it, and keep the rest
    fitting = []
    for row, (offset, value) in zip(rows, kept):
        reason = _unstorable(row)
        if reason is None:
            fitting.append(row)
        else:
            bad.append(BadRecord(offset, value, "unstorable", reason))
    bad.sort(key=lambda record: record.offset)
    return _columns(fitting), bad
