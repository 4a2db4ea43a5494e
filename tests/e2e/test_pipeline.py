"""The whole path on recorded video: edge -> Mosquitto -> bridge -> Kafka -> sink -> Parquet -> twin."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from cloud.siteconfig import load_site
from cloud.twin import Twin
from tests.e2e.edge_run import edge_command, site_config
from tests.support.brokers import KafkaBroker, MqttBroker

pytestmark = [pytest.mark.mqtt, pytest.mark.kafka, pytest.mark.slow]


def service(config: Path, name: str, log: Path, instance: str) -> subprocess.Popen[bytes]:
    # A fresh instance name is a fresh MQTT session: nothing queued for an earlier bridge arrives here.
    return subprocess.Popen(
        [sys.executable, "-m", "citytwin.cli", name, "--config", str(config), "--instance", instance],
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def test_recorded_video_reaches_the_twin(tmp_path: Path, vtest_path: Path, mqtt_broker: MqttBroker, kafka_broker: KafkaBroker) -> None:
    config, site = site_config(tmp_path, vtest_path, mqtt_broker)
    doc = yaml.safe_load(config.read_text())
    run = uuid.uuid4().hex[:8]
    doc["kafka"] = {
        "bootstrap": kafka_broker.bootstrap,
        "topics": {"events": f"e2e-events-{run}", "dlq": f"e2e-dlq-{run}", "status": f"e2e-status-{run}"},
        "partitions": 3,
    }
    doc["lake"] = {"path": str(tmp_path / "lake")}
    doc["cloud"] = {"sink": {"group": f"e2e-sink-{run}", "batch_max_wait_s": 1}, "bridge": {"report_interval_s": 2}}
    config.write_text(yaml.safe_dump(doc))

    bridge = service(config, "bridge", tmp_path / "bridge.log", f"e2e-{run}")
    sink = service(config, "sink", tmp_path / "sink.log", f"e2e-{run}")
    try:
        time.sleep(3)  # both services subscribe before the node starts publishing
        edge = subprocess.run(edge_command(config, "--max-frames", "150"), capture_output=True, text=True, timeout=300)
        assert edge.returncode == 0, edge.stderr
        published = int(re.search(r"(\d+) events \(0 still buffered", edge.stderr).group(1))  # type: ignore[union-attr]

        registry = load_site(config)
        twin = Twin(registry.lake, registry.site, registry.cameras)
        deadline = time.monotonic() + 60
        seen = 0
        while time.monotonic() < deadline:
            twin.refresh()
            seen = twin.query("SELECT count(*) FROM events WHERE site = ?", [site]).rows[0][0]
            if seen >= published:
                break
            time.sleep(1)
    finally:
        for proc in (bridge, sink):
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=60) for proc in (bridge, sink)]
    logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:] for name in ("bridge", "sink")}
    assert seen == published, f"{seen} of {published} events reached the twin\n{logs}"
    assert twin.query("SELECT count(DISTINCT direction) FROM crossings").rows[0][0] >= 1
    assert twin.query("SELECT count(*) FROM current_occupancy WHERE zone = 'plaza'").rows[0][0] == 1
    assert codes == [0, 0], logs
    assert os.listdir(tmp_path / "lake"), "the sink wrote no partition"
