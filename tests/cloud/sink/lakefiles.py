"""Build event records and lake files for the sink tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa

from cloud.sink.schema import to_table
from cloud.sink.writer import write_chunk
from edge.events.factory import EventFactory

START = datetime(2026, 1, 1, 10, 58, tzinfo=timezone.utc)
TOPIC = "t.events"


def values(count: int, start: datetime = START, step: timedelta = timedelta(seconds=1), node: str = "campus-cam-1") -> list[bytes]:
    """``count`` valid line-crossing events, ``step`` apart from ``start``."""
    factory = EventFactory("campus", "cam-1", node)
    body = {"line": "gate", "direction": "in", "object_class": "person", "track_id": 1}
    return [factory.make("line_crossing", start + i * step, body).to_json() for i in range(count)]


def table(first_offset: int, payloads: list[bytes], partition: int = 0) -> pa.Table:
    offsets = list(range(first_offset, first_offset + len(payloads)))
    rows, bad = to_table(partition, offsets, payloads, [0] * len(payloads))
    assert not bad
    return rows


def write(root: Path, first_offset: int, payloads: list[bytes], partition: int = 0) -> list[Path]:
    """Write ``payloads`` at consecutive offsets as the sink would; returns the files."""
    rows = table(first_offset, payloads, partition)
    last = first_offset + len(payloads) - 1
    return write_chunk(root, TOPIC, partition, (first_offset, last), rows, zstd_level=3)
