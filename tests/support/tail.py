"""One event from an edge publisher to the twin's live tail, through a bridge the test started, whatever secures each hop."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from cloud.twin.tail import KafkaTail
from contract.topics import PREFIX, event_topic
from edge.events.factory import EventFactory
from edge.publish.mqtt import MqttPublisher


def tail_once_created(follow: Callable[[], KafkaTail], topic: str, log: Path, timeout_s: float = 60) -> KafkaTail:
    """The bridge creates its topics as it starts; ``follow()`` the events topic once it exists."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return follow().start()
        except RuntimeError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bridge did not create {topic}; see {log}") from None
            time.sleep(0.5)


def through(edge: MqttPublisher, tail: KafkaTail, node: str, prefix: str = PREFIX, timeout_s: float = 30) -> int:
    """Publish one event of ``node`` (``site-camera``) under ``prefix``; the events the tail holds once it arrived.

    Stops both the publisher and the tail.
    """
    site, camera = node.split("-", 1)
    try:
        edge.start()
        event = EventFactory(site, camera, node).make(
            "zone_occupancy", datetime.now(timezone.utc), {"zone": "z", "total": 2, "by_class": {"person": 2}})
        edge.publish(event_topic(event).replace(PREFIX, prefix, 1), event.to_json())
        deadline = time.monotonic() + timeout_s
        while len(tail.buffer) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        edge.stop(drain_timeout=2)
        tail.stop()
    return len(tail.buffer)
