"""The whole path on recorded video: edge -> Mosquitto -> bridge -> Kafka -> sink -> Parquet -> twin -> rules.

One replay of vtest.avi feeds every test here: the bridge, the sink and the
rule service run as real processes, and the plaza's capacity is set low so
that the replay's crowd puts it over capacity. Everything the run writes goes
under one data folder (lake, edge spool, audit log), apart from the logs and
the config, so the residency manifest can be checked against what is on disk.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from citytwin.deployment import load
from cloud.twin.twin import Twin
from tests.cloud.ingest_support import read_topic
from tests.e2e.edge_run import edge_command, site_config
from tests.support.brokers import KafkaBroker, MqttBroker
from tests.support.mqtt import Recorder
from tests.support.services import ServiceProcess

pytestmark = [pytest.mark.mqtt, pytest.mark.kafka, pytest.mark.slow]

SERVICES = ("bridge", "sink", "rules")
CAPACITY = 1


def service(config: Path, name: str, log: Path, instance: str) -> ServiceProcess:
    # A fresh instance name is a fresh MQTT session: nothing queued for an earlier bridge arrives here.
    extra = [] if name == "rules" else ["--instance", instance]
    return ServiceProcess(name, config, log, *extra)


@dataclass
class Run:
    site: str
    published: int
    seen: int
    twin: Twin
    alerts_on_mqtt: list[tuple[str, dict[str, Any]]]
    twin_alerts: list[tuple[Any, ...]]
    codes: list[int]
    logs: dict[str, str]
    lake: Path
    config: Path
    data: Path


def _config(tmp: Path, video: Path, mqtt: MqttBroker, kafka: KafkaBroker) -> tuple[Path, str]:
    config, site = site_config(tmp, video, mqtt)
    doc = yaml.safe_load(config.read_text())
    run = uuid.uuid4().hex[:8]
    doc["kafka"] = {
        "bootstrap": kafka.bootstrap,
        "topics": {"events": f"e2e-events-{run}", "dlq": f"e2e-dlq-{run}", "status": f"e2e-status-{run}"},
        "partitions": 3,
    }
    data = tmp / "data"  # what the services write; logs and this file stay outside it
    doc["mqtt"]["spool_dir"] = str(data / "spool")
    doc["lake"] = {"path": str(data / "lake")}
    doc["residency"] = {"edge_host": socket.gethostname()}  # the edge node runs on this machine too
    doc["cloud"] = {"sink": {"group": f"e2e-sink-{run}", "batch_max_wait_s": 1}, "bridge": {"report_interval_s": 2}}
    doc["cameras"][0]["zones"][0]["capacity"] = CAPACITY
    doc["rules"] = {"interval_s": 1, "topic": f"e2e-alerts-{run}", "rules": [
        {"type": "zone_capacity", "name": "plaza-full", "severity": "critical",
         "action": "dispatch a steward to {zone}: {occupancy} people, capacity {capacity}"}]}
    config.write_text(yaml.safe_dump(doc))
    return config, site


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, vtest_path: Path, mqtt_broker: MqttBroker, kafka_broker: KafkaBroker) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("pipeline")
    config, site = _config(tmp, vtest_path, mqtt_broker, kafka_broker)
    instance = f"e2e-{uuid.uuid4().hex[:8]}"
    alerts = Recorder(mqtt_broker.host, mqtt_broker.port, [f"citytwin/alerts/{site}/#"]).start()
    procs = {name: service(config, name, tmp / f"{name}.log", instance) for name in SERVICES}
    deployment = load(config)
    twin = Twin(deployment.lake_dir, deployment.site, deployment.cameras)
    try:
        time.sleep(3)  # the services subscribe before the node starts publishing
        edge = subprocess.run(edge_command(config, "--max-frames", "150"), capture_output=True, text=True, timeout=300)
        assert edge.returncode == 0, edge.stderr
        published = int(re.search(r"(\d+) events \(0 still buffered", edge.stderr).group(1))  # type: ignore[union-attr]
        deadline = time.monotonic() + 60
        seen, twin_alerts = 0, []
        while time.monotonic() < deadline:
            twin.refresh()
            seen = twin.query("SELECT count(*) FROM events WHERE site = ?", [site]).rows[0][0]
            twin_alerts = twin.query("SELECT kind, rule, subject, severity, action FROM alerts").rows
            if seen >= published and twin_alerts and alerts.messages:
                break
            time.sleep(1)
    finally:
        alerts.stop()
        for proc in procs.values():
            proc.send_signal()
        codes = [proc.wait(60) for proc in procs.values()]
    logs = {name: (tmp / f"{name}.log").read_text(errors="replace")[-3000:] for name in SERVICES}
    on_mqtt = [(m.topic, json.loads(m.payload)) for m in alerts.messages]
    yield Run(site, published, seen, twin, on_mqtt, twin_alerts, codes, logs, deployment.lake_dir, config, tmp / "data")
    twin.close()


def test_recorded_video_reaches_the_twin(run: Run) -> None:
    assert run.seen == run.published, f"{run.seen} of {run.published} events reached the twin\n{run.logs}"
    assert run.twin.query("SELECT count(DISTINCT direction) FROM crossings").rows[0][0] >= 1
    assert run.twin.query("SELECT count(*) FROM current_occupancy WHERE zone = 'plaza'").rows[0][0] == 1
    assert run.codes == [0, 0, 0], run.logs
    assert os.listdir(run.lake), "the sink wrote no partition"


def test_a_crowded_plaza_raises_an_over_capacity_alert_with_an_action(run: Run) -> None:
    peak = run.twin.query("SELECT max(total) FROM occupancy WHERE zone = 'plaza'").rows[0][0]
    assert peak > CAPACITY, "the replay never crowded the plaza; the test's premise is broken"
    fired = [row for row in run.twin_alerts if row[0] == "fired"]
    assert fired, f"no alert in the twin\n{run.logs['rules']}"
    kind, rule, subject, severity, action = fired[0]
    assert (rule, subject, severity) == ("plaza-full", "cam-1/plaza", "critical")
    assert re.fullmatch(rf"dispatch a steward to plaza: \d+ people, capacity {CAPACITY}", action)
    topics = {topic for topic, _ in run.alerts_on_mqtt}
    assert topics == {f"citytwin/alerts/{run.site}/plaza-full"}, run.logs["rules"]
    record = next(r for _, r in run.alerts_on_mqtt if r["kind"] == "fired")
    assert record["action"] == action and record["evidence"]["capacity"] == CAPACITY
    assert record["evidence"]["occupancy"] > CAPACITY



def test_the_alert_is_also_on_kafka_for_other_systems(run: Run) -> None:
    cfg = load(run.config)
    # Read by assignment until the record is there: a consumer that stops after a fixed quiet spell can give up
    # before a loaded broker has served its first fetch.
    records = read_topic(cfg, cfg.rules.topic, 1, keep=lambda m: m.key() == b"plaza-full"
                         and json.loads(m.value())["kind"] == "fired")
    assert records, f"no fired plaza-full record on {cfg.rules.topic}\n{run.logs['rules']}"
    assert json.loads(records[0].value())["action"].startswith("dispatch a steward to plaza")


def _citytwin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "citytwin.cli", *args], capture_output=True, text=True, timeout=120)


def _covers(dataset: dict[str, Any], path: Path) -> bool:
    """Whether ``path`` is the dataset's file, or lies in its folder under one of the names it owns."""
    location = Path(dataset["location"])
    if path == location:
        return True
    if location not in path.parents:
        return False
    first = path.relative_to(location).parts[0]
    return not dataset["files"] or any(fnmatch.fnmatch(first, name) for name in dataset["files"])


def test_the_residency_manifest_lists_every_place_the_run_wrote(run: Run, kafka_admin: Any) -> None:
    # Retention as its service runs it (keeping everything): its audit log goes where the config says.
    retention = _citytwin("retention", "--config", str(run.config), "--days", "36500")
    assert retention.returncode == 0, retention.stderr
    done = _citytwin("residency", "--config", str(run.config), "--json")
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    datasets = manifest["datasets"]
    here = [d for d in datasets if d["host"] == socket.gethostname() and d["location"].startswith("/")]

    written = [p for p in run.data.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written) and any(p.name == "alerts.jsonl" for p in written)
    unlisted = [str(p) for p in written if not any(_covers(d, p) for d in here)]
    assert not unlisted, f"the run wrote these, the manifest does not list them: {unlisted}"
    audit = next(d for d in here if d["kind"] == "audit_log")
    assert Path(audit["location"]).is_file(), "retention did not write the config's audit log"
    assert next(d for d in here if d["name"] == "lake")["partitions"]["count"] >= 1

    # Every topic the run used is listed, with retention.ms as the policy says (the bridge set it).
    tag = yaml.safe_load(run.config.read_text())["kafka"]["topics"]["events"].removeprefix("e2e-events-")
    used = {t for t in kafka_admin.list_topics() if t.endswith(tag)}
    topics = {d["location"].rsplit("/", 1)[1]: d for d in datasets if d["kind"] == "kafka_topic"}
    assert len(used) >= 4 and used <= topics.keys(), f"used {sorted(used)}, listed {sorted(topics)}"
    assert "answered" in manifest["kafka"]
    for name in used:
        state = topics[name]["topic"]
        assert state["exists"] and not state["mismatch"], state
