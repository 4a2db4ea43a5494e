"""A deployment for the audit tests: a synthetic lake, a site file, a users file, and the real cockpit as a process.

Import the fixtures into a test module to use them:
``from tests.security.audit_support import audit_lake, site_users  # noqa: F401``.
"""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from confluent_kafka.admin import AdminClient

from citytwin.deployment import Deployment, load
from cloud.cockpit.users import upsert
from cloud.kafka.topics import ensure_topics
from tests.cloud.cockpit.support import SITE, cameras, make_lake
from tests.support.brokers import KafkaBroker, unique_name
from tests.support.services import ServiceProcess

PASSWORD = "admin-pass-1"
STARTUP_S = 60.0
# Control, bidi and invisible characters that must never reach a terminal raw.
HOSTILE = ["\x1b", "\x07", "\x08", "\r", "\x00", "\x7f", "\x9b", "\u202e", "\u2066", "\u200f", "\u200b", "\ufeff", "\u2028"]


@pytest.fixture(scope="session")
def audit_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_lake(tmp_path_factory.mktemp("audit-lake") / "lake")


@pytest.fixture(scope="session")
def site_users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audit-users") / "users.yaml"
    upsert(path, "ada", "admin", PASSWORD)  # hashing is deliberately slow; once
    return path


@dataclass(frozen=True)
class Site:
    """One test's deployment file and where its audit log and anchors go."""

    config: Path
    log: Path
    anchors: Path
    topic: str
    bootstrap: str

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_bytes().split(b"\n") if line.strip()]

    def anchor_lines(self) -> list[dict[str, Any]]:
        if not self.anchors.exists():
            return []
        return [json.loads(line) for line in self.anchors.read_bytes().split(b"\n") if line.strip()]


def make_site(folder: Path, lake: Path, bootstrap: str, anchors_topic: str | None = None, **audit: Any) -> Site:
    """A deployment file over ``lake`` whose audit log and anchor file lie in ``folder``.

    Without ``anchors_topic`` and ``audit`` settings the file holds only keys every version of the
    deployment file knows, so a test of something else runs the same against older code.
    """
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "audit" / "audit.jsonl"
    kafka: dict[str, Any] = {"bootstrap": bootstrap}
    if anchors_topic is not None:
        kafka["topics"] = {"audit_anchors": anchors_topic, "events": f"{anchors_topic}.events"}
    doc = {
        "site": SITE.model_dump(mode="json"),
        "cameras": [c.model_dump(mode="json") for c in cameras()],
        "lake": {"path": str(lake)},
        "kafka": kafka,
        "audit": {"path": str(log), **audit},
    }
    config = folder / "site.yaml"
    config.write_text(yaml.safe_dump(doc))
    return Site(config, log, log.with_name("audit.anchors.jsonl"), anchors_topic or "", bootstrap)


def newest(log: Path) -> tuple[int, str]:
    """Seq and hash of the last complete record, read straight from the file."""
    record = json.loads(log.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1])
    return int(record["seq"]), str(record["hash"])


def citytwin(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``citytwin ARGS`` as a separate process."""
    return subprocess.run([sys.executable, "-m", "citytwin.cli", *args], capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class CockpitProcess:
    """``citytwin cockpit`` on a free port, reached over HTTP like any browser."""

    def __init__(self, site: Site, users: Path, logs: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = logs / f"cockpit-{self.port}.log"
        self.service = ServiceProcess("cockpit", site.config, self.log_file, "--users", str(users), "--port", str(self.port))
        self.proc = self.service.proc
        self.http = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the cockpit exited:\n{self.output()}"
            try:
                if self.http.get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"the cockpit did not answer within {STARTUP_S} s:\n{self.output()}")

    def output(self) -> str:
        return self.service.text()

    def login(self, username: str = "ada", password: str = PASSWORD) -> httpx.Response:
        return self.http.post("/api/login", json={"username": username, "password": password})

    def token(self) -> dict[str, str]:
        r = self.login()
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> float:
        """Send ``sig`` and wait for the process to end; returns how long that took."""
        self.http.close()
        started = time.monotonic()
        self.service.stop(timeout, sig)
        return time.monotonic() - started

    def kill(self) -> None:
        self.service.kill()


@pytest.fixture
def cockpits() -> Iterator[list[CockpitProcess]]:
    """Cockpit processes a test starts; none outlives it."""
    started: list[CockpitProcess] = []
    yield started
    for cockpit in started:
        cockpit.kill()


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def rehash(records: list[dict[str, Any]]) -> bytes:
    """``records`` as a consistent chain again, the way someone rewriting the whole file would make it."""
    prev, out = "0" * 64, b""
    for seq, record in enumerate(records):
        body = {**{k: v for k, v in record.items() if k != "hash"}, "seq": seq, "prev": prev}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        body["hash"] = prev = hashlib.sha256(canonical.encode()).hexdigest()
        out += json.dumps(body, sort_keys=True, ensure_ascii=False).encode() + b"\n"
    return out


@dataclass(frozen=True)
class DlqSite:
    """A deployment file on the live Kafka and its parsed form."""

    path: Path
    cfg: Deployment

    @property
    def log(self) -> Path:
        return self.cfg.audit.log_path(self.cfg.lake_dir)

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_bytes().split(b"\n") if line.strip()]


@pytest.fixture
def dlq_site(tmp_path: Path, kafka_broker: KafkaBroker, request: pytest.FixtureRequest) -> Iterator[DlqSite]:
    """A deployment on the live Kafka with topics of its own, deleted afterwards."""
    name = unique_name(request.node.name, "dlq")
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump({
        "site": {"id": "campus", "name": "Campus", "width_m": 100, "height_m": 100},
        "kafka": {"bootstrap": kafka_broker.bootstrap, "partitions": 1,
                  "topics": {"events": f"{name}.events", "dlq": f"{name}.dlq", "status": f"{name}.status"}},
        "lake": {"path": str(tmp_path / "lake")},
        "cameras": [{"id": "cam-1", "map": {"x_m": 1, "y_m": 1}}],
    }))
    cfg = load(path, environ={})
    ensure_topics(cfg.kafka)
    yield DlqSite(path, cfg)
    AdminClient({"bootstrap.servers": kafka_broker.bootstrap}).delete_topics(
        [cfg.kafka.topics.events, cfg.kafka.topics.dlq, cfg.kafka.topics.status], operation_timeout=30)


def read_topic(bootstrap: str, topic: str, wait_s: float = 60.0) -> list[tuple[bytes | None, bytes]]:
    """The keys and values on ``topic`` now, oldest first (one partition), read with a plain client.

    "Now" is each partition's high watermark when the read begins, so an empty answer means the topic holds
    nothing, not that a loaded broker was slow to serve the first fetch.
    """
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "citytwin-tests", "enable.auto.commit": False})
    try:
        deadline = time.monotonic() + wait_s
        meta = consumer.list_topics(topic, timeout=wait_s).topics[topic]
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=wait_s)[1] for p in meta.partitions}
        pending = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, 0) for p in pending])
        found: list[tuple[bytes | None, bytes]] = []
        while pending and time.monotonic() < deadline:
            found.extend((m.key(), m.value() or b"") for m in consumer.consume(1000, 0.5)
                         if m.error() is None and (m.offset() or 0) < ends[m.partition() or 0])
            # The position, not the last record seen: it also moves past offsets that hold no record.
            pending = {tp.partition for tp in consumer.position([TopicPartition(topic, p) for p in pending])
                       if (tp.offset or 0) < ends[tp.partition]}
        assert not pending, f"{topic}: partitions {sorted(pending)} not read to their end in {wait_s:.0f} s"
        return found
    finally:
        consumer.close()
