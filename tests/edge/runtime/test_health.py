"""The node_health body: device vitals within the contract's bounds, and the clock as the kernel sees it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from contract.bodies import NodeHealthBody
from edge.runtime import clock, health
from edge.runtime.stats import StageTimer


@pytest.mark.parametrize(("readings", "expected"), [
    (["41000", "55500"], 55.5),
    (["-273150", "48000"], 48.0),  # an absent sensor reporting absolute zero
    (["255000"], None),  # a broken sensor pinned at its maximum
    (["oops"], None),
])
def test_temperature_is_the_highest_plausible_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readings: list[str], expected: float | None
) -> None:
    for n, value in enumerate(readings):
        (tmp_path / f"thermal_zone{n}").mkdir()
        (tmp_path / f"thermal_zone{n}" / "temp").write_text(value)
    monkeypatch.setattr(health, "THERMAL_ZONES", tmp_path)
    assert health.soc_temperature_c() == expected


def test_the_body_reports_only_declared_stages_and_the_clock() -> None:
    timer = StageTimer()
    for name in ("infer", "track", "experimental", "detect"):
        timer.add(name, 1.0)
    body = health.HealthReporter(interval_s=1).body(timer, dropped=0, spool_depth=0, spool_dropped=0)
    assert set(body["stage_ms"]) == {"infer", "track"}
    assert NodeHealthBody.model_validate(body).clock_synced == body["clock_synced"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="adjtimex(2) is Linux's")
def test_the_kernel_clock_is_read_on_linux() -> None:
    state = clock.kernel_clock()
    assert isinstance(state.synced, bool)
    assert state.offset_ms is not None and abs(state.offset_ms) <= 3_600_000
