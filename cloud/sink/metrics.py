"""The sink's Prometheus series: events in, rows and files out, dead letters, consumer lag, write latency and age."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from citytwin.metrics import Counted, Exposition, MeterCollector
from citytwin.metrics_settings import MetricsSettings
from cloud.sink.report import SinkMeter

COUNTED = {
    "consumed": Counted("events_in", "records the sink consumed from the events topic"),
    "rows": Counted("rows_out", "event rows written into the lake"),
    "files": Counted("files_written", "Parquet files made durable in the lake"),
}


class SinkSeries:
    """The series of one sink, on its own registry; the gauges are set at each report, on the sink's thread."""

    def __init__(self, settings: MetricsSettings, meter: SinkMeter) -> None:
        self.exposition = Exposition("sink", settings)
        registry = self.exposition.registry
        MeterCollector(self.exposition, meter, COUNTED)
        self.dead_letters = Counter(self.exposition.name("dead_letters"), "records dead-lettered, by error code",
                                    ["error"], registry=registry)
        self.write_seconds = self.exposition.seconds("write_seconds", "seconds to write one chunk's Parquet files durably")
        self.age_at_write = self.exposition.seconds(
            "record_age_at_write_seconds", "seconds from the bridge producing a chunk's oldest record to its file being durable")
        self.behind = Gauge(self.exposition.name("consumer_lag"),
                            "records the assigned partitions hold beyond what this sink has read", registry=registry)
        self.held = Gauge(self.exposition.name("held"), "records read but not yet written", registry=registry)
        self.uncommitted = Gauge(self.exposition.name("uncommitted_partitions"),
                                 "partitions whose written offsets are not yet committed", registry=registry)
