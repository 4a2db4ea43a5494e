"""Shared pieces of the ingest tests: a per-test deployment file, services as real processes, the lake's ids.

Each test gets its own MQTT topic prefix, Kafka topics, consumer group, share
group and lake folder, so tests never see each other's traffic on the shared
test brokers. Import the fixtures into a test module to use them:
``from tests.cloud.ingest_support import ingest, make_ingest  # noqa: F401``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import paho.mqtt.client as mqtt
import pytest
import yaml
from confluent_kafka import Consumer, Message, TopicPartition
from paho.mqtt.enums import CallbackAPIVersion

from citytwin.deployment import Deployment, load
from cloud.kafka.clients import reader_config
from tests.support.brokers import KafkaBroker, MqttBroker, unique_name
from tests.support.services import ServiceProcess

LOG_WAIT_S = 60.0


@dataclass
class Ingest:
    """One test's deployment: its config file, parsed config and names."""

    path: Path
    cfg: Deployment
    prefix: str
    site: str
    logs: Path
    started: list[ServiceProcess] = field(default_factory=list)

    @property
    def lake(self) -> Path:
        return self.cfg.lake_dir

    def service(self, command: str, instance: str = "t1", *extra: str) -> ServiceProcess:
        """Start ``citytwin COMMAND`` on this config as a separate process."""
        service = ServiceProcess(command, self.path, self.logs / f"{command}-{instance}.log", "--instance", instance, *extra)
        self.started.append(service)
        return service


# The cameras every test deployment lists: the bridge takes events only from listed cameras.
CAMERAS = [f"cam-{n}" for n in range(1, 10)] + [f"cam-{n:02d}" for n in range(30)]


def camera_list(ids: list[str]) -> list[dict[str, Any]]:
    """Deployment-file entries for cameras ``ids`` (each with its default node ``campus-<id>``)."""
    return [{"id": camera, "map": {"x_m": 1, "y_m": 1}} for camera in ids]


def write_config(
    folder: Path, mqtt: MqttBroker, kafka: KafkaBroker, name: str, top: dict[str, Any] | None = None, **cloud: Any
) -> Path:
    """A deployment file with names unique to ``name``; ``cloud`` overrides service settings, ``top`` whole sections."""
    settings: dict[str, Any] = {
        "bridge": {"topic_prefix": name, "session_expiry_s": 120, "report_interval_s": 2},
        "sink": {"group": name, "batch_max_wait_s": 1.0, "report_interval_s": 2},
        "compaction": {"enabled": False},
    }
    for section, values in cloud.items():
        settings[section] = {**settings.get(section, {}), **values}
    doc = {
        "site": {"id": "campus", "name": "Test campus", "width_m": 100, "height_m": 100},
        "mqtt": {"host": mqtt.host, "port": mqtt.port},
        "kafka": {
            "bootstrap": kafka.bootstrap,
            "topics": {"events": f"{name}.events", "dlq": f"{name}.dlq", "status": f"{name}.status"},
            "partitions": 3,
        },
        "lake": {"path": str(folder / "lake")},
        "cloud": settings,
        "cameras": camera_list(CAMERAS),
        **(top or {}),
    }
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


MakeIngest = Callable[..., Ingest]


@pytest.fixture
def make_ingest(
    tmp_path: Path, mqtt_broker: MqttBroker, kafka_broker: KafkaBroker, kafka_admin: Any, request: pytest.FixtureRequest
) -> Iterator[MakeIngest]:
    """Makes fresh deployments for one test; deletes their topics.

    Keyword arguments override ``cloud`` sections; ``top`` replaces whole top-level sections (``mqtt``, ``cameras``).
    """
    made: list[Ingest] = []

    def make(top: dict[str, Any] | None = None, **cloud: Any) -> Ingest:
        name = unique_name(request.node.name, prefix="ct")
        folder = tmp_path / name
        folder.mkdir()
        path = write_config(folder, mqtt_broker, kafka_broker, name, top, **cloud)
        cfg = load(path, environ={})
        logs = folder / "logs"
        logs.mkdir()
        made.append(Ingest(path, cfg, name, cfg.site.id, logs))
        return made[-1]

    yield make
    for setup in made:
        for service in setup.started:  # a test that failed half-way leaves no process behind
            service.kill()
        topics = setup.cfg.kafka.topics
        try:
            existing = set(kafka_admin.list_topics())
            doomed = [t for t in (topics.events, topics.dlq, topics.status) if t in existing]
            if doomed:
                kafka_admin.delete_topics(doomed)
        except Exception:  # a broker stopped by the test must not hide its result
            pass


@pytest.fixture
def ingest(make_ingest: MakeIngest) -> Ingest:
    """A fresh deployment with the default test settings."""
    return make_ingest()


class Publisher:
    """One MQTT client that waits for every PUBACK; ``login`` is (user, password) for a broker that wants one."""

    def __init__(self, host: str, port: int, client_id: str, login: tuple[str, str] | None = None) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.max_inflight_messages_set(100)
        if login is not None:
            self.client.username_pw_set(*login)
        self.client.connect(host, port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(LOG_WAIT_S)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def read_topic(
    cfg: Deployment, topic: str, until: int, keep: Callable[[Message], bool] = lambda _m: True,
    timeout_s: float = LOG_WAIT_S,
) -> list[Message]:
    """Records of ``topic`` from the start that ``keep`` accepts, once there are ``until`` of them (or the time is up)."""
    consumer = Consumer(reader_config(cfg.kafka, "citytwin-tests"))
    try:
        deadline = time.monotonic() + timeout_s
        partitions: list[int] = []
        # A topic created a moment ago can be listed before its partitions are: assigning none would read nothing.
        while not partitions and time.monotonic() < deadline:
            meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
            partitions = list(meta.partitions) if meta is not None and meta.error is None else []
            if not partitions:
                time.sleep(0.2)
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        found: list[Message] = []
        while len(found) < until and time.monotonic() < deadline:
            found.extend(m for m in consumer.consume(1000, 0.5) if m.error() is None and keep(m))
        return found
    finally:
        consumer.close()


def lake_ids(root: Path) -> tuple[int, set[str]]:
    """Rows in the lake and the distinct event ids among them."""
    if not any(root.glob("date=*/hour=*/*.parquet")):
        return 0, set()
    con = duckdb.connect()
    try:
        pattern = str(root / "date=*" / "hour=*" / "*.parquet")
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{pattern}', hive_partitioning = true)").fetchone()
        ids = con.execute(f"SELECT DISTINCT event_id FROM read_parquet('{pattern}', hive_partitioning = true)").fetchall()
    finally:
        con.close()
    return int(rows[0]) if rows else 0, {row[0] for row in ids}


def wait_for_lake(root: Path, expected: set[str], timeout_s: float) -> tuple[int, set[str]]:
    """Poll the lake until it holds every id in ``expected`` or the time is up; returns the last reading."""
    deadline = time.monotonic() + timeout_s
    rows, ids = lake_ids(root)
    while not expected <= ids and time.monotonic() < deadline:
        time.sleep(0.5)
        rows, ids = lake_ids(root)
    return rows, ids


def in_background(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``target`` on a thread; the list receives its result."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(target()), daemon=True)
    thread.start()
    return thread, result
