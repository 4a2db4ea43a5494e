"""The rule service's Prometheus series: each evaluation's latency and outcome, and the alerts firing after it."""

from __future__ import annotations

from prometheus_client import Gauge

from citytwin.metrics import Exposition, PassSeries
from citytwin.metrics_settings import MetricsSettings


class RulesSeries:
    """The series of one rule service, on its own registry."""

    def __init__(self, settings: MetricsSettings) -> None:
        self.exposition = Exposition("rules", settings)
        self.evaluations = PassSeries(self.exposition, "evaluation", "one evaluation of every rule")
        self.firing = Gauge(self.exposition.name("alerts_firing"), "alerts firing after the latest evaluation",
                            registry=self.exposition.registry)
