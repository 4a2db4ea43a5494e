"""Every service's /metrics, scraped by a real Prometheus and read back through its query API.

The bridge, the sink, the rules and the cockpit run as ``citytwin``
processes on one deployment whose ``metrics`` section gives each a port;
Prometheus scrapes them every second. The test publishes a known number of
events and one payload that is not JSON, fails one login, and then reads from
Prometheus what the services counted: every count must equal what the test did.
An edge node replaying recorded video at camera pace reports its fps, stage
latencies and spool the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from cloud.bench.nodes import SimulatedNodes
from cloud.cockpit.users import upsert
from tests.cloud.ingest_support import Ingest, MakeIngest, Publisher, make_ingest  # noqa: F401 (fixtures)
from tests.e2e.edge_run import site_config
from tests.support.brokers import MqttBroker
from tests.support.http import free_port
from tests.support.prometheus import Prometheus
from tests.support.services import ServiceProcess

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt, pytest.mark.slow]

SERVICES = ("bridge", "sink", "rules", "cockpit")
EVENTS = 300
PASSWORD = "metrics-test-password"


@dataclass
class Scraped:
    setup: Ingest
    prometheus: Prometheus
    cockpit: httpx.Client
    procs: dict[str, ServiceProcess]


def _start(setup: Ingest, ports: dict[str, int], users: Path) -> dict[str, ServiceProcess]:
    procs = {"bridge": setup.service("bridge"), "sink": setup.service("sink")}
    procs["bridge"].wait_for_log("subscribed to")
    procs["sink"].wait_for_log("assigned")
    procs["rules"] = ServiceProcess("rules", setup.path, setup.logs / "rules.log")
    procs["cockpit"] = ServiceProcess("cockpit", setup.path, setup.logs / "cockpit.log", "--users", str(users),
                                      "--port", str(ports["screen"]))
    setup.started.extend([procs["rules"], procs["cockpit"]])
    for name, proc in procs.items():
        proc.wait_for_log(f"Prometheus metrics at http://127.0.0.1:{ports[name]}/metrics")
    return procs


@pytest.fixture
def scraped(make_ingest: MakeIngest, tmp_path: Path) -> Iterator[Scraped]:  # noqa: F811 (fixture)
    ports = {name: free_port() for name in (*SERVICES, "screen")}
    setup = make_ingest(top={
        "metrics": {name: ports[name] for name in SERVICES},
        "rules": {"interval_s": 1, "mqtt": False, "kafka": False,
                  "rules": [{"type": "node_offline", "name": "silent", "silent_s": 600}]},
    })
    users = tmp_path / "users.yaml"
    upsert(users, "ada", "admin", PASSWORD)
    procs = _start(setup, ports, users)
    prometheus = Prometheus(tmp_path / "prometheus", {name: f"127.0.0.1:{ports[name]}" for name in SERVICES})
    cockpit = httpx.Client(base_url=f"http://127.0.0.1:{ports['screen']}", timeout=30)
    try:
        yield Scraped(setup, prometheus, cockpit, procs)
    finally:
        cockpit.close()
        prometheus.stop()
        for proc in procs.values():
            proc.close()


def test_prometheus_reads_back_what_the_services_counted(scraped: Scraped, mqtt_broker: MqttBroker) -> None:
    setup, prom = scraped.setup, scraped.prometheus
    nodes = SimulatedNodes(mqtt_broker.host, mqtt_broker.port, site=setup.site, count=3, prefix=setup.prefix,
                           client_prefix=setup.prefix).start()
    bad = Publisher(mqtt_broker.host, mqtt_broker.port, f"{setup.prefix}-bad")
    try:
        published = nodes.publish(EVENTS)
        assert nodes.wait_acked(60), f"{nodes.unacked} events were never acknowledged by Mosquitto"
        bad.send(f"{setup.prefix}/{setup.site}/cam-1/events/line_crossing", b"{not json")
    finally:
        nodes.stop()
        bad.close()
    assert scraped.cockpit.post("/api/login", json={"username": "ada", "password": "wrong"}).status_code == 401

    prom.until("citytwin_bridge_events_out_total", lambda v: v >= len(published), "the bridge's events out")
    assert prom.value("citytwin_bridge_events_out_total") == len(published)
    prom.until("citytwin_bridge_events_in_total", lambda v: v == len(published) + 1, "the bridge's messages in")
    prom.until('citytwin_bridge_dead_letters_total{error="invalid_json"}', lambda v: v == 1, "the dead letter by reason")
    prom.until("citytwin_sink_rows_out_total", lambda v: v >= len(published), "rows the sink wrote", timeout_s=90)
    assert prom.value("citytwin_sink_rows_out_total") == len(published)
    assert prom.value("citytwin_sink_events_in_total") == len(published)
    prom.until("citytwin_sink_files_written_total", lambda v: v >= 1, "Parquet files the sink wrote")
    prom.until("citytwin_sink_write_seconds_count", lambda v: v >= 1, "the sink's write latency")
    prom.until('citytwin_cockpit_login_failures_total{reason="wrong_password"}', lambda v: v == 1, "the failed login")
    assert prom.value('citytwin_cockpit_login_failures_total{reason="throttled"}') == 0
    prom.until('citytwin_rules_evaluations_total{outcome="ok"}', lambda v: v >= 2, "the rules' evaluations")
    for service in SERVICES:  # each has its deployment recorded and anchored, and says how long ago
        age = prom.until(f"citytwin_{service}_audit_anchor_age_seconds", lambda v: not math.isnan(v), f"the {service}'s anchor age")
        assert 0 <= age < 120, f"the {service}'s audit anchor is {age} s old"
    assert prom.targets() == {name: "up" for name in SERVICES}


def test_the_cockpit_metrics_name_no_user_and_are_not_on_the_screen(scraped: Scraped) -> None:
    assert scraped.cockpit.post("/api/login", json={"username": "mallory-guess", "password": "x"}).status_code == 401
    scraped.prometheus.until('citytwin_cockpit_login_failures_total{reason="wrong_password"}', lambda v: v == 1,
                             "the failed login")
    series = scraped.prometheus.query('{job="cockpit"}')
    assert not [s for s in series if any("mallory" in value for value in s["metric"].values())], series
    assert scraped.cockpit.get("/metrics").status_code == 404  # the screen's port faces people, not Prometheus


def test_an_edge_node_on_recorded_video_reports_fps_stage_latency_and_spool(
    tmp_path: Path, vtest_path: Path, mqtt_broker: MqttBroker
) -> None:
    config, _site = site_config(tmp_path, vtest_path, mqtt_broker)
    doc = yaml.safe_load(config.read_text())
    port = free_port()
    doc["metrics"] = {"edge": port}
    doc["cameras"][0]["source"]["realtime"] = True  # paced like a camera (10 fps), so Prometheus sees it run
    config.write_text(yaml.safe_dump(doc))
    with ServiceProcess("edge", config, tmp_path / "edge.log", "--max-frames", "600") as node:
        node.wait_for_log(f"Prometheus metrics at http://127.0.0.1:{port}/metrics", timeout_s=120)
        prom = Prometheus(tmp_path / "prometheus", {"edge": f"127.0.0.1:{port}"})
        try:
            prom.until("citytwin_edge_frames_total", lambda v: v >= 30, "frames the node processed", timeout_s=120)
            fps = prom.until("rate(citytwin_edge_frames_total[5s])", lambda v: v > 0, "the node's fps")
            assert fps <= 12, f"a replay paced at 10 fps reported {fps} fps"
            for stage in ("decode", "infer", "track", "publish"):
                prom.until(f'citytwin_edge_stage_seconds_count{{stage="{stage}"}}', lambda v: v >= 1, f"the {stage} stage")
            p95 = prom.value('histogram_quantile(0.95, rate(citytwin_edge_stage_seconds_bucket{stage="infer"}[10s]))')
            assert p95 is not None and 0 < p95 < 5, f"inference p95 {p95} s"
            assert prom.value("citytwin_edge_spool_depth") is not None
            assert prom.value("citytwin_edge_events_out_total") is not None
        finally:
            prom.stop()
        assert node.stop() == 0, node.text()[-3000:]
