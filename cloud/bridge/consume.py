"""MQTT side of the bridge: a persistent QoS 1 subscription whose messages are acknowledged late.

The source connects with MQTT 5, ``clean_start=False`` and a session expiry,
so the broker queues events while the bridge is away, and subscribes with
QoS 1 (through ``$share/<group>/...`` when a share group is set, so that
several bridges split the stream). Acknowledgement is manual: each message
comes with a ``Ticket``; the bridge marks it done once Kafka holds the record,
and ``ack_ready`` sends the PUBACKs of the done prefix in arrival order, as
MQTT requires. The broker sends at most ``receive_maximum`` unacknowledged
messages, which bounds what is held while Kafka is slow or away.

The source is driven by the bridge's single loop (``step``), which reads
everything the socket holds at once; see ``cloud.bridge.mqtt5`` for why the
bridge speaks the protocol itself. After a reconnect the broker resends every
unacknowledged message, so tickets of the previous connection are dropped
rather than acknowledged: their packet ids belong to the old connection.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable

from cloud.bridge import mqtt5
from cloud.bridge.settings import BridgeSettings
from contract.broker import MqttConnection

log = logging.getLogger(__name__)

READ_BYTES = 256 * 1024
CONNECT_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 5.0
CLOSE_TIMEOUT_S = 1.0
# Room for the topic and properties next to the largest payload the bridge still reads to dead-letter it.
PACKET_HEADROOM = 64 * 1024
_SUBSCRIBE_ID = 1


class Ticket:
    """One received message awaiting Kafka; ``done`` is set once it may be acknowledged."""

    __slots__ = ("mid", "qos", "generation", "done", "ts")

    def __init__(self, mid: int, qos: int, generation: int) -> None:
        self.mid = mid
        self.qos = qos
        self.generation = generation
        self.done = False
        self.ts = 0.0  # event time of what was sent, for the lag report


class Acks:
    """Tickets in arrival order; hands out those that may be acknowledged, in that order.

    A new connection starts a new generation: the broker resends what the old
    connection left unacknowledged, so its tickets are dropped, never acknowledged.
    """

    def __init__(self) -> None:
        self._pending: deque[Ticket] = deque()
        self.generation = 0

    def new_connection(self) -> None:
        self.generation += 1

    def ticket(self, mid: int, qos: int) -> Ticket:
        """The ticket of a message just received on the current connection."""
        ticket = Ticket(mid, qos, self.generation)
        self._pending.append(ticket)
        return ticket

    def ready(self) -> list[Ticket]:
        """Remove the done prefix; returns the tickets among it that need a PUBACK (QoS 1)."""
        ready = []
        pending = self._pending
        while pending:
            head = pending[0]
            if head.generation != self.generation:
                pending.popleft()  # the broker resends it on this connection
                continue
            if not head.done:
                break
            pending.popleft()
            if head.qos:
                ready.append(head)
        return ready

    def __len__(self) -> int:
        return len(self._pending)


OnMessage = Callable[[str, bytes, Ticket], None]


def _tls_error(exc: ssl.SSLError, when: str) -> ConnectionError:
    return ConnectionError(
        f"TLS failed {when}: {exc}; check mqtt.tls: ca_file must hold the CA of the broker certificate, "
        "and a broker with require_certificate needs cert_file and key_file"
    )


def subscriptions(bridge: BridgeSettings) -> list[str]:
    """The topic filters the bridge subscribes to, shared when a group is set."""
    filters = [f"{bridge.topic_prefix}/+/+/events/#"]
    if bridge.status:
        filters.append(f"{bridge.topic_prefix}/+/+/status")
    if bridge.share_group:
        filters = [f"$share/{bridge.share_group}/{topic}" for topic in filters]
    return filters


class Subscriber:
    """What every MQTT source of the bridge holds: its settings, its topic filters and its tickets.

    The sources of the client benchmark (``cloud.bench``) share it with ``MqttSource``.
    """

    def __init__(self, mqtt_cfg: MqttConnection, bridge: BridgeSettings, client_id: str, on_message: OnMessage) -> None:
        self.cfg = mqtt_cfg
        self.bridge = bridge
        self.client_id = client_id
        self.on_message = on_message
        self.filters = subscriptions(bridge)
        self.subscribed = threading.Event()
        self._acks = Acks()
        self._receiving = True

    @property
    def unacked(self) -> int:
        """Messages received and not yet acknowledged."""
        return len(self._acks)


class MqttSource(Subscriber):
    """Receives events over MQTT and acknowledges them in order once told they are safe."""

    def __init__(self, mqtt_cfg: MqttConnection, bridge: BridgeSettings, client_id: str, on_message: OnMessage) -> None:
        super().__init__(mqtt_cfg, bridge, client_id, on_message)
        self.keepalive_s = mqtt_cfg.keepalive_s
        # Payloads above max_payload_bytes still come, to be dead-lettered as too large; the broker drops
        # only those above this limit (announced in CONNECT), which also bounds the read buffer.
        self.packet_limit = max(mqtt5.MAX_PACKET_BYTES, bridge.max_payload_bytes + PACKET_HEADROOM)
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._connects = 0
        self._next_attempt = 0.0
        self._backoff = 1.0
        self._last_in = self._last_out = 0.0

    # --- connection -----------------------------------------------------------------------------
    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((self.cfg.host, self.cfg.port), timeout=CONNECT_TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.cfg.tls is None:
            return sock
        tls = self.cfg.tls
        context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
        if tls.cert_file:
            context.load_cert_chain(str(tls.cert_file), str(tls.key_file) if tls.key_file else None)
        try:
            return context.wrap_socket(sock, server_hostname=self.cfg.host)
        except ssl.SSLError as exc:
            sock.close()
            raise _tls_error(exc, "in the handshake") from exc

    def _handshake(self, sock: socket.socket) -> bool:
        """CONNECT and wait for CONNACK; returns whether the broker had our session."""
        password = os.environ.get(self.cfg.password_env) if self.cfg.username else None
        sock.sendall(
            mqtt5.connect(
                self.client_id, self.keepalive_s, False, self.bridge.session_expiry_s,
                self.bridge.receive_maximum, self.cfg.username, password, self.packet_limit,
            )
        )
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while time.monotonic() < deadline:
            data = sock.recv(READ_BYTES)
            if not data:
                raise ConnectionError("the broker closed the connection during CONNECT")
            self._buffer += data
            packets = mqtt5.split(self._buffer, self.packet_limit)
            if packets:
                first, body = packets[0]
                if first & 0xF0 != mqtt5.CONNACK:
                    raise mqtt5.ProtocolError(f"expected CONNACK, got packet type {first >> 4}")
                present, reason, server_keepalive = mqtt5.parse_connack(body)
                if reason >= 0x80:
                    raise ConnectionRefusedError(f"the broker refused the connection (reason code 0x{reason:02x})")
                if server_keepalive:
                    self.keepalive_s = server_keepalive
                for later in packets[1:]:
                    self._dispatch(*later)
                return present
        raise TimeoutError(f"no CONNACK within {CONNECT_TIMEOUT_S:.0f}s")

    def _connect(self) -> None:
        self._buffer.clear()
        self._acks.new_connection()  # before the handshake: a PUBLISH may follow CONNACK in the same read
        sock = self._open_socket()
        try:
            present = self._handshake(sock)
            sock.sendall(mqtt5.subscribe(_SUBSCRIBE_ID, self.filters))
        except ssl.SSLError as exc:  # TLS 1.3 reports a refused client certificate only here
            sock.close()
            raise _tls_error(exc, "during CONNECT") from exc
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._connects += 1
        self._last_in = self._last_out = time.monotonic()
        self._backoff = 1.0
        if self._connects > 1 and not present:
            log.warning("MQTT broker had no session for %s; messages queued for it meanwhile are gone", self.client_id)
        log.info("connected to MQTT broker %s:%d as %s", self.cfg.host, self.cfg.port, self.client_id)

    def _drop(self, why: str) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self.subscribed.clear()
        self._next_attempt = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)
        if self._receiving:
            log.warning("lost MQTT broker %s:%d (%s); reconnecting", self.cfg.host, self.cfg.port, why)

    # --- the loop ---------------------------------------------------------------------------------
    def step(self, timeout_s: float) -> None:
        """Read and dispatch whatever arrives within ``timeout_s``; (re)connect and keep the session alive."""
        if self._sock is None:
            self._reconnect(timeout_s)
            return
        try:
            self._sock.settimeout(timeout_s)
            data = self._sock.recv(READ_BYTES)
        except (socket.timeout, ssl.SSLWantReadError):
            data = None
        except OSError as exc:
            self._drop(str(exc) or type(exc).__name__)
            return
        now = time.monotonic()
        if data == b"":
            self._drop("the broker closed the connection")
            return
        if data:
            self._last_in = now
            self._buffer += data
            try:
                for first, body in mqtt5.split(self._buffer, self.packet_limit):
                    self._dispatch(first, body)
            except mqtt5.ServerDisconnect as exc:
                self._drop(f"the broker disconnected us: {exc}{self._hint(exc.code)}")
                return
            except mqtt5.ProtocolError as exc:
                self._drop(f"protocol error: {exc}")
                return
        self._keepalive(now)

    def _reconnect(self, timeout_s: float) -> None:
        wait = self._next_attempt - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, timeout_s))
            return
        try:
            self._connect()
        except (OSError, mqtt5.ProtocolError) as exc:
            self._drop(f"connect failed: {exc}")

    def _keepalive(self, now: float) -> None:
        if now - self._last_in > 1.5 * self.keepalive_s:
            self._drop(f"nothing heard for {now - self._last_in:.0f}s")
        elif now - self._last_out >= self.keepalive_s / 2:
            self._send(mqtt5.PINGREQ)

    def _send(self, data: bytes) -> None:
        if self._sock is None:
            return
        try:
            self._sock.settimeout(CONNECT_TIMEOUT_S)
            self._sock.sendall(data)
            self._last_out = time.monotonic()
        except OSError as exc:
            self._drop(f"send failed: {exc}")

    def _dispatch(self, first: int, body: bytes) -> None:
        kind = first & 0xF0
        if kind == mqtt5.PUBLISH:
            topic, mid, qos, payload = mqtt5.parse_publish(first, body)
            if not self._receiving:
                return  # not acknowledged: the broker keeps it for the next session
            self.on_message(topic, payload, self._acks.ticket(mid, qos))
        elif kind == mqtt5.SUBACK:
            _mid, reasons = mqtt5.parse_suback(body)
            if any(reason >= 0x80 for reason in reasons):
                log.error("MQTT broker refused subscriptions %s: reason codes %s", self.filters, reasons)
                return
            log.info("subscribed to %s", ", ".join(self.filters))
            self.subscribed.set()
        elif kind == mqtt5.DISCONNECT_TYPE:
            raise mqtt5.ServerDisconnect(mqtt5.parse_disconnect(body))

    def _hint(self, code: int) -> str:
        if code == mqtt5.SESSION_TAKEN_OVER:
            return (f": another client connected as {self.client_id}; if that keeps happening, two bridges share an "
                    "instance name: give each its own (--instance or cloud.bridge.instance)")
        return ""

    # --- acknowledgements ---------------------------------------------------------------------------
    def ack_ready(self) -> int:
        """Acknowledge the done prefix in arrival order; returns how many were acknowledged."""
        ready = self._acks.ready()
        if ready:
            self._send(b"".join([mqtt5.puback(ticket.mid) for ticket in ready]))
        return len(ready)

    def stop_receiving(self) -> None:
        """Ignore further messages; they stay unacknowledged and the broker keeps them."""
        self._receiving = False

    def stop(self) -> None:
        """Disconnect; the session and its unacknowledged messages stay on the broker."""
        self._receiving = False
        self._send(mqtt5.DISCONNECT)
        if self._sock is not None:
            self._await_close(self._sock)
            self._sock.close()
            self._sock = None
        self.subscribed.clear()

    @staticmethod
    def _await_close(sock: socket.socket) -> None:
        """Wait until the broker closes its side, for at most ``CLOSE_TIMEOUT_S``.

        The broker closes after reading our DISCONNECT, so by then it has taken
        every PUBACK sent before it. A successor connecting with the same client
        id sooner would take the session over, and Mosquitto drops what it had
        not yet read from the old connection: those messages would come again.
        """
        deadline = time.monotonic() + CLOSE_TIMEOUT_S
        try:
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                if not sock.recv(READ_BYTES):
                    return
        except OSError:  # timed out or reset: nothing more to wait for
            return
