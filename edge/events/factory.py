"""Stamp events with the node's identity and a gap-free sequence number."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from contract.ids import event_id
from contract.model import Count, Dwell, Event, LineCrossing, NodeHealth, Snapshot, ZoneOccupancy

_TYPES: dict[str, type[Any]] = {
    cls.model_fields["type"].default: cls for cls in (LineCrossing, ZoneOccupancy, Dwell, Count, NodeHealth, Snapshot)
}


class EventFactory:
    """Makes the events of one node run, numbered by ``sequence`` (default: 0, 1, 2, ...).

    Example:
        >>> from datetime import datetime, timezone
        >>> f = EventFactory(site="campus", camera="cam-1", node="campus-cam-1")
        >>> ts = datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> f.make("zone_occupancy", ts, {"zone": "plaza", "total": 0, "by_class": {}}).event_id
        'campus-cam-1:0'
    """

    def __init__(self, site: str, camera: str, node: str, sequence: Callable[[], int] | None = None) -> None:
        self.site = site
        self.camera = camera
        self.node = node
        self._sequence = sequence or itertools.count().__next__
        self.made = 0

    def make(self, kind: str, ts: datetime, body: dict[str, Any]) -> Event:
        """A validated event of type ``kind``; raises ``KeyError`` for an unknown type."""
        cls = _TYPES[kind]
        seq = self._sequence()
        event: Event = cls(
            event_id=event_id(self.node, seq),
            site=self.site,
            camera=self.camera,
            node=self.node,
            seq=seq,
            ts=ts,
            body=body,
        )
        self.made += 1
        return event
