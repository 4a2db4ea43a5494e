"""The MQTT publisher against the live Mosquitto: QoS 1, order, outages, status."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from edge.publish.mqtt import MqttPublisher
from edge.publish.settings import MqttPublisherConfig
from tests.support.brokers import MqttBroker
from tests.support.mqtt import Recorder

pytestmark = pytest.mark.mqtt


def publisher(broker: MqttBroker, tmp_path: Path, site: str, **extra: object) -> MqttPublisher:
    config = MqttPublisherConfig(host=broker.host, port=broker.port, spool_dir=tmp_path / "spool", keepalive_s=5, **extra)  # type: ignore[arg-type]
    return MqttPublisher(config, site=site, camera="cam-1", node=f"{site}-cam-1")


def site_id() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def wait_until(condition: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_delivers_everything_in_order(mqtt_broker: MqttBroker, tmp_path: Path) -> None:
    site = site_id()
    rec = Recorder(mqtt_broker.host, mqtt_broker.port, [f"{site}/#"]).start()
    pub = publisher(mqtt_broker, tmp_path, site).start()
    try:
        for i in range(500):
            assert pub.publish(f"{site}/data", str(i).encode())
        assert wait_until(lambda: pub.pending == 0)
        got = rec.wait_for(lambda m: len(m) >= 500)
    finally:
        pub.stop()
        rec.stop()
    assert [int(m.payload) for m in got] == list(range(500))


def test_broker_outage_is_buffered_on_disk_and_drained(mqtt_broker: MqttBroker, tmp_path: Path) -> None:
    site = site_id()
    rec = Recorder(mqtt_broker.host, mqtt_broker.port, [f"{site}/data"], client_id=f"rec-{site}", persistent=True).start()
    pub = publisher(mqtt_broker, tmp_path, site).start()
    try:
        for i in range(100):
            pub.publish(f"{site}/data", str(i).encode())
        assert wait_until(lambda: pub.pending == 0)
        mqtt_broker.stop()
        for i in range(100, 300):
            assert pub.publish(f"{site}/data", str(i).encode())
        assert pub.pending == 200, "events published while the broker is down wait in the spool"
        assert (tmp_path / "spool" / f"{site}-cam-1.sqlite").stat().st_size > 0
        mqtt_broker.start()
        assert wait_until(lambda: pub.pending == 0, timeout=40), "the spool drains once the broker is back"
        got = rec.wait_for(lambda m: {int(x.payload) for x in m} >= set(range(300)), timeout=30)
    finally:
        pub.stop()
        rec.stop()
        if not mqtt_broker.is_running():
            mqtt_broker.start()
    assert {int(m.payload) for m in got} == set(range(300))


def test_full_spool_refuses_and_counts(tmp_path: Path) -> None:
    config = MqttPublisherConfig(host="127.0.0.1", port=9, spool_dir=tmp_path, spool_max_messages=10)
    pub = MqttPublisher(config, site="s", camera="c", node="s-c")
    accepted = [pub.publish("t", b"x") for _ in range(15)]
    assert accepted.count(True) == 10 and pub.dropped == 5 and pub.pending == 10
    pub.spool.close()


def test_status_is_online_then_offline(mqtt_broker: MqttBroker, tmp_path: Path) -> None:
    site = site_id()
    topic = f"citytwin/{site}/cam-1/status"
    pub = publisher(mqtt_broker, tmp_path, site).start()
    rec = Recorder(mqtt_broker.host, mqtt_broker.port, [topic]).start()
    try:
        online = rec.wait_for(lambda m: any(json.loads(x.payload)["status"] == "online" for x in m))
        assert online and json.loads(online[0].payload)["node"] == f"{site}-cam-1"
    finally:
        pub.stop()
    offline = rec.wait_for(lambda m: any(json.loads(x.payload)["status"] == "offline" for x in m))
    rec.stop()
    assert json.loads(offline[-1].payload)["status"] == "offline"


def test_a_publisher_never_started_stops_and_keeps_its_spool(tmp_path: Path) -> None:
    # A node (or the benchmark without a broker) may publish and stop without ever connecting.
    config = MqttPublisherConfig(host="127.0.0.1", port=9, spool_dir=tmp_path)
    pub = MqttPublisher(config, site="s", camera="c", node="s-c")
    assert pub.publish("t", b"x") and pub.publish("t", b"y")
    pub.stop()
    again = MqttPublisher(config, site="s", camera="c", node="s-c")
    assert [m.payload for m in again.spool.peek(10)] == [b"x", b"y"]
    again.stop()
