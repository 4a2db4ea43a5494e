"""The edge node's Prometheus series: frames (their rate is the node's fps), stage latencies, events, spool depth."""

from __future__ import annotations

from prometheus_client import Gauge

from citytwin.metrics import Counted, Exposition, MeterCollector
from citytwin.metrics_settings import MetricsSettings
from edge.publish.mqtt import MqttPublisher
from edge.runtime.node import EdgeNode
from edge.runtime.stats import StageTimer


class EdgeSeries:
    """The series of one edge node, on its own registry; stage samples arrive from the node's ``StageTimer``."""

    def __init__(self, settings: MetricsSettings, timer: StageTimer) -> None:
        self.exposition = Exposition("edge", settings)
        # Stage names are the contract's fixed few (decode, infer, publish, ...): a bounded label.
        self.stage_seconds = self.exposition.seconds("stage_seconds", "seconds one frame spent in a stage", ("stage",))
        MeterCollector(self.exposition, timer, {"frames": Counted("frames", "frames processed; its rate is the fps")})
        timer.on_sample = self._sample

    def _sample(self, stage: str, ms: float) -> None:
        self.stage_seconds.labels(stage).observe(ms / 1000.0)

    def follow(self, node: EdgeNode, publisher: MqttPublisher) -> None:
        """Read the node's counters and the publisher's spool at scrape time."""
        MeterCollector(self.exposition, node, {
            "published": Counted("events_out", "events handed to the publisher"),
            "detections_run": Counted("detections", "frames the detector ran on"),
        })
        MeterCollector(self.exposition, publisher, {"dropped": Counted("spool_dropped", "events the full spool dropped")})
        registry = self.exposition.registry
        Gauge(self.exposition.name("spool_depth"), "events waiting in the on-disk spool for the broker",
              registry=registry).set_function(lambda: float(publisher.pending))
        Gauge(self.exposition.name("source_dropped"), "frames the source dropped because the node was behind",
              registry=registry).set_function(lambda: float(node.parts.source.dropped))
