"""The bridge's MQTT source written on paho-mqtt 2.x, for the client benchmark (``cloud.bench.mqtt_clients``).

It does what ``cloud.bridge.consume.MqttSource`` does, with the same methods:
MQTT 5, ``clean_start=False`` with a session expiry, a receive maximum,
QoS 1 subscriptions (shared when a group is set) and manual acknowledgement
(``manual_ack=True``) of the done prefix in arrival order, dropping the
tickets of an earlier connection. It is driven the way paho documents for an
application's own loop: ``select`` on ``socket()``, then ``loop_read``,
``loop_write`` and ``loop_misc``, so that one step reads every packet waiting
rather than one per ``loop()`` call. ``Paho311Source`` is the same on MQTT
3.1.1, which spares paho the properties object it builds for every MQTT 5
message.
"""

from __future__ import annotations

import logging
import select
import time
from typing import Any, cast

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cloud.bridge.consume import OnMessage, Subscriber
from cloud.bridge.settings import BridgeSettings
from contract.broker import MqttConnection

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0


class PahoSource(Subscriber):
    """Receives events with paho-mqtt and acknowledges them in order once told they are safe."""

    protocol = mqtt.MQTTv5

    def __init__(self, mqtt_cfg: MqttConnection, bridge: BridgeSettings, client_id: str, on_message: OnMessage) -> None:
        super().__init__(mqtt_cfg, bridge, client_id, on_message)
        self._received = 0
        self._next_attempt = 0.0
        self._backoff = 1.0
        # clean_session applies to MQTT 3.1.1 only; MQTT 5 takes clean_start in connect().
        v311 = self.protocol == mqtt.MQTTv311
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=self.protocol, manual_ack=True,
            clean_session=False if v311 else None,
        )
        mqtt_cfg.configure_paho(self.client)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    # --- callbacks ---------------------------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("the broker refused the connection (%s)", reason)
            return
        self._backoff = 1.0
        if not flags.session_present and self._acks.generation > 1:
            log.warning("MQTT broker had no session for %s; messages queued for it meanwhile are gone", self.client_id)
        client.subscribe([(topic, 1) for topic in self.filters])

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: list[Any], _props: Any) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error("MQTT broker refused subscriptions %s: reason codes %s", self.filters, reasons)
            return
        log.info("subscribed to %s", ", ".join(self.filters))
        self.subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._received += 1
        if not self._receiving:
            return  # not acknowledged: the broker keeps it for the next session
        payload = cast(bytes, message.payload)  # paho reads into bytes; the annotation also allows bytearray
        self.on_message(message.topic, payload, self._acks.ticket(message.mid, message.qos))

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.subscribed.clear()
        if self._receiving:
            log.warning("lost MQTT broker %s:%d (%s); reconnecting", self.cfg.host, self.cfg.port, reason)

    # --- the loop ----------------------------------------------------------------------------------
    def _connect(self) -> None:
        self._acks.new_connection()
        try:
            if self.protocol == mqtt.MQTTv5:
                props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = self.bridge.session_expiry_s
                props.ReceiveMaximum = self.bridge.receive_maximum
                self.client.connect(self.cfg.host, self.cfg.port, self.cfg.keepalive_s, clean_start=False, properties=props)
            else:
                self.client.connect(self.cfg.host, self.cfg.port, self.cfg.keepalive_s)
        except OSError as exc:
            log.warning("connect to %s:%d failed: %s", self.cfg.host, self.cfg.port, exc)
            self._next_attempt = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    def step(self, timeout_s: float) -> None:
        """Read and dispatch whatever arrives within ``timeout_s``; (re)connect and keep the session alive."""
        sock = self.client.socket()
        if sock is None:
            wait = self._next_attempt - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, timeout_s))
            else:
                self._connect()
            return
        writable = [sock] if self.client.want_write() else []
        readable, writable, _ = select.select([sock], writable, [], timeout_s)
        if readable:
            self._read_waiting()
        if self.client.socket() is not None and self.client.want_write():
            self.client.loop_write()
        if self.client.socket() is not None:
            self.client.loop_misc()

    def _read_waiting(self) -> None:
        """Read packets until the socket holds no complete one (``loop_read`` reads one per call)."""
        for _ in range(self.bridge.receive_maximum + 2):
            before = self._received
            if self.client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS or self.client.socket() is None:
                return
            if self._received == before:
                return

    # --- acknowledgements ----------------------------------------------------------------------------
    def ack_ready(self) -> int:
        """Acknowledge the done prefix in arrival order; returns how many were acknowledged."""
        ready = self._acks.ready()
        for ticket in ready:
            self.client.ack(ticket.mid, 1)
        return len(ready)

    def stop_receiving(self) -> None:
        """Ignore further messages; they stay unacknowledged and the broker keeps them."""
        self._receiving = False

    def stop(self) -> None:
        """Disconnect; the session and its unacknowledged messages stay on the broker."""
        self._receiving = False
        if self.client.socket() is not None:
            self.client.disconnect()
        self.subscribed.clear()


class Paho311Source(PahoSource):
    """The same on MQTT 3.1.1: no properties to decode per message, but no receive maximum either.

    The broker then bounds the messages in flight by its own setting
    (Mosquitto's ``max_inflight_messages``, 20 by default), and a session
    never expires: both differ from what the bridge asks for with MQTT 5.
    """

    protocol = mqtt.MQTTv311
