"""The on-disk spool: FIFO order, bounds, durability across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.publish.spool import Spool


def test_fifo_and_ack(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    for i in range(5):
        assert spool.put("t", f"m{i}".encode())
    first = spool.peek(2)
    assert [m.payload for m in first] == [b"m0", b"m1"]
    assert [m.payload for m in spool.peek(10, after=first[-1].key)] == [b"m2", b"m3", b"m4"]
    spool.ack([first[0].key])
    assert len(spool) == 4
    assert spool.peek(1)[0].payload == b"m1"


def test_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    spool = Spool(path)
    spool.put("a", b"1")
    spool.put("b", b"22")
    spool.ack([spool.peek(1)[0].key])
    spool.close()

    again = Spool(path)
    assert len(again) == 1 and again.size_bytes == 2
    assert [(m.topic, m.payload) for m in again.peek(10)] == [("b", b"22")]


@pytest.mark.parametrize(
    ("max_messages", "max_bytes", "payloads", "kept", "dropped"),
    [
        (2, 1000, [b"a", b"b", b"c"], 2, 1),
        (10, 5, [b"abc", b"de", b"f"], 2, 1),
        (10, 5, [b"abcdef"], 0, 1),
    ],
)
def test_full_spool_refuses_new_messages(
    tmp_path: Path, max_messages: int, max_bytes: int, payloads: list[bytes], kept: int, dropped: int
) -> None:
    spool = Spool(tmp_path / "s.sqlite", max_messages=max_messages, max_bytes=max_bytes)
    results = [spool.put("t", p) for p in payloads]
    assert results.count(True) == kept
    assert len(spool) == kept and spool.dropped == dropped
    # What was accepted is never evicted to make room.
    assert [m.payload for m in spool.peek(10)] == [p for p, ok in zip(payloads, results) if ok]


def test_ack_frees_room(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite", max_messages=1)
    assert spool.put("t", b"x")
    assert not spool.put("t", b"y")
    spool.ack([m.key for m in spool.peek(1)])
    assert spool.put("t", b"y")


def test_corrupt_spool_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RuntimeError, match=str(path)):
        Spool(path)
