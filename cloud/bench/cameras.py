"""Many emulated cameras on one thread: each its own authenticated MQTT session, publishing at a camera's pace.

A thousand paho clients with a network thread each would spend the
benchmark's CPU switching threads, so one selector loop drives every client's
socket (paho's external-loop calls: ``loop_read``, ``loop_write``,
``loop_misc``) and publishes from the same thread. Live events are stamped
with the publish time as ``ts`` and numbered from ``LIVE_SEQ`` up; a spool
flush sends, as the edge's spool does after an outage, events made earlier
with their own old ``ts`` and lower sequence numbers, so the lake can tell the
two apart by ``seq``.

Example (needs a broker)::

    cams = EmulatedCameras("127.0.0.1", 1883, "city", logins).connect()
    cams.run(seconds=60)
"""

from __future__ import annotations

import logging
import selectors
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from cloud.bench.nodes import _body
from contract.topics import PREFIX
from edge.events.factory import EventFactory

log = logging.getLogger(__name__)

LIVE_SEQ = 10_000_000  # live events are numbered from here; a spool's older events lie below
# What one camera reports each second, in turn: mostly crossings, then occupancy changes and dwells.
_EACH_SECOND = ("line_crossing",) * 6 + ("zone_occupancy",) * 3 + ("dwell",)
HEALTH_EVERY_S = 10


@dataclass(frozen=True)
class Login:
    """One camera's node and its MQTT login."""

    camera: str
    node: str
    password: str


class Camera:
    """One emulated camera: its node's MQTT session and its live and spooled event numbering."""

    def __init__(self, host: str, port: int, site: str, login: Login, tag: str) -> None:
        self.login = login
        self.topic = f"{PREFIX}/{site}/{login.camera}/events/"
        self.live = EventFactory(site, login.camera, login.node, iter(range(LIVE_SEQ, 2**62)).__next__)
        self.spool = EventFactory(site, login.camera, login.node)
        self.sent = self.acked = 0
        self.connected = False
        self.retry_at = 0.0  # when a dropped session may be opened again (monotonic)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{tag}-{login.node}", clean_session=False)
        self.client.username_pw_set(login.node, login.password)
        self.client.max_inflight_messages_set(200)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.connect(host, port, keepalive=30)

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any = None) -> None:
        self.connected = not reason.is_failure
        if reason.is_failure:
            log.error("camera %s refused by the broker: %s", self.login.camera, reason)

    def _on_disconnect(self, *_args: Any) -> None:
        self.connected = False
        log.warning("camera %s disconnected", self.login.camera)

    def _on_publish(self, *_args: Any) -> None:
        self.acked += 1

    def send(self, kind: str, payload: bytes | str) -> None:
        self.client.publish(self.topic + kind, payload, qos=1)
        self.sent += 1

    def publish_live(self, kind: str, n: int) -> None:
        ts = datetime.now(timezone.utc)
        self.send(kind, self.live.make(kind, ts, _body(kind, n, ts)).to_json())


def spooled(factory: EventFactory, until: datetime, seconds: float) -> list[tuple[str, bytes]]:
    """What a camera's spool holds after ``seconds`` offline before ``until``: (type, JSON) at the live pace."""
    out = []
    start = until - timedelta(seconds=seconds)
    for second in range(int(seconds)):
        ts = start + timedelta(seconds=second)
        kinds = [_EACH_SECOND[second % len(_EACH_SECOND)]] + (["node_health"] if second % HEALTH_EVERY_S == 0 else [])
        for kind in kinds:
            out.append((kind, factory.make(kind, ts, _body(kind, second, ts)).to_json()))
    return out


Flushed = tuple[Camera, str, bytes]  # a spooled event: who sends it, its type and its JSON


class EmulatedCameras:
    """Cameras of one site, one MQTT session each, driven by one selector loop."""

    def __init__(self, host: str, port: int, site: str, logins: list[Login], tag: str) -> None:
        self.selector = selectors.DefaultSelector()
        self.cameras: list[Camera] = []
        for login in logins:
            camera = Camera(host, port, site, login, tag)
            # paho says when a session has bytes to send; only then does the loop wait for its socket to take them.
            camera.client.on_socket_register_write = self._interest(camera, selectors.EVENT_READ | selectors.EVENT_WRITE)
            camera.client.on_socket_unregister_write = self._interest(camera, selectors.EVENT_READ)
            sock = camera.client.socket()
            assert sock is not None, "paho returned from connect without a socket"
            self.selector.register(sock, selectors.EVENT_READ, camera)
            self.cameras.append(camera)
        self._flush: deque[Flushed] = deque()

    def _interest(self, camera: Camera, events: int) -> Callable[[Any, Any, Any], None]:
        def change(_client: Any, _userdata: Any, sock: Any) -> None:
            self._watch(camera, sock, events)
        return change

    def _watch(self, camera: Camera, sock: Any, events: int) -> None:
        """Wait for ``events`` on ``sock``; a reconnect's new socket is added, in place of the closed one that had its fd.

        paho asks for write interest while it reconnects, before the loop has seen the new socket.
        """
        key = self.selector.get_map().get(sock.fileno())
        if key is not None and key.fileobj is sock:
            self.selector.modify(sock, events, camera)
            return
        if key is not None:
            self.selector.unregister(key.fileobj)
        self.selector.register(sock, events, camera)

    def _forget(self, sock: Any) -> None:
        """Stop waiting on ``sock``, if the loop waits on it."""
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):  # never added, or already replaced by a reconnect's socket
            pass

    def _pump(self, timeout_s: float) -> None:
        for key, mask in self.selector.select(timeout_s):
            camera: Camera = key.data
            if mask & selectors.EVENT_READ:
                camera.client.loop_read()
            if mask & selectors.EVENT_WRITE:
                camera.client.loop_write()

    def connect(self, timeout_s: float = 120.0) -> EmulatedCameras:
        """Wait until the broker has accepted every camera's session."""
        deadline = time.monotonic() + timeout_s
        while not all(c.connected for c in self.cameras):
            if time.monotonic() > deadline:
                missing = [c.login.camera for c in self.cameras if not c.connected]
                raise TimeoutError(f"{len(missing)} cameras not connected after {timeout_s:.0f} s: {missing[:5]}")
            self._pump(0.05)
        return self

    def queue_flush(self, events: Iterator[Flushed]) -> None:
        """Events a spool flush sends, as fast as the sessions take them, between the live events."""
        self._flush.extend(events)

    def run(self, seconds: float, on_second: Callable[[int], None] | None = None, flush_per_tick: int = 400) -> None:
        """Publish for ``seconds``: each camera one event a second (health every 10 s), plus any queued flush."""
        count = len(self.cameras)
        start = time.monotonic()
        published = 0  # live slots done: slot k is camera k % count in second k // count
        last_misc = start
        while (now := time.monotonic()) < start + seconds:
            due = int((now - start) * count)
            while published < due:
                second, index = divmod(published, count)
                camera = self.cameras[index]
                camera.publish_live(_EACH_SECOND[second % len(_EACH_SECOND)], second)
                if (second + index) % HEALTH_EVERY_S == 0:
                    camera.publish_live("node_health", second)
                if index == count - 1 and on_second is not None:
                    on_second(second)
                published += 1
            for _ in range(min(flush_per_tick, len(self._flush))):
                camera, kind, payload = self._flush.popleft()
                camera.send(kind, payload)
            if now - last_misc >= 1.0:
                self._keepalive()
                last_misc = now
            self._pump(0.005)

    def _keepalive(self) -> None:
        """Pings and QoS 1 retries for every session (paho's ``loop_misc``); a dropped session is opened again."""
        for camera in self.cameras:
            if camera.connected:
                camera.client.loop_misc()
                continue
            if time.monotonic() < camera.retry_at:
                continue  # a reconnect is under way: its CONNACK has not come yet
            camera.retry_at = time.monotonic() + 10
            old = camera.client.socket()
            if old is not None:
                self._forget(old)
            try:
                camera.client.reconnect()  # the broker keeps the session: unacknowledged messages are sent again
            except OSError as exc:
                log.warning("camera %s cannot reconnect: %s", camera.login.camera, exc)
                continue
            sock = camera.client.socket()
            key = self.selector.get_map().get(sock.fileno()) if sock is not None else None
            if sock is not None and (key is None or key.fileobj is not sock):  # not added while it reconnected
                self._watch(camera, sock, selectors.EVENT_READ)

    def drain(self, timeout_s: float) -> bool:
        """Keep the sessions going until the broker has acknowledged everything sent; returns whether it did."""
        deadline = time.monotonic() + timeout_s
        last_misc = time.monotonic()
        while (self.unacked or self._flush) and (now := time.monotonic()) < deadline:
            for _ in range(min(2000, len(self._flush))):
                camera, kind, payload = self._flush.popleft()
                camera.send(kind, payload)
            if now - last_misc >= 1.0:
                self._keepalive()
                last_misc = now
            self._pump(0.01)
        return not self.unacked and not self._flush

    @property
    def sent(self) -> int:
        return sum(c.sent for c in self.cameras)

    @property
    def pending(self) -> int:
        """Spooled events queued for a flush and not yet handed to a session."""
        return len(self._flush)

    @property
    def unacked(self) -> int:
        return sum(c.sent - c.acked for c in self.cameras)

    @property
    def disconnected(self) -> int:
        return sum(not c.connected for c in self.cameras)

    def close(self) -> None:
        for camera in self.cameras:
            camera.client.on_socket_register_write = camera.client.on_socket_unregister_write = None
            camera.client.on_disconnect = None
            sock = camera.client.socket()
            if sock is not None:
                self._forget(sock)
            camera.client.disconnect()  # with no loop of its own, paho sends DISCONNECT at once
        self.selector.close()
