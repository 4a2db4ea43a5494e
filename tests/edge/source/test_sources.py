"""Video sources on the recorded fixture: replay, timing, looping, bad files, reconnects."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from edge.source.base import SourceError
from edge.source.file import FileSource
from edge.source.registry import build_source
from edge.source.settings import FileSourceConfig
from edge.source.settings import StreamSourceConfig
from edge.source.stream import StreamSource

START = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)


def test_replays_every_frame_with_stream_time(vtest_path: Path) -> None:
    source = FileSource(FileSourceConfig(path=vtest_path, start_time=START))
    frames = list(source.frames())
    assert len(frames) == 795
    assert frames[0].image.shape == (576, 768, 3)
    assert [f.index for f in frames[:3]] == [0, 1, 2]
    assert frames[0].ts == START
    assert frames[10].ts == START + timedelta(seconds=1.0)  # 10 fps


def test_replay_times_are_reproducible(vtest_path: Path) -> None:
    def times() -> list[datetime]:
        return [f.ts for f in itertools.islice(FileSource(FileSourceConfig(path=vtest_path)).frames(), 5)]

    assert times() == times()


def test_loop_continues_the_clock(vtest_path: Path) -> None:
    source = FileSource(FileSourceConfig(path=vtest_path, loop=True, start_time=START))
    frames = list(itertools.islice(source.frames(), 800))
    assert frames[795].index == 795
    assert frames[795].ts == START + timedelta(seconds=79.5)


def test_realtime_paces_at_native_rate(vtest_path: Path) -> None:
    source = FileSource(FileSourceConfig(path=vtest_path, realtime=True))
    start = time.monotonic()
    list(itertools.islice(source.frames(), 6))
    assert time.monotonic() - start >= 0.45  # 5 frame intervals at 10 fps


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="video file not found: .*nope.avi"):
        FileSource(FileSourceConfig(path=tmp_path / "nope.avi"))


@pytest.mark.parametrize("content", [b"", b"RIFF" + b"\x00" * 4000, bytes(range(256)) * 64])
def test_corrupt_file_gives_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.avi"
    bad.write_bytes(content)
    with pytest.raises(SourceError, match=str(bad)):
        list(FileSource(FileSourceConfig(path=bad)).frames())


def test_truncated_file_yields_what_decodes(tmp_path: Path, vtest_path: Path) -> None:
    cut = tmp_path / "cut.avi"
    cut.write_bytes(vtest_path.read_bytes()[: 1_000_000])
    frames = list(FileSource(FileSourceConfig(path=cut)).frames())
    assert 0 < len(frames) < 795


def test_stream_reconnects_when_the_stream_ends(vtest_path: Path, tmp_path: Path) -> None:
    clip = tmp_path / "clip.avi"
    clip.write_bytes(vtest_path.read_bytes()[: 400_000])  # a few dozen frames
    source = StreamSource(StreamSourceConfig(url=str(clip), reconnect_initial_s=0.01))
    frames = list(itertools.islice(source.frames(), 120))
    assert source.reconnects >= 1
    assert [f.index for f in frames] == list(range(120))


def test_unreachable_stream_gives_up_after_max_failures() -> None:
    config = StreamSourceConfig(url="rtsp://127.0.0.1:9/none", reconnect_initial_s=0.01, max_failures=2)
    assert list(StreamSource(config).frames()) == []


def test_registry_builds_by_type(vtest_path: Path) -> None:
    assert isinstance(build_source(FileSourceConfig(path=vtest_path), "cam"), FileSource)
    assert isinstance(build_source(StreamSourceConfig(url="0"), "cam"), StreamSource)
