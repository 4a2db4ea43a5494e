"""The bridge's throughput and lag line, logged every few seconds."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class BridgeMeter:
    """Counters since start, and per-interval rates and lag.

    Lag is the age of an event (now minus its capture time) when Kafka
    acknowledged it: how far behind the cameras the cloud is.
    """

    interval_s: float
    received: int = 0
    to_kafka: int = 0
    status: int = 0
    dead_letters: int = 0
    resent: int = 0
    _lag_sum: float = 0.0
    _lag_max: float = 0.0
    _lag_n: int = 0
    _last: tuple[float, int, int, int] = field(default_factory=lambda: (time.monotonic(), 0, 0, 0))

    def delivered(self, event_ts: float, now: float) -> None:
        """Count one event Kafka acknowledged, captured at ``event_ts`` (epoch seconds)."""
        self.to_kafka += 1
        lag = now - event_ts
        self._lag_sum += lag
        self._lag_n += 1
        if lag > self._lag_max:
            self._lag_max = lag

    def line(self, unacked: int, queued: int) -> str:
        """The report line for the interval since the previous call, and start a new interval."""
        now = time.monotonic()
        then, received, to_kafka, dead = self._last
        span = max(now - then, 1e-9)
        lag = f"lag mean {self._lag_sum / self._lag_n:.2f}s max {self._lag_max:.2f}s" if self._lag_n else "lag -"
        text = (
            f"bridge: in {(self.received - received) / span:.0f}/s, to kafka {(self.to_kafka - to_kafka) / span:.0f}/s, "
            f"dead letters {(self.dead_letters - dead) / span:.0f}/s, {lag}, unacked {unacked}, "
            f"producer queue {queued}; totals in {self.received} kafka {self.to_kafka} status {self.status} "
            f"dlq {self.dead_letters} resent {self.resent}"
        )
        self._last = (now, self.received, self.to_kafka, self.dead_letters)
        self._lag_sum, self._lag_max, self._lag_n = 0.0, 0.0, 0
        return text

    def due(self, now: float) -> bool:
        return now - self._last[0] >= self.interval_s
