"""The bridge's MQTT source written on gmqtt (asyncio, MQTT 5), for the client benchmark.

gmqtt acknowledges a QoS 1 message when its ``on_message`` coroutine returns
(``optimistic_acknowledgement=False``), so each message's coroutine waits on
a future that ``ack_ready`` resolves once the bridge has marked the message
done; futures are resolved in arrival order, so the PUBACKs go out in that
order. The bridge's loop is synchronous: ``step`` runs gmqtt's event loop for
the step's time. After a lost connection the futures of the old one are
cancelled, never answered: the broker resends those messages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gmqtt import Client as GmqttClient
from gmqtt import Subscription

from cloud.bridge.consume import OnMessage, Subscriber, Ticket
from cloud.bridge.settings import BridgeSettings
from contract.broker import MqttConnection

log = logging.getLogger(__name__)

_SUCCESS = 0


class GmqttSource(Subscriber):
    """Receives events with gmqtt and acknowledges them in order once told they are safe."""

    def __init__(self, mqtt_cfg: MqttConnection, bridge: BridgeSettings, client_id: str, on_message: OnMessage) -> None:
        super().__init__(mqtt_cfg, bridge, client_id, on_message)
        self._waiting: dict[Ticket, asyncio.Future[int]] = {}
        self.loop = asyncio.new_event_loop()
        self.client = GmqttClient(
            client_id, clean_session=False, optimistic_acknowledgement=False,
            session_expiry_interval=bridge.session_expiry_s, receive_maximum=bridge.receive_maximum,
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self._connected = False

    async def _on_message(self, _client: Any, topic: str, payload: bytes, qos: int, _props: Any) -> int:
        if not self._receiving:
            await asyncio.Future()  # never answered: the broker keeps it for the next session
        ticket = self._acks.ticket(0, qos)  # gmqtt sends the PUBACK itself; the packet id is not needed
        if not qos:
            self.on_message(topic, payload, ticket)
            return _SUCCESS
        done: asyncio.Future[int] = self.loop.create_future()
        self._waiting[ticket] = done
        self.on_message(topic, payload, ticket)
        return await done

    def _on_subscribe(self, *_args: Any) -> None:
        log.info("subscribed to %s", ", ".join(self.filters))
        self.subscribed.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self.subscribed.clear()
        self._acks.new_connection()
        for done in self._waiting.values():
            done.cancel()
        self._waiting.clear()

    async def _connect(self) -> None:
        if self.cfg.username:
            self.client.set_auth_credentials(self.cfg.username, None)
        await self.client.connect(self.cfg.host, self.cfg.port, keepalive=self.cfg.keepalive_s)
        self.client.subscribe([Subscription(topic, qos=1) for topic in self.filters])

    def step(self, timeout_s: float) -> None:
        """Run gmqtt's event loop for ``timeout_s``; the first step connects."""
        if not self._connected:
            self._connected = True
            self.loop.run_until_complete(self._connect())
        self.loop.run_until_complete(asyncio.sleep(timeout_s))

    def ack_ready(self) -> int:
        """Let gmqtt acknowledge the done prefix, in arrival order; returns how many."""
        ready = self._acks.ready()
        for ticket in ready:
            self._waiting.pop(ticket).set_result(_SUCCESS)
        return len(ready)

    def stop(self) -> None:
        """Disconnect; the session and its unacknowledged messages stay on the broker."""
        self._receiving = False
        if self._connected:
            self.loop.run_until_complete(self.client.disconnect())
        self.subscribed.clear()
