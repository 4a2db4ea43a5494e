"""Event ids repeat only for replays whose capture times repeat; anything stamped from the clock never reuses one."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from edge.runtime.cli import numbering
from edge.source.settings import FileSourceConfig
from edge.source.settings import StreamSourceConfig


def _first_two_runs(source: object, tmp: Path) -> tuple[list[int], list[int]]:
    runs = []
    for _ in range(2):
        nxt = numbering(source, tmp, "site-cam-1")  # type: ignore[arg-type]
        runs.append([nxt() for _ in range(3)])
    return runs[0], runs[1]


@pytest.mark.parametrize("source", [
    FileSourceConfig(path=Path("v.avi")),
    FileSourceConfig(path=Path("v.avi"), realtime=True, start_time=datetime(2026, 1, 1, tzinfo=timezone.utc)),
], ids=["fast replay", "paced replay with a fixed start"])
def test_replays_with_repeating_times_repeat_their_ids(source: FileSourceConfig, tmp_path: Path) -> None:
    first, second = _first_two_runs(source, tmp_path)
    assert first == second == [0, 1, 2]


@pytest.mark.parametrize("source", [
    FileSourceConfig(path=Path("v.avi"), realtime=True),
    StreamSourceConfig(url="rtsp://camera/stream"),
], ids=["emulated live camera", "live stream"])
def test_clock_stamped_sources_never_reuse_an_id(source: object, tmp_path: Path) -> None:
    first, second = _first_two_runs(source, tmp_path)
    assert not set(first) & set(second)
