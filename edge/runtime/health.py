"""The body of ``node_health`` events: throughput, latency and device vitals."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import psutil

from contract.vocab import STAGES
from edge.runtime.clock import kernel_clock
from edge.runtime.stats import StageTimer

log = logging.getLogger(__name__)

THERMAL_ZONES = Path("/sys/class/thermal")
# Readings outside this range come from absent or broken sensors (some report -273 or 255); the contract refuses them.
PLAUSIBLE_C = (-100.0, 250.0)


def soc_temperature_c() -> float | None:
    """Highest plausible thermal-zone reading (Pi, Jetson, most laptops); None where there is none."""
    readings = []
    for zone in THERMAL_ZONES.glob("thermal_zone*/temp"):
        try:
            celsius = int(zone.read_text().strip()) / 1000.0
        except (OSError, ValueError):
            continue
        if PLAUSIBLE_C[0] <= celsius <= PLAUSIBLE_C[1]:
            readings.append(celsius)
    return max(readings) if readings else None


class HealthReporter:
    """Builds a health body every ``interval_s`` of wall time."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._process = psutil.Process()
        self._process.cpu_percent(None)  # the first call only primes the counter
        self._started = time.monotonic()
        self._last = self._started
        self._last_frames = 0

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.interval_s

    def body(self, timer: StageTimer, dropped: int, spool_depth: int, spool_dropped: int) -> dict[str, Any]:
        now = time.monotonic()
        span = max(now - self._last, 1e-6)
        fps = (timer.frames - self._last_frames) / span
        self._last, self._last_frames = now, timer.frames
        clock = kernel_clock()
        return {
            "fps": round(fps, 2),
            # Only the contract's stage names: a stage added to the loop but not to the contract stays local.
            "stage_ms": {k: round(v, 2) for k, v in timer.medians().items() if k in STAGES},
            "frames": timer.frames,
            "dropped_frames": dropped,
            "cpu_percent": self._process.cpu_percent(None),
            "rss_mb": round(self._process.memory_info().rss / 2**20, 1),
            "temperature_c": soc_temperature_c(),
            "spool_depth": spool_depth,
            "spool_dropped": spool_dropped,
            "uptime_s": round(now - self._started, 1),
            "clock_offset_ms": clock.offset_ms,
            "clock_synced": clock.synced,
        }
