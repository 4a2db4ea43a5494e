"""The one Prometheus endpoint every service gets: its own registry, served at ``/metrics`` on its configured port.

A service makes an ``Exposition`` named after itself and defines its series
on ``exposition.registry`` (a registry of its own, never the process-wide
default, so that several services in one process never collide). The runner
(``citytwin.service.serve``) starts the listener before the service and
stops it after; the edge node and the cockpit, which have their own loops,
call ``start`` and ``stop`` themselves. ``MeterCollector`` turns counters a
service keeps anyway (a ``citytwin.meter.Meter``'s fields) into Prometheus
counters read at scrape time, so nothing is counted twice.

Example:
    >>> from prometheus_client import generate_latest
    >>> from citytwin.metrics_settings import MetricsSettings
    >>> exposition = Exposition("rules", MetricsSettings())
    >>> passes = exposition.seconds("pass_seconds", "seconds one evaluation took")
    >>> exposition.start()  # port 0: nothing is served
    >>> b"citytwin_rules_pass_seconds_count 0.0" in generate_latest(exposition.registry)
    True
    >>> exposition.stop()
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from citytwin.errors import Failed
from citytwin.metrics_settings import MetricsSettings, ServiceName

log = logging.getLogger(__name__)

# Buckets for work that takes milliseconds to a minute: a step, a query, a file write.
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def metric_name(service: ServiceName, name: str) -> str:
    """The full series name of one of ``service``'s metrics: ``citytwin_{service}_{name}``."""
    return f"citytwin_{service}_{name}"


class Anchored(Protocol):
    """What anchors the audit log's head (``cloud.audit.anchoring.Anchorer``): when the anchor file last held it."""

    held_at: float | None


class Exposition:
    """One service's registry and the listener that serves it."""

    def __init__(self, service: ServiceName, settings: MetricsSettings) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.bind, self.port = settings.bind, settings.port(service)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def name(self, name: str) -> str:
        """The full name of this service's metric ``name``."""
        return metric_name(self.service, name)

    def seconds(self, name: str, help: str, labels: tuple[str, ...] = ()) -> Histogram:
        """A latency histogram of this service, in seconds, with buckets from a millisecond to a minute."""
        return Histogram(self.name(name), help, labels, registry=self.registry, buckets=SECONDS_BUCKETS)

    def follow_anchor(self, anchored: Anchored | None) -> None:
        """Expose how long ago the audit log's head was last anchored (NaN before it first was); nothing for None."""
        if anchored is None:
            return

        def age() -> float:
            held_at = anchored.held_at
            return math.nan if held_at is None else time.time() - held_at

        Gauge(self.name("audit_anchor_age_seconds"), "seconds since the anchor file last held the audit log's head",
              registry=self.registry).set_function(age)

    def start(self) -> None:
        """Serve ``/metrics`` on the configured port; nothing with port 0. Raises ``Failed`` if the port is taken."""
        if not self.port:
            return
        try:
            self._server, self._thread = start_http_server(self.port, self.bind, registry=self.registry)
        except OSError as exc:
            raise Failed(f"metrics.{self.service}: cannot serve /metrics on {self.bind}:{self.port}: {exc.strerror}; "
                         f"choose a free port, or 0 to serve none") from exc
        log.info("%s: Prometheus metrics at http://%s:%d/metrics", self.service, self.bind, self.port)

    def stop(self) -> None:
        """Stop serving; safe to call when nothing is served."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class PassSeries:
    """A paced service's passes (an evaluation, an export): how long each took, how many ended how, the latest success."""

    def __init__(self, exposition: Exposition, kind: str, what: str) -> None:
        self.seconds = exposition.seconds(f"{kind}_seconds", f"seconds {what} took")
        self.passes = Counter(exposition.name(f"{kind}s"), f"{what}, by outcome (ok, failed)", ["outcome"],
                              registry=exposition.registry)
        self.last_ok = Gauge(exposition.name(f"last_{kind}_timestamp_seconds"), f"when {what} last succeeded (Unix time)",
                             registry=exposition.registry)

    def record(self, started: float, ok: bool) -> None:
        """One pass that began at ``started`` (``time.monotonic()``) and succeeded or not."""
        self.seconds.observe(time.monotonic() - started)
        self.passes.labels("ok" if ok else "failed").inc()
        if ok:
            self.last_ok.set_to_current_time()


@dataclass(frozen=True)
class Counted:
    """One meter field exposed as a Prometheus counter: the series' short name and its help."""

    name: str
    help: str


class MeterCollector(Collector):
    """Exposes counters a service keeps anyway (a ``Meter``'s fields) at scrape time, under ``exposition``'s names."""

    def __init__(self, exposition: Exposition, meter: object, fields: Mapping[str, Counted]) -> None:
        self.exposition, self.meter, self.fields = exposition, meter, dict(fields)
        exposition.registry.register(self)

    def collect(self) -> Iterator[Metric]:
        for field, counted in self.fields.items():
            # The counter family adds the _total suffix to what it exposes.
            yield CounterMetricFamily(self.exposition.name(counted.name), counted.help, value=getattr(self.meter, field))
