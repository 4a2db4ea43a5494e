"""Kafka over TLS against a live single-node KRaft broker whose only client listener is SSL with client certificates.

Both client libraries take their options from ``kafka.tls``: librdkafka through
``cloud.kafka.clients`` (bridge, sink, DLQ tools, topic creation) and
kafka-python through ``cloud.kafka.tls`` (the twin's live tail, the alert outlet).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from cloud.kafka.clients import admin_config, consumer_config, producer_config
from cloud.kafka.settings import KafkaSettings, KafkaTls, KafkaTopics
from cloud.kafka.tls import kafka_python_tls
from cloud.kafka.topics import ensure_topics
from cloud.rules.outlets import KafkaOutlet
from cloud.twin.tail import KafkaTail, TailBuffer
from contract.broker import MqttTls as EdgeTls
from edge.events.factory import EventFactory
from edge.publish.mqtt import MqttPublisher
from edge.publish.settings import MqttPublisherConfig
from tests.support.brokers import unique_name
from tests.support.region import drain, region_sink, signed_cell
from tests.support.services import ServiceProcess
from tests.support.tail import tail_once_created, through
from tests.support.tls import KEY_PASSWORD, Certs, kafka_ssl, mosquitto_tls

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PASSWORD_ENV = "CITYTWIN_TEST_KAFKA_KEY_PASSWORD"


def mutual(certs: Certs) -> KafkaTls:
    return KafkaTls(ca_file=certs.ca, cert_file=certs.client_cert, key_file=certs.client_key)


def answers(kafka: KafkaSettings) -> bool:
    try:
        AdminClient(admin_config(kafka, "citytwin-tls-probe")).list_topics(timeout=5)
    except KafkaException:
        return False
    return True


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory, certs: Certs) -> Iterator[str]:
    """The SSL broker for this module; about 15-40 s to start on two busy cores."""
    with kafka_ssl(tmp_path_factory.mktemp("kafka-ssl"), certs, lambda b: answers(KafkaSettings(bootstrap=b, tls=mutual(certs)))) as b:
        yield b


def settings(bootstrap: str, tls: KafkaTls, request: pytest.FixtureRequest) -> KafkaSettings:
    name = unique_name(request.node.name)
    topics = KafkaTopics(events=name, dlq=f"{name}-dlq", status=f"{name}-status")
    return KafkaSettings(bootstrap=bootstrap, tls=tls, topics=topics, partitions=1)


def test_librdkafka_producer_to_kafka_python_tail(bootstrap: str, certs: Certs, request: pytest.FixtureRequest) -> None:
    kafka = settings(bootstrap, mutual(certs), request)
    assert kafka.topics.events in ensure_topics(kafka)  # the admin client over SSL
    buffer = TailBuffer()
    tail = KafkaTail(buffer, bootstrap, kafka.topics.events, tls=kafka.tls).start()
    producer = Producer(producer_config(kafka, "citytwin-tls-test"))
    try:
        event = EventFactory("tls", "cam-1", "tls-cam-1").make("zone_occupancy", datetime.now(timezone.utc), {"zone": "z", "total": 1, "by_class": {"person": 1}})
        producer.produce(kafka.topics.events, key=b"tls/cam-1", value=event.to_json())
        assert producer.flush(30) == 0, "the record was not acknowledged over SSL"
        deadline = time.monotonic() + 30
        while len(buffer) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        tail.stop()
    assert (len(buffer), buffer.rejected) == (1, 0)


def test_kafka_python_outlet_to_librdkafka_consumer_with_an_encrypted_key(
    bootstrap: str, certs: Certs, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, KEY_PASSWORD)
    tls = KafkaTls(ca_file=certs.ca, cert_file=certs.client_cert, key_file=certs.client_key_encrypted, key_password_env=PASSWORD_ENV)
    kafka = settings(bootstrap, tls, request)
    ensure_topics(kafka)
    outlet = KafkaOutlet(bootstrap, kafka.topics.events, tls=tls)
    outlet.send({"rule": "crowding", "alert_id": "a-1", "kind": "fired"})
    outlet.close()
    consumer = Consumer(consumer_config(kafka, unique_name("tls-group"), "citytwin-tls-test"))
    consumer.subscribe([kafka.topics.events])
    try:
        deadline = time.monotonic() + 30
        message = None
        while message is None and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error():
                pytest.fail(f"consumer error over SSL: {message.error()}")
    finally:
        consumer.close()
    assert message is not None, "no record arrived over SSL"
    assert (message.key(), json.loads(message.value() or b"")["alert_id"]) == (b"crowding", "a-1")


def test_clients_without_the_ca_are_refused(bootstrap: str, certs: Certs, caplog: pytest.LogCaptureFixture) -> None:
    from kafka import KafkaConsumer
    from kafka.errors import KafkaTimeoutError

    no_ca = KafkaTls(cert_file=certs.client_cert, key_file=certs.client_key)  # the system store does not know the test CA
    admin = AdminClient(admin_config(KafkaSettings(bootstrap=bootstrap, tls=no_ca), "citytwin-tls-no-ca"))
    with caplog.at_level(logging.INFO, logger="cloud.kafka.librdkafka"), pytest.raises(KafkaException):
        admin.list_topics(timeout=5)
    admin.poll(0.5)  # librdkafka hands its log lines over on poll
    assert "certificate verify failed" in caplog.text
    caplog.clear()
    # kafka-python logs the reason and raises only that it could not bootstrap.
    with caplog.at_level(logging.DEBUG, logger="kafka"), pytest.raises(KafkaTimeoutError, match="Unable to bootstrap"):
        KafkaConsumer(bootstrap_servers=bootstrap, bootstrap_timeout_ms=5000, **kafka_python_tls(no_ca))
    assert "certificate verify failed" in caplog.text


def test_a_missing_key_password_names_the_variable(certs: Certs) -> None:
    tls = KafkaTls(ca_file=certs.ca, cert_file=certs.client_cert, key_file=certs.client_key_encrypted, key_password_env="NOT_SET_X")
    with pytest.raises(ValueError, match="kafka.tls.key_password_env names NOT_SET_X, which is not set"):
        producer_config(KafkaSettings(tls=tls), "citytwin")


def test_edge_to_twin_tail_through_the_bridge_over_tls_only(
    tmp_path: Path, bootstrap: str, certs: Certs, request: pytest.FixtureRequest
) -> None:
    """Edge publisher -> Mosquitto (TLS, client certificates) -> citytwin bridge -> Kafka (SSL) -> twin tail."""
    kafka = settings(bootstrap, mutual(certs), request)
    client_tls = {"ca_file": str(certs.ca), "cert_file": str(certs.client_cert), "key_file": str(certs.client_key)}
    with mosquitto_tls(tmp_path, certs, require_certificate=True) as port:
        config = tmp_path / "site.yaml"
        config.write_text(yaml.safe_dump({
            "site": {"id": "tls", "name": "TLS", "width_m": 10, "height_m": 10},
            "mqtt": {"host": "127.0.0.1", "port": port, "tls": client_tls},
            "kafka": {"bootstrap": bootstrap, "tls": client_tls, "partitions": 1,
                      "topics": kafka.topics.model_dump()},
            "lake": {"path": str(tmp_path / "lake")},
            "cameras": [{"id": "cam-1", "map": {"x_m": 1, "y_m": 1}}],
        }))
        with ServiceProcess("bridge", config, tmp_path / "bridge.log", "--instance", "tls"):
            tail = tail_once_created(lambda: KafkaTail(TailBuffer(), kafka.bootstrap, kafka.topics.events, tls=kafka.tls),
                                     kafka.topics.events, tmp_path / "bridge.log")
            edge = MqttPublisher(MqttPublisherConfig(host="127.0.0.1", port=port, tls=EdgeTls(**client_tls),
                                                     spool_dir=tmp_path / "spool"), "tls", "cam-1", "tls-cam-1")
            arrived = through(edge, tail, "tls-cam-1")
    assert arrived == 1, f"the event did not reach Kafka over TLS; see {tmp_path / 'bridge.log'}"


def test_federation_link_to_the_region_over_tls(bootstrap: str, certs: Certs, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from kafka import KafkaProducer

    from cloud.federation.regional import RegionalTwin
    from cloud.federation.settings import FederationSettings

    tls = mutual(certs)
    topic = unique_name(request.node.name)
    link = FederationSettings(bootstrap=bootstrap, topic=topic, tls=tls)
    sink = region_sink(bootstrap, topic, tmp_path / "region", tls=tls.model_dump(mode="json"))  # creates the topic
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **kafka_python_tls(link.tls))
    key, value = signed_cell(value=40)
    producer.send(topic, key=key, value=value)
    producer.flush(30)
    producer.close()
    drain(sink)
    region = RegionalTwin(tmp_path / "region")
    region.refresh()
    assert region.query("SELECT city, subject, value FROM cells") == [("ghent", "plaza", 40)]
