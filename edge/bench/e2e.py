"""End-to-end latency: from frame capture until the frame's events are visible downstream.

The benchmark's edge node runs paced like a camera, publishing through the
real ``MqttPublisher`` and broker. An ``Endpoint`` reports when each event id
became visible: today an MQTT subscriber on the node's topics; an endpoint for
the twin (an event queryable in DuckDB) implements the same three methods.
Both ends use the wall clock of this host.
"""

from __future__ import annotations

import abc
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract.topics import PREFIX
from edge.bench.measure import Point
from edge.bench.models import save_resized
from edge.bench.node import bench_node, open_publisher, open_source, source_facts
from edge.runtime.node import FrameDone
from edge.runtime.stats import StageTimer
from hardware.result import EndToEnd, Latency

log = logging.getLogger(__name__)


class Endpoint(abc.ABC):
    """Where an event counts as visible, and when each one became so."""

    name: Literal["mqtt", "kafka", "twin"]
    description: str

    @abc.abstractmethod
    def start(self) -> None:
        """Begin watching; returns once ready to see the first event."""

    @abc.abstractmethod
    def seen(self) -> dict[str, float]:
        """Event id -> wall-clock time (epoch seconds) it became visible."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop watching."""


class MqttEndpoint(Endpoint):
    """An MQTT subscriber on the site's event topics: visible = delivered by the broker."""

    name: Literal["mqtt", "kafka", "twin"] = "mqtt"

    def __init__(self, host: str, port: int, site: str) -> None:
        self.topic = f"{PREFIX}/{site}/+/events/#"
        self.description = f"frame capture -> MqttPublisher (spool, QoS 1) -> Mosquitto {host}:{port} -> subscriber on {self.topic}"
        self.host, self.port = host, port
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, clean_session=True)
        self.client.on_connect = lambda client, *_a: client.subscribe(self.topic, qos=1)
        self.client.on_subscribe = lambda *_a: self._ready.set()
        self.client.on_message = self._on_message

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        arrived = time.time()
        try:
            event_id = str(json.loads(message.payload)["event_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a message on %s that is not an event", message.topic)
            return
        with self._lock:
            self._seen.setdefault(event_id, arrived)

    def start(self) -> None:
        self.client.connect(self.host, self.port, keepalive=10)
        self.client.loop_start()
        if not self._ready.wait(10):
            self.stop()
            raise TimeoutError(f"MQTT broker {self.host}:{self.port} did not confirm the subscription to {self.topic}")

    def seen(self) -> dict[str, float]:
        with self._lock:
            return dict(self._seen)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _wait_for(endpoint: Endpoint, wanted: set[str], timeout_s: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout_s
    while True:
        seen = endpoint.seen()
        if wanted <= seen.keys() or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def measure_end_to_end(
    point: Point,
    video: Path,
    frames: int,
    broker: tuple[str, int],
    site: str,
    scratch: Path,
    endpoint: Endpoint | None = None,
    realtime: bool = True,
    timeout_s: float = 20.0,
) -> EndToEnd | None:
    """Run ``frames`` frames through the path to ``endpoint``; None when no event was published."""
    endpoint = endpoint or MqttEndpoint(broker[0], broker[1], site)
    endpoint.start()
    publisher = open_publisher(site, scratch / "e2e-spool", broker)
    detector = point.model.detector(save_resized(point.model, point.size, scratch), point.threads, point.provider)
    # A real-time source releases each frame at its time, as a camera would: that is its capture.
    source = open_source(video, realtime=realtime)
    captured: dict[str, float] = {}

    def capture(done: FrameDone) -> None:
        captured.update((event.event_id, done.decoded_at) for event in done.events)

    try:
        bench_node(source, detector, publisher, site, source_facts(video), StageTimer()).run(frames, on_frame=capture)
        seen = _wait_for(endpoint, set(captured), timeout_s)
    finally:
        source.close()
        detector.close()
        publisher.stop(drain_timeout=5.0)
        endpoint.stop()
    if not captured:
        return None
    delays = [(seen[e] - t) * 1000.0 for e, t in captured.items() if e in seen]
    log.info("end to end: %d of %d events seen at the %s endpoint", len(delays), len(captured), endpoint.name)
    return EndToEnd(
        endpoint=endpoint.name,
        description=endpoint.description,
        config=point.config,
        realtime=realtime,
        frames=frames,
        events_published=len(captured),
        events_seen=len(delays),
        latency=Latency.of(delays),
    )
