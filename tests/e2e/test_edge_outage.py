"""Stop Mosquitto for 10 s in the middle of a replay: every event still arrives."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.edge_run import site_config
from tests.support.brokers import MqttBroker
from tests.support.mqtt import Recorder
from tests.support.services import ServiceProcess

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def test_broker_outage_loses_nothing(tmp_path: Path, vtest_path: Path, mqtt_broker: MqttBroker) -> None:
    config, site = site_config(tmp_path, vtest_path, mqtt_broker, detector={"type": "nanodet", "model": "nanodet-g-416-int8.onnx", "threads": 2})
    # A persistent session, so messages sent while the recorder reconnects wait for it.
    rec = Recorder(
        mqtt_broker.host, mqtt_broker.port, [f"citytwin/{site}/+/events/#"], client_id=f"rec-{uuid.uuid4().hex[:8]}", persistent=True
    ).start()
    node = ServiceProcess("edge", config, tmp_path / "edge.log", "--max-frames", "600")
    try:
        assert rec.wait_for(lambda m: len(m) >= 5, timeout=60), "the node published nothing before the outage"
        mqtt_broker.stop()
        time.sleep(10)
        mqtt_broker.start()
        assert node.wait(300) == 0, node.text()
        assert "0 still buffered" in node.text()
        messages = rec.wait_for(lambda m: _complete(m), timeout=30)
    finally:
        node.kill()
        rec.stop()
        if not mqtt_broker.is_running():
            mqtt_broker.start()
    seqs = {json.loads(m.payload)["seq"] for m in messages}
    assert seqs == set(range(max(seqs) + 1)), f"missing event seqs: {sorted(set(range(max(seqs) + 1)) - seqs)[:20]}"
    assert max(seqs) >= 50
    health = [json.loads(m.payload)["body"] for m in messages if b'"node_health"' in m.payload]
    assert any(h["spool_depth"] > 0 for h in health), "no health report saw events waiting in the spool"


def _complete(messages: list) -> bool:  # type: ignore[type-arg]
    seqs = {json.loads(m.payload)["seq"] for m in messages}
    return bool(seqs) and seqs == set(range(max(seqs) + 1)) and any(b'"node_health"' in m.payload for m in messages[-3:])
