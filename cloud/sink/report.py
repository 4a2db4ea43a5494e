"""The sink's throughput and lag line, logged every few seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass

from citytwin.meter import Meter


@dataclass
class SinkMeter(Meter):
    """Counters since start, and per-interval rates.

    ``behind`` is how many records the assigned partitions hold beyond what
    this sink has read (consumer lag); ``age`` is how long ago the bridge
    produced the oldest record of a file when the file became visible.
    """

    consumed: int = 0
    rows: int = 0
    files: int = 0
    dead_letters: int = 0
    write_s: float = 0.0
    _age_max: float = 0.0

    def wrote(self, rows: int, files: int, seconds: float, oldest_kafka_ms: int | None) -> None:
        """Count one written chunk."""
        self.rows += rows
        self.files += files
        self.write_s += seconds
        if oldest_kafka_ms is not None:
            self._age_max = max(self._age_max, time.time() - oldest_kafka_ms / 1000)

    def line(self, behind: int, held: int, uncommitted: int) -> str:
        """The report line for the interval since the previous call, and start a new interval."""
        change, span = self.interval("consumed", "rows", "files")
        text = (
            f"sink: in {change['consumed'] / span:.0f}/s, rows {change['rows'] / span:.0f}/s, "
            f"files {change['files']:.0f}, oldest record age at write {self._age_max:.2f}s, behind {behind}, "
            f"held {held}, uncommitted partitions {uncommitted}; totals rows {self.rows} files {self.files} "
            f"dlq {self.dead_letters} write time {self.write_s:.1f}s"
        )
        self._age_max = 0.0
        return text
