"""The cockpit's Prometheus series: query latency by kind, logins and failed logins by reason, never by user.

They are served by the runner's one endpoint on ``metrics.cockpit``, a
listener of its own (127.0.0.1 by default), never on the operators' app: the
screen's port faces people, the metrics port faces Prometheus. Nothing here
names a user, an address or a query's text; failed logins are a counter, so
a guessing attack shows as a rate without telling anyone whose name was tried.
"""

from __future__ import annotations

from typing import Literal

from prometheus_client import Counter

from citytwin.metrics import Exposition
from citytwin.metrics_settings import MetricsSettings

QueryKind = Literal["sql", "history", "download"]
LoginFailure = Literal["wrong_password", "throttled"]


class CockpitSeries:
    """The series of one cockpit, on its own registry."""

    def __init__(self, settings: MetricsSettings) -> None:
        self.exposition = Exposition("cockpit", settings)
        registry = self.exposition.registry
        self.query_seconds = self.exposition.seconds(
            "query_seconds", "seconds a query of the twin took, by kind (sql console, history panel, download)", ("kind",))
        self.logins = Counter(self.exposition.name("logins"), "successful logins", registry=registry)
        self.login_failures = Counter(self.exposition.name("login_failures"),
                                      "refused logins, by reason (wrong_password, throttled)", ["reason"], registry=registry)
        for reason in ("wrong_password", "throttled"):  # present at 0, so rate() works from the first scrape
            self.login_failures.labels(reason)

    def query(self, kind: QueryKind, seconds: float) -> None:
        self.query_seconds.labels(kind).observe(seconds)

    def login_failed(self, reason: LoginFailure) -> None:
        self.login_failures.labels(reason).inc()
