"""Rows to lake files: schema, hour split, atomic and repeatable writes, recovery plans."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cloud.sink import writer
from cloud.sink.recover import planned_ranges
from cloud.sink.schema import SCHEMA, to_table
from contract import wire
from contract.model import parse_event
from contract.wire import body_json
from edge.events.factory import EventFactory
from tests.cloud.sink.lakefiles import START, TOPIC, table, values, write


def test_rows_follow_the_schema() -> None:
    payloads = values(3)
    rows, bad = to_table(4, [7, 8, 9], payloads + [], [1000, 2000, 3000])
    assert not bad
    assert rows.schema.equals(SCHEMA, check_metadata=False)
    first = rows.to_pylist()[0]
    event = json.loads(payloads[0])
    assert first["event_id"] == event["event_id"] and first["ts"] == START
    assert json.loads(first["body"]) == event["body"]
    assert first["body"] == json.dumps(event["body"], separators=(",", ":"))
    assert (first["kafka_partition"], first["kafka_offset"]) == (4, 7)


def _spaced(payload: bytes) -> bytes:
    """The same event in another valid spelling: not canonical, so read through pydantic."""
    return json.dumps(json.loads(payload), indent=1).encode()


def test_rows_are_the_same_whichever_way_a_record_is_spelled() -> None:
    factory = EventFactory("campus", "cam-1", "campus-cam-1")
    health = {"fps": 10, "stage_ms": {"detect": 4e-05}, "frames": 1, "dropped_frames": 0, "cpu_percent": 5,
              "rss_mb": 1e-05, "uptime_s": 3}
    payloads = [*values(2), factory.make("node_health", START, health).to_json()]
    fast, _ = to_table(0, [0, 1, 2], payloads, [0, 0, 0])
    slow, _ = to_table(0, [0, 1, 2], [_spaced(p) for p in payloads], [0, 0, 0])
    assert fast.equals(slow)
    assert fast.column("body").to_pylist()[2] == body_json(parse_event(payloads[2]).body)
    assert '"stage_ms":{"detect":4e-05}' in fast.column("body").to_pylist()[2]


def test_a_valid_record_the_lake_cannot_hold_comes_back_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    # The schema's bounds are the lake's, so no real record gets here; a model drifting from the lake is what it guards.
    payloads = [_spaced(p) for p in values(3)]  # spaced: read through pydantic, which the drift stands in for

    def drifted(raw: bytes | str) -> object:
        event = parse_event(raw)
        return event.model_copy(update={"seq": 2**64}) if raw == payloads[1] else event

    monkeypatch.setattr(wire, "parse_event", drifted)
    rows, bad = to_table(0, [0, 1, 2], payloads, [0, 0, 0])
    assert rows.column("kafka_offset").to_pylist() == [0, 2]
    assert [(b.offset, b.error, b.value) for b in bad] == [(1, "unstorable", payloads[1])]
    assert "column seq (int64)" in bad[0].reason


def test_invalid_records_come_back_apart() -> None:
    rows, bad = to_table(0, [0, 1, 2], [values(1)[0], b"{nope", b'{"schema_version": 1}'], [0, 0, 0])
    assert rows.num_rows == 1
    assert [(b.offset, b.error) for b in bad] == [(1, "schema"), (2, "schema")]
    assert all(b.reason for b in bad)


def test_a_chunk_spanning_hours_becomes_one_file_per_hour(tmp_path: Path) -> None:
    paths = write(tmp_path, 100, values(240))  # 10:58:00 .. 11:01:59
    assert [p.relative_to(tmp_path).parent.as_posix() for p in paths] == ["date=2026-01-01/hour=10", "date=2026-01-01/hour=11"]
    assert {p.name for p in paths} == {"t.events-p0-o000000000100-o000000000339.parquet"}
    assert sum(pq.read_metadata(p).num_rows for p in paths) == 240
    assert pq.read_metadata(paths[0]).num_rows == 120


def test_writing_the_same_offsets_again_replaces_the_files(tmp_path: Path) -> None:
    first = write(tmp_path, 0, values(50))
    again = write(tmp_path, 0, values(50))
    assert first == again
    assert sum(1 for _ in tmp_path.rglob("*.parquet")) == 1
    assert pq.read_table(again[0]).num_rows == 50
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A disk failing mid-write cannot be produced here; the Parquet writer stands in for it.
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer.pq.ParquetWriter, "write_table", broken)
    with pytest.raises(OSError):
        write(tmp_path, 0, values(5))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_recovery_plans_the_files_after_the_commit(tmp_path: Path) -> None:
    write(tmp_path, 0, values(10))
    write(tmp_path, 10, values(10))
    write(tmp_path, 20, values(10, start=START + timedelta(hours=5)))
    assert planned_ranges(tmp_path, TOPIC, 0, resume_at=10) == [(10, 19), (20, 29)]
    assert planned_ranges(tmp_path, TOPIC, 0, resume_at=30) == []
    assert planned_ranges(tmp_path, TOPIC, 1, resume_at=0) == []


def test_table_helper_offsets() -> None:
    assert table(5, values(2)).column("kafka_offset").to_pylist() == [5, 6]


def test_a_file_holds_its_events_by_capture_time_in_small_row_groups(tmp_path: Path) -> None:
    """Late and early events arrive mixed; the file orders them so ``ts`` statistics prune its row groups."""
    import random

    payloads = values(3 * writer.ROW_GROUP_ROWS // 2, start=START.replace(minute=0), step=timedelta(milliseconds=100))
    random.Random(1).shuffle(payloads)
    (path,) = write(tmp_path, 0, payloads)
    meta = pq.read_metadata(path)
    assert meta.num_row_groups == 2 and meta.row_group(0).num_rows == writer.ROW_GROUP_ROWS
    ts = pq.read_table(path, columns=["ts"]).column("ts").to_pylist()
    assert ts == sorted(ts) and len(ts) == len(payloads)
    first, second = (meta.row_group(i).column(meta.schema.names.index("ts")).statistics for i in range(2))
    assert first.max <= second.min
