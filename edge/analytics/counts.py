"""Per-interval counts of stream time: distinct tracks per class and line totals.

Intervals lie on a fixed grid of ``interval_s`` seconds (aligned to multiples
of ``interval_s`` by default, so that 60 s intervals start on the minute). An
interval is reported once a frame from a later interval arrives, or on
``flush()``; intervals in which no frame arrived at all (the stream was
down) are not reported, since nothing was observed in them.

Example:
    >>> from edge.types import Tracks
    >>> counter = IntervalCounter(60.0)
    >>> person = Tracks([[0, 0, 10, 20]], [0.9], [0], [1])
    >>> counter.update(person, 0.0) is None, counter.update(person, 30.0) is None
    (True, True)
    >>> done = counter.update(Tracks.empty(), 61.0)
    >>> done.start, done.by_class
    (0.0, {0: 1})
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from contract.ids import MAX_HEATMAP_CELLS
from edge.analytics.heatmap import Cell
from edge.analytics.lines import Crossing, Direction
from edge.analytics.speeds import SpeedSample, SpeedTally
from edge.analytics.turns import Gate, Trip
from edge.types import Tracks


@dataclass(frozen=True)
class LineTally:
    """Crossings of one line in an interval, per class id and direction."""

    inbound: dict[int, int] = field(default_factory=dict)
    outbound: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IntervalCount:
    """The counts of one closed interval ``[start, start + length_s)`` of stream time."""

    start: float
    length_s: float
    by_class: dict[int, int]  # distinct confirmed track ids seen, per class id
    lines: dict[str, LineTally]
    frames: int  # frames that fell in the interval
    turns: dict[tuple[Gate, Gate, int], int] = field(default_factory=dict)  # (origin, destination, class id) -> trips ended
    queues: dict[str, tuple[float, int]] = field(default_factory=dict)  # zone -> (mean, peak) of slow objects per frame
    speeds: dict[tuple[str, Direction, int], tuple[int, float, float]] = field(default_factory=dict)
    # (line, direction, class id) -> (samples, mean, p85) in km/h
    heatmap: dict[Cell, int] = field(default_factory=dict)  # ground cell -> distinct tracks seen in it

    @property
    def end(self) -> float:
        return self.start + self.length_s


class IntervalCounter:
    """Accumulates one interval at a time; memory is bounded by the tracks of one interval.

    A track seen in two intervals counts in both: each interval answers
    "how many objects were there", not "how many arrived".
    """

    def __init__(self, interval_s: float = 60.0, *, align: bool = True, line_ids: Sequence[str] = ()) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0 seconds, got {interval_s}")
        self.interval_s = float(interval_s)
        self.align = align
        self.line_ids = tuple(line_ids)
        self._start: float | None = None
        self._origin = 0.0
        self._time: float | None = None
        self._reset()

    def _reset(self) -> None:
        self._seen: dict[int, int] = {}  # track id -> class id
        self._lines: dict[str, LineTally] = {line: LineTally() for line in self.line_ids}
        self._turns: dict[tuple[Gate, Gate, int], int] = {}
        self._queues: dict[str, list[int]] = {}  # zone -> [sum, peak] of slow objects over the interval's frames
        self._speeds: dict[tuple[str, Direction, int], SpeedTally] = {}
        self._cells: dict[Cell, set[int]] = {}  # at most MAX_HEATMAP_CELLS, the first ones seen
        self._frames = 0

    def update(
        self,
        tracks: Tracks,
        timestamp: float,
        crossings: Mapping[str, Sequence[Crossing]] | None = None,
        trips: Sequence[Trip] = (),
        queues: Mapping[str, int] | None = None,
        speeds: Sequence[SpeedSample] = (),
        cells: Mapping[Cell, Sequence[int]] | None = None,
    ) -> IntervalCount | None:
        """Add one frame (its crossings by line id, the trips that ended, slow objects, speeds, cells); returns an interval it closed."""
        if self._time is not None and timestamp < self._time:
            raise ValueError(f"timestamp must not decrease: got {timestamp} after {self._time}")
        self._time = timestamp
        closed = None
        if self._start is None:
            self._origin = math.floor(timestamp / self.interval_s) * self.interval_s if self.align else timestamp
            self._start = self._slot(timestamp)
        elif timestamp >= self._start + self.interval_s:
            closed = self._close(self._start)
            self._start = self._slot(timestamp)
        self._frames += 1
        for tid, cid in zip(tracks.track_id.tolist(), tracks.class_id.tolist()):
            self._seen.setdefault(tid, cid)
        for line, items in (crossings or {}).items():
            tally = self._lines.setdefault(line, LineTally())
            for c in items:
                per_class = tally.inbound if c.direction == "in" else tally.outbound
                per_class[c.class_id] = per_class.get(c.class_id, 0) + 1
        self.add_trips(trips)
        for zone, slow in (queues or {}).items():
            queue = self._queues.setdefault(zone, [0, 0])
            queue[0], queue[1] = queue[0] + slow, max(queue[1], slow)
        for sample in speeds:
            self._speeds.setdefault((sample.line, sample.direction, sample.class_id), SpeedTally()).add(sample.kmh)
        for cell, track_ids in (cells or {}).items():
            if cell in self._cells or len(self._cells) < MAX_HEATMAP_CELLS:
                self._cells.setdefault(cell, set()).update(track_ids)
        return closed

    def add_trips(self, trips: Sequence[Trip]) -> None:
        """Count trips that ended in the open interval."""
        for trip in trips:
            key = (trip.origin, trip.destination, trip.class_id)
            self._turns[key] = self._turns.get(key, 0) + 1

    def flush(self) -> IntervalCount | None:
        """Close the open interval early (end of stream); ``None`` if no frame arrived since the last."""
        if self._start is None or not self._frames:
            return None
        closed = self._close(self._start)
        self._start = None
        return closed

    def _slot(self, timestamp: float) -> float:
        """Start of the grid interval holding ``timestamp``."""
        return self._origin + math.floor((timestamp - self._origin) / self.interval_s) * self.interval_s

    def _close(self, start: float) -> IntervalCount:
        by_class: dict[int, int] = {}
        for cid in self._seen.values():
            by_class[cid] = by_class.get(cid, 0) + 1
        queues = {zone: (total / self._frames, peak) for zone, (total, peak) in self._queues.items()}
        speeds = {key: tally.summary() for key, tally in sorted(self._speeds.items())}
        heatmap = {cell: len(tracks) for cell, tracks in sorted(self._cells.items())}
        result = IntervalCount(
            start, self.interval_s, dict(sorted(by_class.items())), self._lines, self._frames, self._turns, queues,
            speeds, heatmap,
        )
        self._reset()
        return result
