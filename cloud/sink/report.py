"""The sink's throughput and lag line, logged every few seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class SinkMeter:
    """Counters since start, and per-interval rates.

    ``behind`` is how many records the assigned partitions hold beyond what
    this sink has read (consumer lag); ``age`` is how long ago the bridge
    produced the oldest record of a file when the file became visible.
    """

    interval_s: float
    consumed: int = 0
    rows: int = 0
    files: int = 0
    dead_letters: int = 0
    write_s: float = 0.0
    _age_max: float = 0.0
    _last: tuple[float, int, int, int] = field(default_factory=lambda: (time.monotonic(), 0, 0, 0))

    def wrote(self, rows: int, files: int, seconds: float, oldest_kafka_ms: int | None) -> None:
        """Count one written chunk."""
        self.rows += rows
        self.files += files
        self.write_s += seconds
        if oldest_kafka_ms is not None:
            self._age_max = max(self._age_max, time.time() - oldest_kafka_ms / 1000)

    def line(self, behind: int, held: int, uncommitted: int) -> str:
        """The report line for the interval since the previous call, and start a new interval."""
        now = time.monotonic()
        then, consumed, rows, files = self._last
        span = max(now - then, 1e-9)
        text = (
            f"sink: in {(self.consumed - consumed) / span:.0f}/s, rows {(self.rows - rows) / span:.0f}/s, "
            f"files {self.files - files}, oldest record age at write {self._age_max:.2f}s, behind {behind}, "
            f"held {held}, uncommitted partitions {uncommitted}; totals rows {self.rows} files {self.files} "
            f"dlq {self.dead_letters} write time {self.write_s:.1f}s"
        )
        self._last = (now, self.consumed, self.rows, self.files)
        self._age_max = 0.0
        return text

    def due(self, now: float) -> bool:
        return now - self._last[0] >= self.interval_s
