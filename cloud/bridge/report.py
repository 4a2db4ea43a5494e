"""The bridge's throughput and lag line, logged every few seconds."""

from __future__ import annotations

from dataclasses import dataclass

from citytwin.meter import Meter


@dataclass
class BridgeMeter(Meter):
    """Counters since start, and per-interval rates and lag.

    Lag is the age of an event (now minus its capture time) when Kafka
    acknowledged it: how far behind the cameras the cloud is.
    """

    received: int = 0
    to_kafka: int = 0
    status: int = 0
    dead_letters: int = 0
    resent: int = 0
    _lag_sum: float = 0.0
    _lag_max: float = 0.0
    _lag_n: int = 0

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
        change, span = self.interval("received", "to_kafka", "dead_letters")
        lag = f"lag mean {self._lag_sum / self._lag_n:.2f}s max {self._lag_max:.2f}s" if self._lag_n else "lag -"
        text = (
            f"bridge: in {change['received'] / span:.0f}/s, to kafka {change['to_kafka'] / span:.0f}/s, "
            f"dead letters {change['dead_letters'] / span:.0f}/s, {lag}, unacked {unacked}, "
            f"producer queue {queued}; totals in {self.received} kafka {self.to_kafka} status {self.status} "
            f"dlq {self.dead_letters} resent {self.resent}"
        )
        self._lag_sum, self._lag_max, self._lag_n = 0.0, 0.0, 0
        return text
