"""QoS 1 delivery and persistent sessions against the live test Mosquitto."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.support.brokers import MqttBroker

pytestmark = pytest.mark.mqtt

WAIT_S = 10.0
SESSION_EXPIRY_S = 300


class Client:
    """A paho client (callback API v2) that records what it receives."""

    def __init__(
        self,
        broker: MqttBroker,
        client_id: str,
        protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv311,
        clean_session: bool = True,
    ) -> None:
        kwargs: dict[str, Any] = {}
        # MQTT 5 has clean_start on connect() instead; paho rejects clean_session there.
        if protocol != MQTTProtocolVersion.MQTTv5:
            kwargs["clean_session"] = clean_session
        self.paho = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol, **kwargs
        )
        self.broker = broker
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.session_present: bool | None = None
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self.paho.on_connect = self._on_connect
        self.paho.on_subscribe = self._on_subscribe
        self.paho.on_message = lambda _c, _u, msg: self.messages.put(msg)

    def _on_connect(self, _c: Any, _u: Any, flags: Any, reason_code: Any, _p: Any) -> None:
        if not reason_code.is_failure:
            self.session_present = bool(flags.session_present)
            self._connected.set()

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, reason_codes: Any, _p: Any) -> None:
        assert all(not rc.is_failure for rc in reason_codes), reason_codes
        self._subscribed.set()

    def connect(self, **kwargs: Any) -> "Client":
        self._connected.clear()
        self.paho.connect(self.broker.host, self.broker.port, keepalive=30, **kwargs)
        self.paho.loop_start()
        assert self._connected.wait(WAIT_S), "no CONNACK from the broker"
        return self

    def subscribe(self, topic: str) -> None:
        self._subscribed.clear()
        self.paho.subscribe(topic, qos=1)
        assert self._subscribed.wait(WAIT_S), "no SUBACK from the broker"

    def publish(self, topic: str, payloads: list[bytes]) -> None:
        infos = [self.paho.publish(topic, payload, qos=1) for payload in payloads]
        for info in infos:
            info.wait_for_publish(timeout=WAIT_S)
            assert info.is_published(), "no PUBACK from the broker"

    def receive(self, count: int) -> list[mqtt.MQTTMessage]:
        return [self.messages.get(timeout=WAIT_S) for _ in range(count)]

    def assert_nothing_more(self, wait_s: float = 0.3) -> None:
        with pytest.raises(queue.Empty):
            self.messages.get(timeout=wait_s)

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


@pytest.fixture
def clients(mqtt_broker: MqttBroker) -> Iterator[list[Client]]:
    """Collects clients made by a test and disconnects them at the end."""
    made: list[Client] = []
    yield made
    for client in made:
        client.close()


def _client(clients: list[Client], broker: MqttBroker, **kwargs: Any) -> Client:
    client = Client(broker, kwargs.pop("client_id", f"test-{uuid.uuid4().hex[:12]}"), **kwargs)
    clients.append(client)
    return client


def _payloads(n: int) -> list[bytes]:
    return [f"msg-{i}".encode() for i in range(n)]


def test_qos1_publish_subscribe(mqtt_broker: MqttBroker, mqtt_topic_prefix: str, clients: list[Client]) -> None:
    topic = f"{mqtt_topic_prefix}/counts"
    subscriber = _client(clients, mqtt_broker).connect()
    subscriber.subscribe(f"{mqtt_topic_prefix}/#")
    publisher = _client(clients, mqtt_broker).connect()

    publisher.publish(topic, _payloads(20))

    received = subscriber.receive(20)
    assert [m.payload for m in received] == _payloads(20)
    assert {m.topic for m in received} == {topic}
    assert {m.qos for m in received} == {1}
    subscriber.assert_nothing_more()


def _offline_delivery(mqtt_broker: MqttBroker, mqtt_topic_prefix: str, clients: list[Client],
                      protocol: MQTTProtocolVersion, restart_broker: bool = False) -> None:
    """Subscribe, go offline, have messages published, come back with the same session."""
    topic = f"{mqtt_topic_prefix}/events"
    client_id = f"persist-{uuid.uuid4().hex[:12]}"
    connect_args: dict[str, Any] = {}
    if protocol == MQTTProtocolVersion.MQTTv5:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        connect_args = {"clean_start": False, "properties": props}

    first = _client(clients, mqtt_broker, client_id=client_id, protocol=protocol, clean_session=False)
    first.connect(**connect_args)
    first.subscribe(topic)
    first.close()

    publisher = _client(clients, mqtt_broker).connect()
    publisher.publish(topic, _payloads(5))
    publisher.close()

    if restart_broker:
        mqtt_broker.restart()

    again = _client(clients, mqtt_broker, client_id=client_id, protocol=protocol, clean_session=False)
    again.connect(**connect_args)
    assert again.session_present is True
    assert [m.payload for m in again.receive(5)] == _payloads(5)
    again.assert_nothing_more()


def test_persistent_session_mqtt311(mqtt_broker: MqttBroker, mqtt_topic_prefix: str, clients: list[Client]) -> None:
    _offline_delivery(mqtt_broker, mqtt_topic_prefix, clients, MQTTProtocolVersion.MQTTv311)


def test_persistent_session_mqtt5(mqtt_broker: MqttBroker, mqtt_topic_prefix: str, clients: list[Client]) -> None:
    _offline_delivery(mqtt_broker, mqtt_topic_prefix, clients, MQTTProtocolVersion.MQTTv5)


def test_persistent_session_survives_broker_restart(
    mqtt_broker: MqttBroker, mqtt_topic_prefix: str, clients: list[Client]
) -> None:
    _offline_delivery(mqtt_broker, mqtt_topic_prefix, clients, MQTTProtocolVersion.MQTTv5, restart_broker=True)
    assert mqtt_broker.is_running()
