"""Count events into a twin, through the contract: every body is validated as a node's would be."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloud.twin.twin import Twin
from edge.events.factory import EventFactory


def deliver(twin: Twin, camera: str, seq: int, ts: datetime, body: dict[str, Any], site: str = "city") -> None:
    """Count event ``seq`` of node ``{site}-{camera}`` on the twin's live tail, validated by the contract."""
    twin.tail.add(EventFactory(site, camera, f"{site}-{camera}", sequence=lambda: seq).make("count", ts, body))
