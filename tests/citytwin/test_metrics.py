"""The one metrics endpoint: its settings, its listener, the meter's counters at scrape time, the anchor's age."""

from __future__ import annotations

import math
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from citytwin.configfile import load as load_file
from citytwin.errors import ConfigError, Failed
from citytwin.meter import Meter
from citytwin.metrics import Counted, Exposition, MeterCollector, PassSeries
from citytwin.metrics_settings import MetricsSettings
from tests.support.http import free_port


def _samples(exposition: Exposition) -> dict[str, float]:
    text = generate_latest(exposition.registry).decode()
    return {s.name + str(sorted(s.labels.items()) or ""): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.mark.parametrize(("doc", "key"), [
    ({"bridge": 70000}, "bridge"), ({"sink": -1}, "sink"), ({"bind": "localhost"}, "bind"),
    ({"bind": "0.0.0.0; rm -rf /"}, "bind"), ({"brigde": 9400}, "brigde"),
])
def test_bad_metrics_settings_name_the_key(tmp_path: Path, doc: dict[str, object], key: str) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text("\n".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}" for k, v in doc.items()))
    with pytest.raises(ConfigError) as caught:
        load_file(path, MetricsSettings, environ={})
    assert str(path) in str(caught.value) and key in str(caught.value)


def test_port_0_serves_nothing_and_a_port_serves_the_registry() -> None:
    quiet = Exposition("sink", MetricsSettings())
    quiet.start()
    assert quiet.port == 0
    quiet.stop()
    port = free_port()
    exposition = Exposition("sink", MetricsSettings(sink=port))
    PassSeries(exposition, "run", "one pass").record(time.monotonic(), ok=True)
    exposition.start()
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        exposition.stop()
    assert 'citytwin_sink_runs_total{outcome="ok"} 1.0' in body
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_a_taken_port_is_an_error_naming_the_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(Failed) as caught:
            Exposition("bridge", MetricsSettings(bridge=port)).start()
    assert f"metrics.bridge: cannot serve /metrics on 127.0.0.1:{port}" in str(caught.value)
    assert "or 0 to serve none" in str(caught.value)


def test_two_services_in_one_process_do_not_collide() -> None:
    first, second = Exposition("rules", MetricsSettings()), Exposition("rules", MetricsSettings())
    PassSeries(first, "evaluation", "x").record(time.monotonic(), ok=False)
    PassSeries(second, "evaluation", "x")  # the same names on another registry
    assert _samples(first)["citytwin_rules_evaluations_total[('outcome', 'failed')]"] == 1
    assert "citytwin_rules_evaluations_total[('outcome', 'failed')]" not in _samples(second)


@dataclass
class _Hits(Meter):
    hits: int = 0


def test_meter_counters_are_read_at_scrape_time() -> None:
    exposition = Exposition("bridge", MetricsSettings())
    meter = _Hits(interval_s=10)
    MeterCollector(exposition, meter, {"hits": Counted("events_in", "hits")})
    assert _samples(exposition)["citytwin_bridge_events_in_total"] == 0
    meter.hits += 7
    meter.interval("hits")  # the report line's intervals do not reset what Prometheus sees
    assert _samples(exposition)["citytwin_bridge_events_in_total"] == 7


def test_the_anchor_age_is_nan_until_anchored_then_grows() -> None:
    exposition = Exposition("cockpit", MetricsSettings())
    anchored = SimpleNamespace(held_at=None)
    exposition.follow_anchor(anchored)
    assert math.isnan(_samples(exposition)["citytwin_cockpit_audit_anchor_age_seconds"])
    anchored.held_at = time.time() - 30
    assert 30 <= _samples(exposition)["citytwin_cockpit_audit_anchor_age_seconds"] < 60
    exposition.follow_anchor(None)  # a service that anchors nothing exposes no age
