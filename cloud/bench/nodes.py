"""Simulated edge nodes: valid synthetic events over MQTT, QoS 1, for the ingest tests and benchmark.

Each node is one MQTT client with its own client id, publishing the mix of
event types a real camera produces, stamped with the current time as ``ts``,
so ``ts`` is also the publish time for latency measurements. Messages
published while the broker is away are queued by the client and sent once it
reconnects; ``wait_acked`` tells when the broker has acknowledged them all.

Example (needs a broker)::

    nodes = SimulatedNodes("127.0.0.1", 1883, site="bench", count=20).start()
    ids = nodes.publish(10_000)
    nodes.wait_acked(60)
    nodes.stop()
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import datetime, timezone
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract.topics import PREFIX
from edge.events.factory import EventFactory

# One of each body in this proportion: mostly crossings, as on a busy path.
_MIX = ("line_crossing",) * 6 + ("zone_occupancy", "zone_occupancy", "dwell", "count", "node_health")


def _body(kind: str, n: int, ts: datetime) -> dict[str, Any]:
    if kind == "line_crossing":
        return {"line": "gate", "direction": "in" if n % 2 else "out", "object_class": "person", "track_id": n}
    if kind == "zone_occupancy":
        return {"zone": "plaza", "total": n % 7, "by_class": {"person": n % 7}}
    if kind == "dwell":
        return {"zone": "plaza", "object_class": "person", "track_id": n, "entered": ts, "seconds": 3.5}
    if kind == "count":
        return {
            "interval_start": ts,
            "interval_s": 60.0,
            "by_class": {"person": n % 11, "car": n % 3},
            "lines": [{"line": "gate", "inbound": {"person": 2}, "outbound": {"person": 1}}],
        }
    return {
        "fps": 10.0, "stage_ms": {"detect": 40.0, "track": 1.5}, "frames": n, "dropped_frames": 0,
        "cpu_percent": 80.0, "rss_mb": 300.0, "uptime_s": float(n),
    }


def camera_ids(count: int) -> list[str]:
    """The cameras of ``count`` simulated nodes, as a deployment file must list them."""
    return [f"cam-{index:02d}" for index in range(count)]


class _Node:
    def __init__(self, host: str, port: int, prefix: str, site: str, camera: str, client_prefix: str) -> None:
        self.factory = EventFactory(site=site, camera=camera, node=f"{site}-{camera}")
        self.topic = f"{prefix}/{site}/{camera}/events/"
        self.acked = 0
        self.published = 0
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{client_prefix}-{site}-{camera}", clean_session=False)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = lambda *_a: self.connected.set()
        self.client.on_disconnect = lambda *_a: self.connected.clear()
        self.client.on_publish = self._on_publish
        self.client.connect_async(host, port, keepalive=10)

    def _on_publish(self, *_args: Any) -> None:
        self.acked += 1

    def publish(self, kind: str) -> str:
        ts = datetime.now(timezone.utc)
        event = self.factory.make(kind, ts, _body(kind, self.published, ts))
        self.client.publish(self.topic + kind, event.to_json(), qos=1)
        self.published += 1
        return event.event_id


class SimulatedNodes:
    """``count`` edge nodes of one site publishing synthetic events."""

    def __init__(
        self, host: str, port: int, site: str = "bench", count: int = 20, prefix: str = PREFIX, client_prefix: str = "sim"
    ) -> None:
        self.nodes = [_Node(host, port, prefix, site, camera, client_prefix) for camera in camera_ids(count)]
        self._kinds = itertools.cycle(_MIX)

    def start(self, timeout_s: float = 10.0) -> SimulatedNodes:
        """Start every client and wait until all are connected."""
        for node in self.nodes:
            node.client.loop_start()
        deadline = time.monotonic() + timeout_s
        for node in self.nodes:
            if not node.connected.wait(max(deadline - time.monotonic(), 0.01)):
                raise TimeoutError(f"simulated node {node.factory.node} could not connect within {timeout_s}s")
        return self

    def publish(self, total: int, rate_per_s: float | None = None) -> list[str]:
        """Publish ``total`` events round-robin over the nodes, at most ``rate_per_s``; returns their ids."""
        ids = []
        started = time.monotonic()
        for n in range(total):
            ids.append(self.nodes[n % len(self.nodes)].publish(next(self._kinds)))
            if rate_per_s and n % 100 == 99:
                ahead = started + (n + 1) / rate_per_s - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        return ids

    @property
    def unacked(self) -> int:
        return sum(node.published - node.acked for node in self.nodes)

    def wait_acked(self, timeout_s: float) -> bool:
        """Wait until the broker has acknowledged everything published; returns whether it did."""
        deadline = time.monotonic() + timeout_s
        while self.unacked > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.unacked == 0

    def stop(self) -> None:
        for node in self.nodes:
            node.client.disconnect()
            node.client.loop_stop()
