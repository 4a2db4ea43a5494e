"""The bridge against live Mosquitto and Kafka: fuzzed bad input, keys, status, and two bridges sharing the load."""

from __future__ import annotations

import json
import threading
import time
import itertools
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citytwin.deployment import Deployment
from cloud.bridge.service import Bridge
from cloud.dlq.records import DeadLetter
from contract.status import NodeStatus
from edge.events.factory import EventFactory
from tests.cloud.ingest_support import Ingest, MakeIngest, Publisher, ingest, make_ingest, read_topic  # noqa: F401
from tests.support.brokers import MqttBroker

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt]

WAIT_S = 60.0
MB = 2**20
_EXAMPLES = itertools.count()


class RunningBridge:
    """A ``Bridge`` serving on a thread of the test process."""

    def __init__(self, cfg: Deployment, instance: str) -> None:
        self.bridge = Bridge(cfg, instance)
        self.bridge.start()
        self.thread = threading.Thread(target=self.bridge.run, daemon=True)
        self.thread.start()
        assert self.bridge.source is not None and self.bridge.source.subscribed.wait(30), "the bridge never subscribed"

    def alive(self) -> bool:
        return self.thread.is_alive() and not self.bridge.stopping.is_set()

    def stop(self) -> None:
        self.bridge.stopping.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


@pytest.fixture
def bridge(ingest: Ingest) -> Iterator[RunningBridge]:
    running = RunningBridge(ingest.cfg, "fuzz")
    yield running
    running.stop()


def _valid(factory: EventFactory, n: int) -> bytes:
    ts = datetime.now(timezone.utc)
    body = {"line": "gate", "direction": "in", "object_class": "person", "track_id": n}
    return factory.make("line_crossing", ts, body).to_json()


def _bad_payloads() -> st.SearchStrategy[bytes]:
    sample = json.loads(_valid(EventFactory("campus", "cam-1", "campus-cam-1"), 1))
    as_bytes = json.dumps(sample).encode()
    truncated = st.integers(1, len(as_bytes) - 1).map(lambda cut: as_bytes[:cut])
    wrong = {"seq": ["7", [1], None, -1], "ts": ["yesterday", [2026], True], "site": [1, None, "Not An Id"],
             "body": [1, "gate", []], "event_id": [12, "no-colon"]}
    wrong_type = st.sampled_from(sorted(wrong)).flatmap(
        lambda key: st.sampled_from(wrong[key]).map(lambda value: json.dumps({**sample, key: value}).encode())
    )
    unknown_version = st.integers(2, 99).map(lambda v: json.dumps({**sample, "schema_version": v}).encode())
    huge = st.just(b'{"pad": "' + b"x" * MB + b'"}')
    bad_utf8 = st.integers(0, len(as_bytes)).map(lambda at: as_bytes[:at] + b"\xc3\x28" + as_bytes[at:])
    return st.one_of(truncated, wrong_type, unknown_version, huge, bad_utf8)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(bad=st.lists(_bad_payloads(), min_size=10, max_size=25))
def test_fuzzed_bad_input_is_dead_lettered_and_valid_events_around_it_arrive(
    bad: list[bytes], ingest: Ingest, bridge: RunningBridge, mqtt_broker: MqttBroker
) -> None:
    topics = ingest.cfg.kafka.topics
    camera = f"cam-{next(_EXAMPLES) % 30:02d}"  # each example on its own listed camera and MQTT topic
    factory = EventFactory("campus", camera, f"campus-{camera}")
    topic = f"{ingest.prefix}/campus/{camera}/events/line_crossing"
    publisher = Publisher(mqtt_broker.host, mqtt_broker.port, f"{ingest.prefix}-fuzz")
    sent: list[bytes] = []
    try:
        for n, payload in enumerate(bad):
            valid = _valid(factory, n)
            sent.append(valid)
            publisher.send(topic, valid)
            publisher.send(topic, payload)
        sent.append(_valid(factory, len(bad)))
        publisher.send(topic, sent[-1])
    finally:
        publisher.close()

    key = f"campus/{camera}".encode()
    events = read_topic(ingest.cfg, topics.events, len(sent), keep=lambda m: m.key() == key)
    letters = read_topic(ingest.cfg, topics.dlq, len(bad), keep=lambda m: m.key() == topic.encode())
    assert sorted(m.value() or b"" for m in events) == sorted(sent)
    assert sorted(m.value() or b"" for m in letters) == sorted(bad)
    for msg in letters:
        letter = DeadLetter.from_headers(msg.value() or b"", msg.headers())
        assert letter.reason and letter.error in {"invalid_json", "invalid_utf8", "schema", "schema_version"}
        assert (letter.source, letter.source_topic) == ("mqtt", topic)
        assert letter.original_size == len(letter.raw) and not letter.truncated
        assert abs((datetime.now(timezone.utc) - letter.received_at).total_seconds()) < WAIT_S
    assert bridge.alive(), "bad input must never stop the bridge"


def test_node_status_is_forwarded_keyed_by_camera(ingest: Ingest, bridge: RunningBridge, mqtt_broker: MqttBroker) -> None:
    status = NodeStatus(site="campus", camera="cam-7", node="campus-cam-7", status="offline", since=datetime.now(timezone.utc))
    publisher = Publisher(mqtt_broker.host, mqtt_broker.port, f"{ingest.prefix}-status")
    try:
        publisher.send(f"{ingest.prefix}/campus/cam-7/status", status.to_json())
    finally:
        publisher.close()
    (record,) = read_topic(ingest.cfg, ingest.cfg.kafka.topics.status, 1)
    assert record.key() == b"campus/cam-7"
    assert NodeStatus.model_validate_json(record.value() or b"") == status


def test_two_bridges_share_the_stream(make_ingest: MakeIngest, mqtt_broker: MqttBroker) -> None:
    setup = make_ingest()
    setup.cfg.cloud.bridge.share_group = setup.prefix
    first, second = RunningBridge(setup.cfg, "one"), RunningBridge(setup.cfg, "two")
    factory = EventFactory("campus", "cam-2", "campus-cam-2")
    publisher = Publisher(mqtt_broker.host, mqtt_broker.port, f"{setup.prefix}-share")
    try:
        sent = [_valid(factory, n) for n in range(400)]
        for payload in sent:
            publisher.client.publish(f"{setup.prefix}/campus/cam-2/events/line_crossing", payload, qos=1)
        events = read_topic(setup.cfg, setup.cfg.kafka.topics.events, len(sent))
    finally:
        publisher.close()
        first.stop()
        second.stop()
    assert sorted(m.value() or b"" for m in events) == sorted(sent)
    assert first.bridge.meter.to_kafka > 0 and second.bridge.meter.to_kafka > 0, "both bridges should take a share"
    assert first.bridge.meter.to_kafka + second.bridge.meter.to_kafka == len(sent)
