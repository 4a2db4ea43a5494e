"""Kafka with SCRAM logins only, as ``make demo`` runs it: every Kafka client the project uses logs in, or is refused.

The broker is ops/brokers/kafka.sh with the SCRAM users that ``citytwin
credentials`` wrote, on ports and a run folder of its own. librdkafka (the
bridge, the sink, the DLQ tools, topic creation, the residency probe) takes
its login from ``cloud.kafka.clients``; kafka-python (the twin's live tail,
the rules' alert outlet, the federation and region clients) from
``cloud.kafka.security``. Each is shown to work with its login and to be
refused without one or with a wrong password.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from citytwin import secretfile
from citytwin.deployment import Deployment
from cloud.kafka.clients import admin_config, consumer_config, producer_config
from cloud.kafka.security import kafka_python_security
from cloud.kafka.settings import KafkaSasl, KafkaSettings, KafkaTopics
from cloud.kafka.topics import ensure_topics
from cloud.rules.outlets import KafkaOutlet
from cloud.security.credentials import write_all
from cloud.twin.tail import KafkaTail, TailBuffer
from edge.events.factory import EventFactory
from edge.publish.mqtt import MqttPublisher
from edge.publish.settings import MqttPublisherConfig
from tests.support.brokers import KafkaBroker, MqttBroker, unique_name
from tests.support.region import drain, region_sink, signed_cell
from tests.support.services import ServiceProcess
from tests.support.tail import tail_once_created, through

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SITE = {"id": "sasl", "name": "SASL", "width_m": 10, "height_m": 10}
CAMERAS = [{"id": "cam-1", "map": {"x_m": 1, "y_m": 1}}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SaslKafka:
    """The broker, and the logins ``citytwin credentials`` wrote for its deployment."""

    def __init__(self, broker: KafkaBroker, secrets: Path) -> None:
        self.broker = broker
        self.secrets = secrets
        self.bootstrap = broker.bootstrap

    def logins(self, service: str) -> dict[str, str]:
        return secretfile.read_env(self.credentials(service))

    def credentials(self, service: str) -> Path:
        return self.secrets / "services" / service / "credentials.env"

    def sasl(self, service: str, monkeypatch: pytest.MonkeyPatch) -> KafkaSasl:
        """The ``kafka.sasl`` a service runs with: its user name, its password in the variable the file names."""
        logins = self.logins(service)
        monkeypatch.setenv("CITYTWIN_KAFKA_PASSWORD", logins["CITYTWIN_KAFKA_PASSWORD"])
        return KafkaSasl(username=logins["CITYTWIN_CFG__KAFKA__SASL__USERNAME"])


def deployment(lake: Path, bootstrap: str) -> Deployment:
    return Deployment.model_validate({"site": SITE, "cameras": CAMERAS, "lake": {"path": str(lake)},
                                           "kafka": {"bootstrap": bootstrap, "sasl": {"username": "citytwin-ops"}}})


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SaslKafka]:
    tmp = tmp_path_factory.mktemp("kafka-sasl")
    port, controller = free_port(), free_port()
    write_all(deployment(tmp / "lake", f"127.0.0.1:{port}"), tmp / "secrets")
    broker = KafkaBroker(host="127.0.0.1", port=port, controller_port=controller, run_dir=tmp / "run",
                         settings=(("CITYTWIN_KAFKA_SCRAM_USERS", str(tmp / "secrets" / "kafka" / "scram-users")),))
    broker.start()  # waits until the broker answers a Metadata request after a SCRAM login
    try:
        yield SaslKafka(broker, tmp / "secrets")
    finally:
        broker.stop()


def settings(kafka: SaslKafka, sasl: KafkaSasl | None, request: pytest.FixtureRequest) -> KafkaSettings:
    name = unique_name(request.node.name)
    return KafkaSettings(bootstrap=kafka.bootstrap, sasl=sasl, partitions=1,
                         topics=KafkaTopics(events=name, dlq=f"{name}-dlq", status=f"{name}-status"))


def event_json(camera: str = "cam-1", total: int = 1) -> bytes:
    event = EventFactory("sasl", camera, f"sasl-{camera}").make(
        "zone_occupancy", datetime.now(timezone.utc), {"zone": "z", "total": total, "by_class": {"person": total}})
    return event.to_json()


def consume_one(kafka: KafkaSettings, topic: str) -> Any:
    consumer = Consumer(consumer_config(kafka, unique_name("sasl-group"), "citytwin-sasl-test"))
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                return message
    finally:
        consumer.close()
    return None


def test_librdkafka_clients_log_in(kafka: SaslKafka, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    bridge = settings(kafka, kafka.sasl("bridge", monkeypatch), request)
    assert bridge.topics.events in ensure_topics(bridge)  # the admin client
    producer = Producer(producer_config(bridge, "citytwin-sasl-test"))
    producer.produce(bridge.topics.events, key=b"sasl/cam-1", value=event_json())
    assert producer.flush(30) == 0, "the record was not acknowledged"
    sink = bridge.model_copy(update={"sasl": kafka.sasl("sink", monkeypatch)})
    message = consume_one(sink, bridge.topics.events)
    assert message is not None and message.key() == b"sasl/cam-1"


@pytest.mark.parametrize("login", ["none", "wrong password", "unknown user"])
def test_librdkafka_clients_without_a_good_login_are_refused(
    kafka: SaslKafka, login: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sasl = {"none": None, "wrong password": KafkaSasl(username="citytwin-bridge", password_env="WRONG_PW"),
            "unknown user": KafkaSasl(username="intruder", password_env="WRONG_PW")}[login]
    monkeypatch.setenv("WRONG_PW", kafka.logins("sink")["CITYTWIN_KAFKA_PASSWORD"])  # a real password, of someone else
    admin = AdminClient(admin_config(settings(kafka, sasl, request), "citytwin-sasl-refused"))
    with caplog.at_level(logging.DEBUG, logger="cloud.kafka.librdkafka"), pytest.raises(KafkaException):
        admin.list_topics(timeout=5)
    if sasl is not None:
        admin.poll(0.5)  # librdkafka hands its log lines over on poll
        assert "Authentication failed" in caplog.text


def test_kafka_python_clients_log_in(kafka: SaslKafka, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    bridge = settings(kafka, kafka.sasl("bridge", monkeypatch), request)
    ensure_topics(bridge)
    cockpit = kafka.sasl("cockpit", monkeypatch)
    tail = KafkaTail(TailBuffer(), kafka.bootstrap, bridge.topics.events, sasl=cockpit).start()
    try:
        producer = Producer(producer_config(bridge.model_copy(update={"sasl": kafka.sasl("bridge", monkeypatch)}), "t"))
        producer.produce(bridge.topics.events, key=b"sasl/cam-1", value=event_json())
        assert producer.flush(30) == 0
        deadline = time.monotonic() + 30
        while len(tail.buffer) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        tail.stop()
    assert (len(tail.buffer), tail.buffer.rejected) == (1, 0), "the twin's tail did not read over SASL"
    outlet = KafkaOutlet(kafka.bootstrap, bridge.topics.dlq, sasl=kafka.sasl("rules", monkeypatch))
    outlet.send({"rule": "crowding", "alert_id": "a-1", "kind": "fired"})
    outlet.close()
    message = consume_one(bridge.model_copy(update={"sasl": kafka.sasl("ops", monkeypatch)}), bridge.topics.dlq)
    assert message is not None and json.loads(message.value())["alert_id"] == "a-1", "the alert outlet did not produce over SASL"


def test_the_federation_link_logs_in_to_the_regional_kafka(
    kafka: SaslKafka, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kafka import KafkaProducer

    from cloud.federation.settings import FederationSettings

    topic = unique_name(request.node.name)
    # The region's sink logs in as ops and creates the topic with its admin client; the city logs in as rules.
    sink = region_sink(kafka.bootstrap, topic, tmp_path / "region",
                       sasl=kafka.sasl("ops", monkeypatch).model_dump(mode="json"))
    link = FederationSettings(bootstrap=kafka.bootstrap, topic=topic, sasl=kafka.sasl("rules", monkeypatch))
    producer = KafkaProducer(bootstrap_servers=link.bootstrap, acks="all", **kafka_python_security(link.tls, link.sasl))
    key, value = signed_cell()
    producer.send(topic, key=key, value=value)
    producer.flush(30)
    producer.close()
    assert drain(sink) == 1


@pytest.mark.parametrize("client", ["consumer", "producer", "admin"])
@pytest.mark.parametrize("login", ["none", "wrong password"])
def test_kafka_python_clients_without_a_good_login_are_refused(
    kafka: SaslKafka, client: str, login: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.errors import KafkaError

    monkeypatch.setenv("WRONG_PW", "not-the-password")
    sasl = None if login == "none" else KafkaSasl(username="citytwin-cockpit", password_env="WRONG_PW")
    options = {"bootstrap_servers": kafka.bootstrap, **kafka_python_security(None, sasl)}
    make = {"consumer": lambda: KafkaConsumer(bootstrap_timeout_ms=5000, **options),
            "producer": lambda: KafkaProducer(max_block_ms=5000, **options),
            "admin": lambda: KafkaAdminClient(bootstrap_timeout_ms=5000, **options)}[client]
    with pytest.raises(KafkaError):
        make().close()


def test_a_missing_password_names_the_variable_to_set(kafka: SaslKafka, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITYTWIN_KAFKA_PASSWORD", raising=False)
    sasl = KafkaSasl(username="citytwin-sink")
    with pytest.raises(ValueError, match="kafka.sasl.password_env names CITYTWIN_KAFKA_PASSWORD, which is not set"):
        producer_config(KafkaSettings(bootstrap=kafka.bootstrap, sasl=sasl), "citytwin")
    with pytest.raises(ValueError, match="CITYTWIN_KAFKA_PASSWORD"):
        KafkaOutlet(kafka.bootstrap, sasl=sasl)


@pytest.mark.mqtt
def test_the_bridge_service_logs_in_with_its_credentials_file(
    kafka: SaslKafka, mqtt_broker: MqttBroker, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edge publisher -> Mosquitto -> ``citytwin --credentials <bridge's file> bridge`` -> Kafka (SCRAM) -> the twin's tail."""
    topics = settings(kafka, None, request).topics
    prefix = unique_name("sasl")
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump({
        "site": SITE, "cameras": CAMERAS, "lake": {"path": str(tmp_path / "lake")},
        "mqtt": {"host": mqtt_broker.host, "port": mqtt_broker.port},  # the suite's Mosquitto admits anyone
        "kafka": {"bootstrap": kafka.bootstrap, "partitions": 1, "topics": topics.model_dump(),
                  "sasl": {"username": "citytwin-ops", "password_env": "CITYTWIN_KAFKA_PASSWORD"}},
        "cloud": {"bridge": {"topic_prefix": prefix}},
    }))
    credentials = ["--credentials", str(kafka.credentials("bridge"))]
    monkeypatch.delenv("CITYTWIN_KAFKA_PASSWORD", raising=False)  # the bridge has only its own file
    with ServiceProcess("bridge", config, tmp_path / "bridge.log", "--instance", prefix, options=credentials):
        cockpit = kafka.sasl("cockpit", monkeypatch)
        tail = tail_once_created(lambda: KafkaTail(TailBuffer(), kafka.bootstrap, topics.events, sasl=cockpit),
                                 topics.events, tmp_path / "bridge.log")
        edge = MqttPublisher(MqttPublisherConfig(host=mqtt_broker.host, port=mqtt_broker.port, spool_dir=tmp_path / "spool"),
                             "sasl", "cam-1", "sasl-cam-1")
        arrived = through(edge, tail, "sasl-cam-1", prefix)
    assert arrived == 1, f"the event did not reach Kafka over SASL; see {tmp_path / 'bridge.log'}"

