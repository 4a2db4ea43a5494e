"""The decode thread: frames in order, never more than ``ahead`` decoded early, prepared there, errors reach the loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from edge.runtime.reader import Decoded, FrameReader
from edge.source.base import SourceError, VideoSource
from edge.source.file import FileSource
from edge.source.settings import FileSourceConfig
from edge.types import Frame

START = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)


class CountingSource(VideoSource):
    """Small frames, counting how many the reader has pulled."""

    name = "counting"

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    def frames(self) -> Iterator[Frame]:
        for index in range(self.total):
            self.pulled += 1
            yield Frame(index=index, ts=START, image=np.zeros((4, 4, 3), np.uint8), source=self.name)


def _same(decoded: Decoded) -> Decoded:
    return decoded


def _read_all(reader: FrameReader[Decoded]) -> list[int]:
    indices = []
    while (decoded := reader.next()) is not None:
        indices.append(decoded.frame.index)
    return indices


@pytest.mark.parametrize("ahead", [0, 1, 3])
def test_every_frame_arrives_once_in_order(ahead: int, vtest_path: Path) -> None:
    source = FileSource(FileSourceConfig(path=vtest_path, start_time=START), name="cam")
    reader = FrameReader(source, ahead, _same)
    try:
        got = [reader.next() for _ in range(25)]
    finally:
        reader.close()
        source.close()
    assert [d.frame.index for d in got if d is not None] == list(range(25))
    assert all(d is not None and d.ms > 0 and d.frame.image.shape == (576, 768, 3) for d in got)


@pytest.mark.parametrize("ahead", [1, 2])
def test_reads_at_most_ahead_frames_beyond_the_loop(ahead: int) -> None:
    source = CountingSource(50)
    reader = FrameReader(source, ahead, _same)
    try:
        assert reader.next() is not None
        time.sleep(0.3)  # ample time for a reader that ignored the bound to run through the whole source
        assert source.pulled == 1 + ahead
        assert _read_all(reader) == list(range(1, 50))
        assert reader.next() is None  # the end stays the end
    finally:
        reader.close()


def test_an_undecodable_file_raises_in_the_loop(tmp_path: Path) -> None:
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"\x00not a video" * 100)
    reader = FrameReader(FileSource(FileSourceConfig(path=bad, start_time=START), name="cam"), 1, _same)
    try:
        with pytest.raises(SourceError, match="bad.avi"):
            reader.next()
    finally:
        reader.close()


def test_close_stops_a_reader_waiting_for_room() -> None:
    reader = FrameReader(CountingSource(10_000), 1, _same)
    assert reader.next() is not None
    begun = time.monotonic()
    reader.close()
    assert time.monotonic() - begun < 2.0
    assert not [t for t in threading.enumerate() if t.name == "decode-counting"]


@pytest.mark.parametrize("ahead", [0, 1])
def test_frames_are_prepared_where_they_are_decoded_and_a_failure_to_prepare_reaches_the_loop(ahead: int) -> None:
    where: list[str] = []

    def prepare(decoded: Decoded) -> int:
        where.append(threading.current_thread().name)
        if decoded.frame.index == 3:
            raise ValueError("cannot prepare frame 3")
        return decoded.frame.index * 10

    reader = FrameReader(CountingSource(10), ahead, prepare)
    try:
        assert [reader.next() for _ in range(3)] == [0, 10, 20]
        with pytest.raises(ValueError, match="frame 3"):
            reader.next()
    finally:
        reader.close()
    assert set(where) == {"decode-counting" if ahead else threading.current_thread().name}
