"""The bridge's MQTT 5 source against live Mosquitto: every behaviour the bridge relies on.

Session resumption (across a bridge restart and a broker restart), the
receive maximum, QoS 1 redelivery with DUP set, tickets of a lost connection
never acknowledged, packets cut anywhere by the socket, and the broker's
DISCONNECT reasons. Each test has its own topic prefix and client ids.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.bridge import mqtt5
from cloud.bridge.consume import MqttSource, Ticket
from cloud.bridge.settings import BridgeSettings
from contract.broker import MqttConnection
from tests.support.brokers import MqttBroker

pytestmark = [pytest.mark.mqtt]

WAIT_S = 30.0
QUIET_S = 1.5  # long enough for a broker on loopback to send whatever it still had


class Subscriber:
    """An ``MqttSource`` on the test broker that keeps what it receives, tickets and raw first bytes."""

    def __init__(self, broker: MqttBroker, prefix: str, client_id: str, source_type: type[MqttSource] = MqttSource,
                 **bridge: object) -> None:
        self.got: list[tuple[str, bytes, Ticket]] = []
        settings = BridgeSettings(topic_prefix=prefix, status=False, **bridge)  # type: ignore[arg-type]
        self.source = source_type(MqttConnection(host=broker.host, port=broker.port, keepalive_s=10), settings,
                                  client_id, lambda topic, payload, ticket: self.got.append((topic, payload, ticket)))

    @property
    def payloads(self) -> list[bytes]:
        return [payload for _topic, payload, _ticket in self.got]

    def pump(self, until: Callable[[], bool], timeout_s: float = WAIT_S, what: str = "the condition") -> None:
        """Step the source until ``until()`` holds; fail after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not until():
            assert time.monotonic() < deadline, f"{what} did not happen within {timeout_s}s; received {len(self.got)}"
            self.source.step(0.02)

    def pump_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.source.step(0.02)

    def connect(self) -> Subscriber:
        self.pump(self.source.subscribed.is_set, what="subscribing")
        return self

    def ack_all(self) -> int:
        for _topic, _payload, ticket in self.got:
            ticket.done = True
        return self.source.ack_ready()


def _publish(broker: MqttBroker, topic: str, payloads: list[bytes]) -> None:
    """Publish at QoS 1 and wait until the broker has acknowledged every message."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(100)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1) for payload in payloads]
        for info in infos:
            info.wait_for_publish(WAIT_S)
    finally:
        client.disconnect()
        client.loop_stop()


def _payloads(count: int, size: int = 20) -> list[bytes]:
    return [f"{n:06d}".encode().ljust(size, b".") for n in range(count)]


def _queue(broker: MqttBroker, names: tuple[str, str, str], payloads: list[bytes],
           source_type: type[MqttSource] = MqttSource, **bridge: object) -> None:
    """Make the test's persistent session (subscribe, then go away) and let the broker queue ``payloads`` for it."""
    prefix, topic, client_id = names
    Subscriber(broker, prefix, client_id, source_type, **bridge).connect().source.stop()
    _publish(broker, topic, payloads)


@pytest.fixture
def names(mqtt_topic_prefix: str) -> tuple[str, str, str]:
    """(topic prefix, an event topic under it, a client id) unique to the test."""
    return mqtt_topic_prefix, f"{mqtt_topic_prefix}/campus/cam-1/events/count", f"bridge-{mqtt_topic_prefix}"


def test_messages_queued_while_the_bridge_is_away_arrive_when_it_resumes(
    mqtt_broker: MqttBroker, names: tuple[str, str, str]
) -> None:
    prefix, topic, client_id = names
    sent = _payloads(50)
    _queue(mqtt_broker, names, sent)
    resumed = Subscriber(mqtt_broker, prefix, client_id).connect()
    resumed.pump(lambda: len(resumed.got) >= 50)
    assert resumed.payloads == sent and all(t == topic for t, _p, _k in resumed.got)
    assert resumed.ack_all() == 50
    resumed.source.stop()
    after = Subscriber(mqtt_broker, prefix, client_id).connect()
    after.pump_for(QUIET_S)
    assert after.got == [], "acknowledged messages must not come again"
    after.source.stop()


def test_session_and_its_queue_survive_a_broker_restart(
    mqtt_broker: MqttBroker, names: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    prefix, topic, client_id = names
    first = _payloads(20)
    _queue(mqtt_broker, names, first)
    mqtt_broker.restart()  # the session and its queue are saved on shutdown and loaded on start
    live = Subscriber(mqtt_broker, prefix, client_id).connect()
    live.pump(lambda: len(live.got) >= 20)
    assert live.ack_all() == 20

    # Now the broker goes away under a connected source, which reconnects by itself.
    with caplog.at_level(logging.WARNING, logger="cloud.bridge.consume"):
        mqtt_broker.restart()
        second = _payloads(15, size=30)
        _publish(mqtt_broker, topic, second)
        live.pump(lambda: len(live.got) >= 35)
    assert live.payloads == first + second
    assert "lost MQTT broker" in caplog.text
    assert "had no session" not in caplog.text
    live.source.stop()


def _mosquitto_version() -> tuple[int, ...]:
    """The version of the Mosquitto the brokers script starts (the one on PATH)."""
    banner = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"mosquitto version (\d+)\.(\d+)\.(\d+)", banner)
    assert found, f"no version in mosquitto -h: {banner[:200]!r}"
    return tuple(int(part) for part in found.groups())


def _backlog_behind_a_window(broker: MqttBroker, names: tuple[str, str, str], limit: int, count: int) -> Subscriber:
    """A source with receive maximum ``limit`` resuming a session that has ``count`` messages queued."""
    _queue(broker, names, _payloads(count), receive_maximum=limit)
    prefix, _topic, client_id = names
    return Subscriber(broker, prefix, client_id, receive_maximum=limit).connect()


def test_the_broker_stops_at_the_receive_maximum_until_messages_are_acknowledged(
    mqtt_broker: MqttBroker, names: tuple[str, str, str]
) -> None:
    limit, sent = 5, _payloads(23)
    sub = _backlog_behind_a_window(mqtt_broker, names, limit, len(sent))
    sub.pump_for(QUIET_S)
    assert len(sub.got) == limit and sub.source.unacked == limit, "the broker must stop at the receive maximum"
    while len(sub.got) < len(sent):
        before = len(sub.got)
        sub.ack_all()
        sub.pump(lambda: len(sub.got) > before, what="the next window")
    assert sub.payloads == sent, "every message once, in order"
    sub.ack_all()
    assert sub.source.unacked == 0
    sub.source.stop()


@pytest.mark.xfail(
    _mosquitto_version() < (2, 0, 13), strict=True,
    reason="Mosquitto before 2.0.13 releases a whole window per PUBACK once the first window is acknowledged "
           "(2.0.13: 'various fixes around inflight quota management'); then a bridge may hold more than its "
           "receive maximum",
)
def test_the_broker_never_has_more_than_receive_maximum_messages_in_flight(
    mqtt_broker: MqttBroker, names: tuple[str, str, str]
) -> None:
    limit, sent = 5, _payloads(23)
    sub = _backlog_behind_a_window(mqtt_broker, names, limit, len(sent))
    most = 0
    while len(sub.got) < len(sent):
        sub.pump(lambda: sub.source.unacked > 0 or len(sub.got) == len(sent), what="the next window")
        sub.pump_for(0.2)  # give the broker the chance to overrun the window
        most = max(most, sub.source.unacked)
        assert sub.source.unacked <= limit, f"{sub.source.unacked} unacknowledged with a receive maximum of {limit}"
        sub.got[len(sub.got) - sub.source.unacked][2].done = True  # acknowledge one at a time
        sub.source.ack_ready()
    assert most == limit and sub.payloads == sent
    sub.ack_all()
    sub.source.stop()


def _recording_split(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the first byte of every PUBLISH the source splits out of the stream (DUP is bit 3)."""
    firsts: list[int] = []
    split = mqtt5.split

    def recording(buffer: bytearray, limit: int = mqtt5.MAX_PACKET_BYTES) -> list[tuple[int, bytes]]:
        packets = split(buffer, limit)
        firsts.extend(first for first, _body in packets if first & 0xF0 == mqtt5.PUBLISH)
        return packets

    monkeypatch.setattr(mqtt5, "split", recording)
    return firsts


def test_unacknowledged_messages_come_again_with_dup_after_a_reconnect(
    mqtt_broker: MqttBroker, names: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix, topic, client_id = names
    sent = _payloads(10)
    _queue(mqtt_broker, names, sent)
    firsts = _recording_split(monkeypatch)
    unlucky = Subscriber(mqtt_broker, prefix, client_id).connect()
    unlucky.pump(lambda: len(unlucky.got) >= 10)
    unlucky.source.stop()  # Kafka never answered: nothing was acknowledged
    assert firsts == [0x32] * 10, "first delivery: QoS 1, DUP clear"

    firsts.clear()
    again = Subscriber(mqtt_broker, prefix, client_id).connect()
    again.pump(lambda: len(again.got) >= 10)
    assert again.payloads == sent
    assert firsts == [0x3A] * 10, "redelivery: QoS 1 with DUP set"
    assert again.ack_all() == 10
    again.source.stop()


def test_tickets_of_a_connection_taken_over_are_never_acknowledged(
    mqtt_broker: MqttBroker, names: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    prefix, topic, client_id = names
    sub = Subscriber(mqtt_broker, prefix, client_id).connect()
    sent = _payloads(10)
    _publish(mqtt_broker, topic, sent)
    sub.pump(lambda: len(sub.got) >= 10)
    old = list(sub.got)

    # Another client takes the session over: Mosquitto (2.0.11) closes the source's connection without a
    # DISCONNECT and hands the unacknowledged messages to the newcomer, which vanishes without acknowledging them.
    with caplog.at_level(logging.WARNING, logger="cloud.bridge.consume"):
        intruder = socket.create_connection((mqtt_broker.host, mqtt_broker.port), timeout=5)
        intruder.sendall(mqtt5.connect(client_id, 30, False, 600, 100))
        intruder.recv(4096)
        intruder.close()
        sub.pump(lambda: len(sub.got) >= 20, what="redelivery after the reconnect")
    assert "lost MQTT broker" in caplog.text
    assert [payload for _t, payload, _k in sub.got[10:]] == sent
    for _topic, _payload, ticket in old:  # Kafka answers for the old deliveries only now
        ticket.done = True
    assert sub.source.ack_ready() == 0, "packet ids of the old connection mean nothing on the new one"
    assert sub.source.unacked == 10
    assert sub.ack_all() == 10
    sub.source.stop()
    after = Subscriber(mqtt_broker, prefix, client_id).connect()
    after.pump_for(QUIET_S)
    assert after.got == []
    after.source.stop()


class _CutReads:
    """A real socket whose ``recv`` returns at most the next of ``sizes`` bytes."""

    def __init__(self, sock: socket.socket, sizes: Iterator[int]) -> None:
        self._sock = sock
        self._sizes = sizes

    def recv(self, bufsize: int) -> bytes:
        return self._sock.recv(min(bufsize, next(self._sizes)))

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)


def _random_sizes(rng: random.Random, most: int) -> Iterator[int]:
    while True:
        yield rng.randint(1, most)


def _cutting(sizes: Callable[[], Iterator[int]]) -> type[MqttSource]:
    class CuttingSource(MqttSource):
        def _open_socket(self) -> socket.socket:
            return _CutReads(super()._open_socket(), sizes())  # type: ignore[return-value]

    return CuttingSource


@pytest.mark.parametrize(
    "sizes",
    [lambda: itertools.repeat(1), lambda: _random_sizes(random.Random(7), 9)],
    ids=["one-byte-reads", "reads-of-1-to-9-bytes"],
)
def test_packets_cut_anywhere_by_the_socket_arrive_whole(
    mqtt_broker: MqttBroker, names: tuple[str, str, str], sizes: Callable[[], Iterator[int]]
) -> None:
    prefix, topic, client_id = names
    source_type = _cutting(sizes)
    # Remaining lengths of one, two and three bytes; an empty payload; 127/128 and 16383/16384 edges.
    sent = [b"", b"x", b"a" * 100, b"b" * 128, b"c" * 16_300, b"d" * 16_400, b"e" * 40_000]
    _queue(mqtt_broker, names, sent, source_type)
    sub = Subscriber(mqtt_broker, prefix, client_id, source_type).connect()
    sub.pump(lambda: len(sub.got) >= len(sent), timeout_s=60)
    assert sub.payloads == sent
    assert sub.ack_all() == len(sent)
    sub.source.stop()


@pytest.mark.parametrize(
    ("packet", "reason"),
    [(b"\x82\x00", "malformed packet (0x81)"), (b"\x00\x00", "protocol error (0x82)")],
    ids=["empty-subscribe", "reserved-packet-type"],
)
def test_a_disconnect_from_the_broker_is_logged_with_its_reason_and_the_source_reconnects(
    mqtt_broker: MqttBroker, names: tuple[str, str, str], caplog: pytest.LogCaptureFixture, packet: bytes, reason: str
) -> None:
    prefix, topic, client_id = names
    sub = Subscriber(mqtt_broker, prefix, client_id).connect()
    with caplog.at_level(logging.WARNING, logger="cloud.bridge.consume"):
        sub.source._send(packet)  # the broker answers a bad packet with DISCONNECT and its reason
        sub.pump(lambda: not sub.source.subscribed.is_set(), what="the disconnect")
    assert f"the broker disconnected us: {reason}" in caplog.text
    sub.connect()
    _publish(mqtt_broker, topic, [b"after"])
    sub.pump(lambda: sub.payloads == [b"after"])
    sub.ack_all()
    sub.source.stop()


def test_the_broker_drops_messages_above_the_announced_packet_limit(
    mqtt_broker: MqttBroker, names: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    prefix, topic, client_id = names

    class SmallPackets(MqttSource):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.packet_limit = 2048

    sent = [b"small-1", b"x" * 4000, b"small-2"]
    _queue(mqtt_broker, names, sent, SmallPackets)
    with caplog.at_level(logging.WARNING, logger="cloud.bridge.consume"):
        sub = Subscriber(mqtt_broker, prefix, client_id, SmallPackets).connect()
        sub.pump(lambda: len(sub.got) >= 2)
        sub.pump_for(QUIET_S)
    assert sub.payloads == [b"small-1", b"small-2"], "the broker must never send more than the limit"
    assert "lost MQTT broker" not in caplog.text
    assert sub.ack_all() == 2
    sub.source.stop()


def _one_session_broker(server: socket.socket, reason: int) -> None:
    """Accept one client, let it connect and subscribe, then DISCONNECT it with ``reason``."""
    conn, _ = server.accept()
    with conn:
        conn.settimeout(WAIT_S)
        conn.recv(4096)  # CONNECT
        conn.sendall(b"\x20\x03\x00\x00\x00")  # CONNACK: no session, success, no properties
        conn.recv(4096)  # SUBSCRIBE
        conn.sendall(b"\x90\x04\x00\x01\x00\x01" + bytes([0xE0, 2, reason, 0]))  # SUBACK, then DISCONNECT
        conn.recv(4096)  # until the source closes


@pytest.mark.parametrize(
    ("reason", "logged"),
    [(0x8E, "session taken over (0x8e): another client connected as bridge-x; if that keeps happening, two "
            "bridges share an instance name"),
     (0x8B, "server shutting down (0x8b)"), (0xFE, "reason (0xfe)")],
    ids=["session-taken-over", "shutting-down", "unknown-code"],
)
def test_a_disconnect_reason_the_broker_does_not_send_here_is_logged_in_words(
    caplog: pytest.LogCaptureFixture, reason: int, logged: str
) -> None:
    # Mosquitto 2.0.11 closes a taken-over connection without a DISCONNECT, and sends no other reason on demand:
    # a one-connection server on a real socket sends the packets a broker that does would send.
    with socket.create_server(("127.0.0.1", 0)) as server:
        broker = threading.Thread(target=_one_session_broker, args=(server, reason), daemon=True)
        broker.start()
        settings = BridgeSettings(topic_prefix="t", status=False)
        source = MqttSource(MqttConnection(host="127.0.0.1", port=server.getsockname()[1], keepalive_s=10), settings,
                            "bridge-x", lambda _topic, _payload, _ticket: None)
        deadline = time.monotonic() + WAIT_S
        with caplog.at_level(logging.WARNING, logger="cloud.bridge.consume"):
            while "lost MQTT broker" not in caplog.text:
                assert time.monotonic() < deadline, "the source did not notice the DISCONNECT"
                source.step(0.02)
        source.stop()
        broker.join(WAIT_S)
    assert f"the broker disconnected us: {logged}" in caplog.text
