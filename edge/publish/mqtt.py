"""MQTT publisher: QoS 1, persistent session, last will, on-disk spool.

Every message goes to the spool first. A sender thread publishes the spool in
order while connected and deletes a message only when its PUBACK arrives. On
a disconnect, everything unacknowledged is sent again from the oldest, so
delivery is at least once; the cloud removes duplicates by ``event_id``.
"""

from __future__ import annotations

import logging
import queue
import ssl
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract.status import NodeStatus
from contract.topics import status_topic
from edge.publish.base import Publisher
from edge.publish.settings import MqttPublisherConfig
from edge.publish.spool import Spool

log = logging.getLogger(__name__)


class MqttPublisher(Publisher):
    """Deliver spooled messages to an MQTT broker at QoS 1."""

    def __init__(self, config: MqttPublisherConfig, site: str, camera: str, node: str) -> None:
        self.config = config
        self.topic_status = status_topic(site, camera)
        self._status = dict(site=site, camera=camera, node=node)
        spool_file = config.spool_dir / f"{node}.sqlite"
        self.spool = Spool(spool_file, config.spool_max_messages, int(config.spool_max_mb * 2**20))
        self._acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._connected = threading.Event()
        self._reset = threading.Event()
        self._stopping = threading.Event()
        self._inflight: dict[int, int] = {}  # mid -> spool key; sender thread only
        self._since = datetime.now(timezone.utc)
        self._connect_error = ""  # the last failure logged, so a retry loop logs each reason once
        self.client = self._make_client(node)
        self._sender = threading.Thread(target=self._send_loop, name="mqtt-sender", daemon=True)

    def _make_client(self, node: str) -> mqtt.Client:
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"citytwin-edge-{node}",
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        offline = NodeStatus(**self._status, status="offline", since=self._since)
        client.will_set(self.topic_status, offline.to_json(), qos=1, retain=True)
        self.config.configure_paho(client)
        client.max_inflight_messages_set(self.config.inflight)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        return client

    # paho callbacks run on its network thread: they only signal the sender.
    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s:%d refused the connection: %s", self.config.host, self.config.port, reason)
            return
        log.info("connected to MQTT broker %s:%d; %d events waiting", self.config.host, self.config.port, len(self.spool))
        self._connect_error = ""
        self._since = datetime.now(timezone.utc)
        online = NodeStatus(**self._status, status="online", since=self._since)
        client.publish(self.topic_status, online.to_json(), qos=1, retain=True)
        self._reset.set()
        self._connected.set()
        self._wake.set()

    def _on_connect_fail(self, _c: mqtt.Client, _u: Any) -> None:
        # paho passes no reason, but calls this while handling the connect's OSError.
        error = sys.exc_info()[1]
        reason = str(error) or type(error).__name__
        if reason == self._connect_error:
            return
        self._connect_error = reason
        hint = "; check mqtt.tls (ca_file, cert_file, key_file)" if isinstance(error, ssl.SSLError) else ""
        log.error("cannot connect to MQTT broker %s:%d: %s%s; buffering events on disk and retrying",
                  self.config.host, self.config.port, reason, hint)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not self._stopping.is_set():
            log.warning("lost MQTT broker %s:%d (%s); buffering events on disk", self.config.host, self.config.port, reason)
        self._connected.clear()
        self._reset.set()

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, _r: Any, _p: Any) -> None:
        self._acks.put(mid)
        self._wake.set()

    def start(self) -> MqttPublisher:
        """Connect in the background; publishing works before the broker answers."""
        self.client.connect_async(self.config.host, self.config.port, keepalive=self.config.keepalive_s)
        self.client.loop_start()
        self._sender.start()
        return self

    def publish(self, topic: str, payload: bytes) -> bool:
        accepted = self.spool.put(topic, payload)
        self._wake.set()
        return accepted

    @property
    def pending(self) -> int:
        return len(self.spool)

    @property
    def dropped(self) -> int:
        return self.spool.dropped

    def _drain_acks(self) -> None:
        done = []
        while True:
            try:
                mid = self._acks.get_nowait()
            except queue.Empty:
                break
            key = self._inflight.pop(mid, None)
            if key is not None:
                done.append(key)
        self.spool.ack(done)

    def _send_loop(self) -> None:
        last_key = 0
        while not (self._stopping.is_set() and not len(self.spool)):
            self._wake.wait(0.2)
            self._wake.clear()
            self._drain_acks()
            if self._reset.is_set():
                # Whatever was in flight is sent again from the oldest unacknowledged.
                self._reset.clear()
                self._inflight.clear()
                last_key = 0
            if not self._connected.is_set():
                if self._stopping.is_set():
                    return
                continue
            room = self.config.inflight - len(self._inflight)
            for message in self.spool.peek(room, after=last_key) if room > 0 else []:
                info = self.client.publish(message.topic, message.payload, qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    self._reset.set()
                    break
                self._inflight[info.mid] = message.key
                last_key = message.key

    def stop(self, drain_timeout: float = 5.0) -> None:
        if self._sender.ident is None:
            # Never started: nothing can drain and there is no connection; what was published stays spooled.
            if len(self.spool):
                log.info("%d events stay in %s for the next start", len(self.spool), self.spool.path)
            self.spool.close()
            return
        # Wait for the spool to empty, including through a reconnect that is still under way.
        deadline = time.monotonic() + drain_timeout
        while len(self.spool) and time.monotonic() < deadline:
            time.sleep(0.05)
        if len(self.spool):
            log.warning("%d events not yet acknowledged stay in %s for the next start", len(self.spool), self.spool.path)
        was_connected = self._connected.is_set()
        self._stopping.set()
        self._connected.clear()
        self._wake.set()
        self._sender.join(timeout=2)
        if was_connected:
            # A clean disconnect suppresses the last will, so say offline ourselves.
            offline = NodeStatus(**self._status, status="offline", since=self._since)
            self.client.publish(self.topic_status, offline.to_json(), qos=1, retain=True).wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()
        self.spool.close()
