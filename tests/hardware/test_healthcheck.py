"""The node health check against the live Mosquitto: a reporting node passes, a silent one fails."""

from __future__ import annotations

import importlib.util
import sys
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from contract.topics import event_topic
from edge.events.factory import EventFactory
from edge.publish.mqtt import MqttPublisher
from edge.publish.settings import MqttPublisherConfig
from edge.publish.spool import Spool
from tests.support.brokers import MqttBroker

pytestmark = pytest.mark.mqtt

SCRIPT = Path(__file__).resolve().parents[2] / "hardware" / "provisioning" / "healthcheck.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("healthcheck", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


healthcheck = load_script()


def site_file(tmp_path: Path, broker: MqttBroker) -> tuple[Path, str]:
    site = f"hc{uuid.uuid4().hex[:8]}"
    doc = {
        "site": {"id": site, "name": "health", "width_m": 10, "height_m": 10},
        "mqtt": {"host": broker.host, "port": broker.port, "spool_dir": str(tmp_path / "spool"), "keepalive_s": 5},
        "edge": {"health_interval_s": 1},
        "cameras": [{"id": "cam-1", "map": {"x_m": 1, "y_m": 1}, "source": {"type": "file", "path": "/dev/null"}}],
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path, site


HEALTH = {"fps": 9.5, "stage_ms": {"detect": 40.0}, "frames": 100, "dropped_frames": 0, "cpu_percent": 150.0,
          "rss_mb": 240.0, "temperature_c": None, "spool_depth": 0, "spool_dropped": 0, "uptime_s": 10.0}


def test_a_reporting_node_is_healthy(tmp_path: Path, mqtt_broker: MqttBroker, capsys: pytest.CaptureFixture[str]) -> None:
    config, site = site_file(tmp_path, mqtt_broker)
    node = f"{site}-cam-1"
    publisher = MqttPublisher(
        MqttPublisherConfig(host=mqtt_broker.host, port=mqtt_broker.port, spool_dir=tmp_path / "spool", keepalive_s=5), site, "cam-1", node
    ).start()
    factory = EventFactory(site, "cam-1", node)
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(0.3):
            event = factory.make("node_health", datetime.now(timezone.utc), HEALTH)
            publisher.publish(event_topic(event), event.to_json())

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    try:
        code = healthcheck.main(["--config", str(config), "--timeout", "10", "--no-systemd"])
    finally:
        stop.set()
        thread.join()
        publisher.stop()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "OK    status" in out and "online" in out
    assert "OK    health" in out and "9.5 FPS" in out
    assert "OK    spool" in out and "SKIP  service" in out


def test_a_silent_node_fails(tmp_path: Path, mqtt_broker: MqttBroker, capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = site_file(tmp_path, mqtt_broker)
    assert healthcheck.main(["--config", str(config), "--timeout", "0.5", "--no-systemd"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  status" in out and "no status published" in out
    assert "FAIL  health" in out and "no node_health" in out


def test_an_unreachable_broker_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = site_file(tmp_path, MqttBroker(host="127.0.0.1", port=1, run_dir=tmp_path))
    assert healthcheck.main(["--config", str(config), "--timeout", "0.5", "--no-systemd"]) == 1
    assert "FAIL  broker   cannot reach MQTT broker 127.0.0.1:1" in capsys.readouterr().out


@pytest.mark.parametrize(("depth", "limit", "state"), [(0, 10, "OK"), (5, 10, "OK"), (11, 10, "FAIL")])
def test_spool_depth(tmp_path: Path, depth: int, limit: int, state: str) -> None:
    path = tmp_path / "node.sqlite"
    spool = Spool(path)
    for i in range(depth):
        spool.put("t", b"%d" % i)
    spool.close()
    check = healthcheck.check_spool(path, limit)
    assert check.state == state and f"{depth} events waiting" in check.detail


def test_missing_spool_is_skipped(tmp_path: Path) -> None:
    assert healthcheck.check_spool(tmp_path / "none.sqlite", 10).state == "SKIP"


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert healthcheck.main(["--config", str(tmp_path / "missing.yaml")]) == 2
    assert "not found" in capsys.readouterr().err
