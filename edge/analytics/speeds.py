"""Ground speeds in km/h at the counting lines, from the camera's calibration; only their aggregates leave the node.

An object's speed at a crossing is the ground distance its box's bottom
centre (where it touches the ground, whatever ``edge.anchor`` says) moved
over the last ``window_s`` seconds of stream time, through the calibration's
image-to-ground homography (``contract.geo.GroundFit``), divided by the time
taken. An object seen for less than half the window has no speed yet, and a
track with a step between two frames faster than ``MAX_SPEED_KMH`` is a
tracking glitch (an id switch, a box jumping to another object): neither is
a sample. ``SpeedTally`` keeps, per
line, direction and class, the exact count and mean of an interval's samples
and a bounded, deterministic reservoir of them for the 85th percentile. A
camera without a calibration has no ``SpeedMeter`` and reports no speeds.

Example:
    >>> from contract.geo import fit_homography
    >>> from edge.analytics.lines import Crossing
    >>> fit = fit_homography([(0, 0), (100, 0), (100, 100), (0, 100)],  # 100 px square = about 11.1 m square
    ...                      [(13.4, 52.5001), (13.4001634, 52.5001), (13.4001634, 52.5), (13.4, 52.5)])
    >>> meter = SpeedMeter(fit, window_s=1.0)
    >>> walker = lambda t: Tracks([[10 + 12 * t - 5, 20, 10 + 12 * t + 5, 50]], [0.9], [0], [1])  # 12 px/s = 1.33 m/s
    >>> for t in (0.0, 0.5, 1.0):
    ...     samples = meter.update(walker(t), {"gate": [Crossing(1, 0, "in", 2)] if t == 1.0 else []}, t)
    >>> [(s.line, s.direction, s.class_id, round(s.kmh, 1)) for s in samples]
    [('gate', 'in', 0, 4.8)]
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from contract.geo import CalibrationError, GroundFit
from contract.ids import MAX_SPEED_KMH
from edge.analytics.geometry import anchor_points
from edge.analytics.history import TrackHistory
from edge.analytics.lines import Crossing, Direction
from edge.types import Tracks

RESERVOIR = 4096  # samples kept per line, direction and class for the percentile; the mean counts every one


@dataclass(frozen=True)
class SpeedSample:
    """One crossing's ground speed; it never leaves the node on its own."""

    line: str
    direction: Direction
    class_id: int
    kmh: float


@dataclass
class SpeedTally:
    """The speeds of one line, direction and class in an interval: exact count and mean, a reservoir for the p85."""

    samples: int = 0
    total_kmh: float = 0.0
    kept: list[float] = field(default_factory=list)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))  # seeded: a replay reports the same

    def add(self, kmh: float) -> None:
        self.samples += 1
        self.total_kmh += kmh
        if len(self.kept) < RESERVOIR:
            self.kept.append(kmh)
        else:  # reservoir sampling: every sample so far has the same chance to be kept
            slot = self._rng.randrange(self.samples)
            if slot < RESERVOIR:
                self.kept[slot] = kmh

    def summary(self) -> tuple[int, float, float]:
        """Samples, mean and 85th percentile (linear interpolation) in km/h."""
        return self.samples, self.total_kmh / self.samples, float(np.percentile(self.kept, 85))


class SpeedMeter:
    """Ground speed of each track that crosses a line on a frame; state is bounded by the live tracks."""

    def __init__(self, ground: GroundFit, window_s: float = 1.0) -> None:
        self.ground = ground
        self.window_s = window_s
        self._history = TrackHistory(window_s)

    def __len__(self) -> int:
        return len(self._history)

    def update(self, tracks: Tracks, crossings: Mapping[str, Sequence[Crossing]], timestamp: float) -> list[SpeedSample]:
        """The speed samples of this frame's crossings, by line; crossings without a reliable speed give none."""
        self._history.update(tracks.track_id.tolist(), anchor_points(tracks.xyxy, "bottom_center").tolist(), timestamp)
        samples: list[SpeedSample] = []
        for line, items in crossings.items():
            for crossing in items:
                kmh = self.kmh(crossing.track_id)
                if kmh is not None:
                    samples.append(SpeedSample(line, crossing.direction, crossing.class_id, kmh))
        return samples

    def kmh(self, track_id: int) -> float | None:
        """The track's ground speed over the window, or None: too short a history, off the ground, or implausible."""
        points = self._history.points(track_id)
        if not points or points[-1][0] - points[0][0] < self.window_s / 2:
            return None
        try:
            ground = self.ground.image_to_metres([(x, y) for _, x, y in points])
        except CalibrationError:  # a point at or above the horizon has no ground position
            return None
        times = [t for t, _, _ in points]
        steps = zip(times, ground, times[1:], ground[1:])
        if any(math.dist(a, b) * 3.6 > MAX_SPEED_KMH * (t1 - t0) for t0, a, t1, b in steps):
            return None  # one jump faster than anything on the ground: the track took over another object's box
        return math.dist(ground[0], ground[-1]) / (times[-1] - times[0]) * 3.6
