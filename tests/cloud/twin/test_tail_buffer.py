"""The tail buffer converts each payload once, and its table is always what a fresh conversion of the buffer gives."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pytest

from cloud.sink import schema
from cloud.twin import tail as tail_module
from cloud.twin.lake import lake_rows
from cloud.twin.tail import TailBuffer
from edge.events.factory import EventFactory

T0 = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def converted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many payloads each conversion of the tail was given (the real conversion, counted)."""
    counts: list[int] = []

    def counting(partition: int, offsets: list[int], values: list[bytes], stamps: list[int]) -> Any:
        counts.append(len(values))
        return schema.to_table(partition, offsets, values, stamps)

    monkeypatch.setattr(tail_module, "to_table", counting)
    return counts


def _fresh(payloads: list[bytes]) -> pa.Table:
    table, _ = schema.to_table(0, list(range(len(payloads))), payloads, [0] * len(payloads))
    return lake_rows(table)


def _same(got: pa.Table, payloads: list[bytes]) -> None:
    columns = ["event_id", "seq", "ts", "type", "body", "date", "hour"]
    assert got.select(columns).to_pylist() == _fresh(payloads).select(columns).to_pylist()


def test_each_payload_is_converted_once_and_the_table_stays_whole(converted: list[int]) -> None:
    buffer = TailBuffer(max_events=5)
    factory = EventFactory("city", "cam-1", "city-cam-1")
    sent = [factory.make("zone_occupancy", T0 + timedelta(seconds=i), {"zone": "z", "total": i, "by_class": {}}).to_json()
            for i in range(9)]
    for payload in sent[:3]:
        buffer.add_raw(payload)
    _same(buffer.table(), sent[:3])
    _same(buffer.table(), sent[:3])  # nothing new: nothing converted
    for payload in sent[3:]:
        buffer.add_raw(payload)  # six more into five places: the oldest four leave
    _same(buffer.table(), sent[4:])
    assert converted == [3, 0, 5]  # the second call converted nothing; the third only the five it had not seen


def test_events_past_the_window_leave_the_table(converted: list[int]) -> None:
    buffer = TailBuffer(window=timedelta(minutes=10))
    factory = EventFactory("city", "cam-1", "city-cam-1")
    payloads = [factory.make("zone_occupancy", T0, {"zone": "z", "total": i, "by_class": {}}).to_json() for i in range(4)]
    for payload in payloads:
        buffer.add_raw(payload)
    _same(buffer.table(), payloads)
    with buffer._lock:  # two of them arrived long ago
        old = datetime.now(timezone.utc) - timedelta(hours=1)
        buffer._events = type(buffer._events)([(old, p) if i < 2 else (at, p) for i, (at, p) in enumerate(buffer._events)],
                                              maxlen=buffer._events.maxlen)
    _same(buffer.table(), payloads[2:])
    assert converted == [4, 0]


def test_an_event_the_lake_cannot_hold_is_refused_once(converted: list[int]) -> None:
    buffer = TailBuffer()
    factory = EventFactory("city", "cam-1", "city-cam-1")
    good = factory.make("zone_occupancy", T0, {"zone": "z", "total": 1, "by_class": {}}).to_json()
    # Past add_raw's check (as a payload the conversion cannot read would be): refused when converted.
    odd = b'{"schema_version": 1, "not": "an event"}'
    buffer.add(factory.make("zone_occupancy", T0, {"zone": "z", "total": 2, "by_class": {}}))
    buffer._append(odd)
    buffer.add_raw(good)
    first = buffer.table()
    second = buffer.table()
    assert (first.num_rows, second.num_rows, buffer.rejected) == (2, 2, 1)
    assert converted == [3, 0]
