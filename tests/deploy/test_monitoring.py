"""The compose deployment's monitoring, checked by parsing: Prometheus scrapes what the services serve, and the
Grafana dashboard asks only for series the code defines."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from citytwin.deployment import load
from citytwin.metrics import Exposition
from citytwin.metrics_settings import MetricsSettings
from citytwin.paths import REPO_ROOT
from cloud.bridge.metrics import BridgeSeries
from cloud.bridge.report import BridgeMeter
from cloud.cockpit.metrics import CockpitSeries
from cloud.rules.metrics import RulesSeries
from cloud.sink.metrics import SinkSeries
from cloud.sink.report import SinkMeter
from edge.runtime.metrics import EdgeSeries
from edge.runtime.stats import StageTimer

COMPOSE = REPO_ROOT / "docker-compose.yml"
PROMETHEUS = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARDS = REPO_ROOT / "deploy" / "grafana" / "dashboards"
SITE = REPO_ROOT / "deploy" / "demo-site.yaml"
# What each kind of family exposes, after its name.
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def _services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE.read_text())["services"]
    return found


def _targets() -> dict[str, list[str]]:
    config = yaml.safe_load(PROMETHEUS.read_text())
    return {job["job_name"]: [t for group in job["static_configs"] for t in group["targets"]]
            for job in config["scrape_configs"]}


def _defined() -> set[str]:
    """Every series name the services define, built on registries of their own as each service builds them."""
    off = MetricsSettings()
    anchored = SimpleNamespace(held_at=None)
    expositions = [series.exposition for series in (
        BridgeSeries(off, BridgeMeter(10)), SinkSeries(off, SinkMeter(10)), CockpitSeries(off), RulesSeries(off))]
    expositions += [Exposition("retention", off), Exposition("federate", off)]  # the runner adds the anchor age alone
    registries: list[CollectorRegistry] = []
    for exposition in expositions:
        exposition.follow_anchor(anchored)  # as the runner does for every service that audits its deployment
        registries.append(exposition.registry)
    edge = EdgeSeries(off, StageTimer())
    edge.follow(SimpleNamespace(published=0, detections_run=0, parts=SimpleNamespace(source=SimpleNamespace(dropped=0))),
                SimpleNamespace(pending=0, dropped=0))  # type: ignore[arg-type]
    registries.append(edge.exposition.registry)
    names = set()
    for registry in registries:
        for family in registry.collect():
            names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def test_every_scrape_target_is_a_compose_service_on_its_metrics_port() -> None:
    services = _services()
    metrics = load(SITE, environ={}).metrics  # the compose defaults of the file's ${VAR:-default}s
    assert metrics.bind == "0.0.0.0", "inside a container the metrics must listen where Prometheus can reach them"
    for job, targets in _targets().items():
        assert targets, f"job {job} scrapes nothing"
        for target in targets:
            host, _, port = target.partition(":")
            assert host in services, f"job {job}: {host} is not a compose service"
            command = services[host].get("command", [])
            assert command[:2] == ["citytwin", job], f"job {job}: {host} runs {command}, not citytwin {job}"
            assert int(port) == metrics.port(job) != 0, f"job {job}: {host} serves /metrics on {metrics.port(job)}, not {port}"


def test_every_long_running_citytwin_service_is_scraped() -> None:
    scraped = {target.partition(":")[0] for targets in _targets().values() for target in targets}
    for name, spec in _services().items():
        command = spec.get("command", [])
        if command[:1] != ["citytwin"] or command[1] in {"credentials"} or "profiles" in spec:
            continue
        assert name in scraped, f"compose service {name} ({' '.join(command[:2])}) is not scraped by Prometheus"


def test_no_metrics_port_is_published_to_the_host() -> None:
    metrics = load(SITE, environ={}).metrics
    ports = {metrics.port(job) for job in _targets()}  # type: ignore[arg-type]
    for name, spec in _services().items():
        for published in spec.get("ports", []):
            assert int(str(published).rsplit(":", 1)[-1]) not in ports, f"{name} publishes a metrics port: {published}"


def test_monitoring_images_are_pinned_and_mount_what_exists() -> None:
    services = _services()
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", services["prometheus"]["image"])
    assert re.fullmatch(r"grafana/grafana:\d+\.\d+\.\d+", services["grafana"]["image"])
    grafana = services["grafana"]
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert "${GRAFANA_ADMIN_PASSWORD:?" in grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"]


@pytest.mark.parametrize("dashboard", sorted(DASHBOARDS.glob("*.json")), ids=lambda p: p.name)
def test_dashboard_queries_only_series_the_code_defines(dashboard: Any) -> None:
    doc = json.loads(dashboard.read_text())
    exprs = [target["expr"] for panel in doc["panels"] for target in panel.get("targets", [])]
    assert exprs, f"{dashboard.name} has no queries"
    defined = _defined()
    used = {name for expr in exprs for name in re.findall(r"\bcitytwin_[a-z0-9_]+", expr)}
    assert used, f"{dashboard.name} asks for no citytwin series"
    unknown = sorted(used - defined)
    assert not unknown, f"{dashboard.name} asks for series no service defines: {unknown}"
    uids = {target["datasource"]["uid"] for panel in doc["panels"] for target in panel["targets"]}
    provisioned = yaml.safe_load((REPO_ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert uids == {source["uid"] for source in provisioned["datasources"]}


def test_the_dashboard_check_can_fail() -> None:
    assert "citytwin_bridge_events_out_total" in _defined()
    assert "citytwin_bridge_events_out" not in _defined() and "citytwin_nothing_total" not in _defined()
