"""The real ingest path for the security tests: bridge and sink processes, what reached Kafka, the lake and the twin.

Each test gets its own deployment (``tests.cloud.ingest_support``): topic
prefix, Kafka topics, consumer group and lake. ``Pipeline`` starts
``citytwin bridge`` and ``citytwin sink`` on it as real processes, publishes
over MQTT, and reads back the three places an event can end: the dead-letter
topic, the lake, and the twin over the lake.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from confluent_kafka import Message

from cloud.dlq.records import DeadLetter
from cloud.sink.schema import SCHEMA
from cloud.sink.writer import write_chunk
from cloud.twin.twin import Twin
from contract.ids import event_id
from contract.model import Event, parse_event
from tests.cloud.ingest_support import Ingest, MakeIngest, Publisher, make_ingest, read_topic, wait_for_lake
from tests.support.brokers import MqttBroker
from tests.support.services import ServiceProcess

WAIT_S = 60.0
_CLIENTS = itertools.count()

BODIES: dict[str, dict[str, Any]] = {
    "line_crossing": {"line": "gate", "direction": "in", "object_class": "person", "track_id": 3},
    "zone_occupancy": {"zone": "plaza", "total": 3, "by_class": {"person": 3}},
    "node_health": {"fps": 9.5, "stage_ms": {"detect": 40.0}, "frames": 100, "dropped_frames": 0, "cpu_percent": 80.0,
                    "rss_mb": 200.0, "temperature_c": None, "spool_depth": 0, "spool_dropped": 0, "uptime_s": 60.0},
}


def now() -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=1)


def wire(camera: str, seq: int, kind: str = "line_crossing", site: str = "campus", node: str | None = None,
         ts: datetime | None = None, **changes: Any) -> dict[str, Any]:
    """An event as a JSON document: valid for ``campus-<camera>`` unless ``changes`` (or ``node``) say otherwise."""
    node = node or f"{site}-{camera}"
    doc: dict[str, Any] = {
        "schema_version": 1, "event_id": event_id(node, seq), "site": site, "camera": camera, "node": node, "seq": seq,
        "ts": (ts or now()).isoformat().replace("+00:00", "Z"), "type": kind, "body": dict(BODIES[kind]),
    }
    body = changes.pop("body", {})
    doc.update(changes)
    doc["body"].update(body)
    return doc


def valid(camera: str, seq: int, kind: str = "line_crossing", ts: datetime | None = None) -> Event:
    """A valid event of camera ``camera``'s own node, as the edge writes it."""
    return parse_event(json.dumps(wire(camera, seq, kind, ts=ts)))


@dataclass
class Pipeline:
    """Bridge and sink running on one test deployment."""

    setup: Ingest
    mqtt: tuple[str, int]
    services: list[ServiceProcess] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return self.setup.prefix

    def start(self) -> Pipeline:
        bridge, sink = self.setup.service("bridge"), self.setup.service("sink")
        self.services = [bridge, sink]
        bridge.wait_for_log("subscribed to")
        sink.wait_for_log("assigned")
        return self

    def topic(self, camera: str, kind: str = "line_crossing", site: str = "campus") -> str:
        return f"{self.prefix}/{site}/{camera}/events/{kind}"

    def publish(self, messages: list[tuple[str, bytes]], login: tuple[str, str] | None = None) -> None:
        """Publish (topic, payload) pairs in order, each acknowledged by the broker."""
        publisher = Publisher(*self.mqtt, f"{self.prefix}-{next(_CLIENTS)}", login)
        try:
            for topic, payload in messages:
                publisher.send(topic, payload)
        finally:
            publisher.close()

    def dead_letters(self, count: int, timeout_s: float = WAIT_S) -> list[DeadLetter]:
        """The first ``count`` dead letters (fewer if the time runs out)."""
        found = read_topic(self.setup.cfg, self.setup.cfg.kafka.topics.dlq, count, timeout_s=timeout_s)
        return [DeadLetter.from_headers(m.value() or b"", m.headers()) for m in found]

    def accepted(self, count: int, timeout_s: float = WAIT_S) -> list[Message]:
        """The first ``count`` records of the events topic (fewer if the time runs out)."""
        return read_topic(self.setup.cfg, self.setup.cfg.kafka.topics.events, count, timeout_s=timeout_s)

    def wait_for_lake(self, ids: set[str], timeout_s: float = WAIT_S) -> set[str]:
        """The event ids in the lake once it holds all of ``ids`` (or the time is up)."""
        return wait_for_lake(self.setup.lake, ids, timeout_s)[1]

    @contextmanager
    def twin(self) -> Iterator[Twin]:
        twin = Twin(self.setup.lake, self.setup.cfg.site, self.setup.cfg.cameras)
        try:
            yield twin
        finally:
            twin.close()

    def running(self) -> list[str]:
        """The services that are still up; a crash-looping stage is not."""
        return [s.name for s in self.services if s.running()]

    def logs(self) -> str:
        return "\n".join(f"--- {s.name}\n{s.text()[-3000:]}" for s in self.services)

    def stop(self) -> None:
        for service in reversed(self.services):
            if service.running():
                service.stop()


def legacy_lake_file(lake: Path, offset: int, docs: list[dict[str, Any]]) -> None:
    """Lake rows as an older bridge and sink let them through, whatever the documents claim or hold."""
    at = datetime.now(timezone.utc)
    columns: dict[str, list[Any]] = {f.name: [] for f in SCHEMA}
    for n, doc in enumerate(docs):
        for name in ("event_id", "schema_version", "site", "camera", "node", "seq", "type"):
            columns[name].append(doc[name])
        columns["ts"].append(datetime.fromisoformat(doc["ts"]))
        columns["body"].append(json.dumps(doc["body"], separators=(",", ":")))
        columns["kafka_partition"].append(0)
        columns["kafka_offset"].append(offset + n)
        columns["kafka_ts"].append(at)
    table = pa.Table.from_pydict(columns, schema=SCHEMA)
    write_chunk(lake, "legacy.events", 0, (offset, offset + len(docs) - 1), table, zstd_level=3)


@pytest.fixture
def pipeline(make_ingest: MakeIngest, mqtt_broker: MqttBroker) -> Iterator[Pipeline]:  # noqa: F811
    """Bridge and sink on a fresh deployment over the shared test brokers."""
    running = Pipeline(make_ingest(), (mqtt_broker.host, mqtt_broker.port)).start()
    yield running
    running.stop()


__all__ = ["Pipeline", "legacy_lake_file", "make_ingest", "pipeline", "valid", "wire"]
