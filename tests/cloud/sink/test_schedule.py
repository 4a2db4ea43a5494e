"""``Schedule``: the sink's background jobs (compaction, rollups) run every interval, outlive a failure, stop cleanly."""

from __future__ import annotations

import threading
import time

import pytest

from cloud.sink.schedule import Schedule


def test_a_failed_run_is_logged_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []
    twice = threading.Event()

    def job() -> int:
        runs.append(len(runs))
        if len(runs) == 1:
            raise OSError("disk full")
        twice.set()
        return len(runs)

    schedule = Schedule("test-job", 0.05, True, job)
    schedule.start()
    assert twice.wait(10)
    schedule.stop()
    assert len(runs) >= 2 and "test-job failed" in caplog.text and "disk full" in caplog.text


def test_a_disabled_schedule_never_runs() -> None:
    runs: list[int] = []
    schedule = Schedule("off", 0.01, False, lambda: runs.append(1))
    schedule.start()
    time.sleep(0.2)
    schedule.stop()
    assert runs == []
