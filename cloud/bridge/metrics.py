"""The bridge's Prometheus series: events in and out, dead letters by error code, event lag, what is in flight."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Gauge

from citytwin.metrics import Counted, Exposition, MeterCollector
from citytwin.metrics_settings import MetricsSettings
from cloud.bridge.report import BridgeMeter

# The meter's counters, exposed under these names (with _total).
COUNTED = {
    "received": Counted("events_in", "MQTT messages the bridge received (events and status)"),
    "to_kafka": Counted("events_out", "events Kafka acknowledged on the events topic"),
    "status": Counted("status_out", "node status messages Kafka acknowledged"),
    "resent": Counted("resent", "records sent to Kafka again after a retriable error"),
}


class BridgeSeries:
    """The series of one bridge, on its own registry."""

    def __init__(self, settings: MetricsSettings, meter: BridgeMeter) -> None:
        self.exposition = Exposition("bridge", settings)
        registry = self.exposition.registry
        MeterCollector(self.exposition, meter, COUNTED)
        # The error codes are the validator's fixed few (schema, invalid_json, clock, ...): a bounded label.
        self.dead_letters = Counter(self.exposition.name("dead_letters"), "messages dead-lettered, by error code",
                                    ["error"], registry=registry)
        self.lag = self.exposition.seconds(
            "event_lag_seconds", "seconds from an event's capture to Kafka's acknowledgement")
        self.in_flight = Gauge(self.exposition.name("unacked"), "MQTT messages not yet acknowledged", registry=registry)

    def follow_in_flight(self, unacked: Callable[[], int]) -> None:
        """Read the unacknowledged count at scrape time."""
        self.in_flight.set_function(lambda: float(unacked()))
