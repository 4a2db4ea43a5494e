"""Origin-destination (turn) counts between the lines and zones of one camera.

A track's gates are the lines it crossed (with the direction) and the zones
it entered, in order. When the track has not been seen for ``forget_after``
frames its trip ends: the first gate is its origin, the last its
destination, and a trip through a single gate is no turn. Only the pair and
the class are kept, never the path, so what leaves the node is an aggregate.

Example:
    >>> from edge.analytics.lines import Crossing
    >>> person = Tracks([[0, 0, 10, 20]], [0.9], [0], [3])
    >>> turns = TurnCounter(forget_after=5)
    >>> turns.update({"north": [Crossing(3, 0, "in", 0)]}, {}, person, 0)
    []
    >>> turns.update({"east": [Crossing(3, 0, "out", 9)]}, {}, person, 9)
    []
    >>> turns.update({}, {}, Tracks.empty(), 20)
    [Trip(origin=Gate(kind='line', id='north', direction='in'), destination=Gate(kind='line', id='east', direction='out'), class_id=0)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from edge.analytics.lines import Crossing, Direction
from edge.analytics.zones import ZoneFrame
from edge.types import Tracks


@dataclass(frozen=True)
class Gate:
    """A line crossed in one direction, or a zone entered."""

    kind: Literal["line", "zone"]
    id: str
    direction: Direction | None = None


@dataclass(frozen=True)
class Trip:
    """Where a track came in and where it went out."""

    origin: Gate
    destination: Gate
    class_id: int


@dataclass
class _Path:
    class_id: int
    origin: Gate
    last: Gate
    last_seen: int


class TurnCounter:
    """Keeps each live track's first and latest gate; state is bounded by the live tracks."""

    def __init__(self, forget_after: int = 90) -> None:
        if forget_after < 1:
            raise ValueError(f"forget_after must be >= 1 frame, got {forget_after}")
        self.forget_after = forget_after
        # Ordered by last_seen: re-inserted on every sighting, so the ended trips pop from the front.
        self._paths: dict[int, _Path] = {}

    def __len__(self) -> int:
        return len(self._paths)

    def update(
        self, crossings: Mapping[str, Sequence[Crossing]], zones: Mapping[str, ZoneFrame], tracks: Tracks, frame: int
    ) -> list[Trip]:
        """Add one frame's crossings, zone entries and tracks; returns the trips that ended."""
        classes = dict(zip(tracks.track_id.tolist(), tracks.class_id.tolist()))
        gates = [(c.track_id, Gate("line", line, c.direction)) for line, items in crossings.items() for c in items]
        gates += [(tid, Gate("zone", zone_id)) for zone_id, zone in zones.items() for tid in zone.entered]
        for tid, gate in gates:
            known = self._paths.pop(tid, None)
            path = known if known is not None else _Path(classes.get(tid, 0), gate, gate, frame)
            path.last = gate
            self._paths[tid] = path
        for tid in classes:
            seen = self._paths.pop(tid, None)
            if seen is not None:
                seen.last_seen = frame
                self._paths[tid] = seen
        return self._ended(frame)

    def flush(self) -> list[Trip]:
        """End every trip (end of stream)."""
        return self._ended(None)

    def _ended(self, frame: int | None) -> list[Trip]:
        trips: list[Trip] = []
        while self._paths:
            tid = next(iter(self._paths))
            path = self._paths[tid]
            if frame is not None and path.last_seen >= frame - self.forget_after:
                break
            del self._paths[tid]
            if path.last != path.origin:
                trips.append(Trip(path.origin, path.last, path.class_id))
        return trips
