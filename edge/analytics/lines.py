"""Directional counting lines with a hysteresis band and a per-track cooldown.

Direction convention (image pixels, y down): looking from A towards B on the
image, ``in`` is a move from the left side to the right side, ``out`` the
reverse. For a line drawn left to right (A west of B), ``in`` is downwards on
the image; swap A and B to swap the directions.

Example:
    >>> import numpy as np
    >>> from edge.types import Tracks
    >>> line = LineCounter([(0, 100), (200, 100)], min_distance=2)
    >>> def person(y):  # a 20 x 40 box whose bottom-centre is at (100, y)
    ...     return Tracks([[90, y - 40, 110, y]], [0.9], [0], [7])
    >>> line.trigger(person(90), 0), line.trigger(person(110), 1)[0].direction
    ([], 'in')
    >>> line.in_counts, line.out_counts
    ({0: 1}, {})
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from edge.analytics.geometry import Anchor, anchor_points, crossing_parameter, signed_distance, validate_line
from edge.types import Tracks

log = logging.getLogger(__name__)

Direction = Literal["in", "out"]


@dataclass(frozen=True)
class Crossing:
    """One counted crossing of a line by a track."""

    track_id: int
    class_id: int
    direction: Direction
    frame_index: int


@dataclass
class _TrackState:
    side: int  # -1 left of A->B, +1 right, 0 not yet seen clearly outside the band
    x: float  # last anchor seen clearly on ``side``
    y: float
    last_seen: int
    counted_side: int = 0  # the side the last counted crossing went to; 0 before one, or after going round an end
    counted_at: int | None = None  # frame of the last counted crossing
    held: bool = False  # crossed back within the cooldown: counts only if still there once it has passed


class LineCounter:
    """Counts tracks whose anchor crosses a segment, per direction and class.

    A crossing counts when the anchor goes from more than ``min_distance`` px
    on one side of the line to more than ``min_distance`` px on the other,
    and the move between those two observations passes through the segment
    A-B (not its extension). Moves within the band never count, so jitter
    around the line does not. A track counts at most once per ``cooldown``
    frames: a crossing back within it is held, and dropped if the track
    returns (a box flickering across the line counts once), or counted once
    the cooldown has passed if the track is still on that side (it did walk
    back), so the count always ends on the side the track is on. Per-track state is dropped once a track has not been
    seen for ``forget_after`` frames, which bounds memory; keep it above the
    tracker's ``max_age`` so that a track coming back keeps its side.
    """

    def __init__(
        self,
        points: Sequence[Sequence[float]] | NDArray[Any],
        *,
        anchor: Anchor = "bottom_center",
        min_distance: float = 4.0,
        cooldown: int = 25,
        forget_after: int = 90,
    ) -> None:
        if min_distance < 0:
            raise ValueError(f"min_distance must be >= 0 px, got {min_distance}")
        if cooldown < 0 or forget_after < 1:
            raise ValueError(f"expected cooldown >= 0 and forget_after >= 1 frames, got {cooldown} and {forget_after}")
        self.line = validate_line(points)
        self.anchor: Anchor = anchor
        self.min_distance = float(min_distance)
        self.cooldown = cooldown
        self.forget_after = forget_after
        # Ordered by last_seen: re-inserted on every sighting, so eviction pops from the front.
        self._tracks: dict[int, _TrackState] = {}
        self._counts: dict[Direction, dict[int, int]] = {"in": {}, "out": {}}
        self._frame: int | None = None

    @property
    def in_counts(self) -> dict[int, int]:
        """Crossings in the ``in`` direction so far, per class id."""
        return dict(self._counts["in"])

    @property
    def out_counts(self) -> dict[int, int]:
        """Crossings in the ``out`` direction so far, per class id."""
        return dict(self._counts["out"])

    @property
    def in_total(self) -> int:
        return sum(self._counts["in"].values())

    @property
    def out_total(self) -> int:
        return sum(self._counts["out"].values())

    def __len__(self) -> int:
        """Tracks whose side is remembered."""
        return len(self._tracks)

    def trigger(self, tracks: Tracks, frame_index: int) -> list[Crossing]:
        """Update with the tracks of one frame; returns the crossings counted on it."""
        if self._frame is not None and frame_index < self._frame:
            raise ValueError(f"frame_index must not decrease: got {frame_index} after {self._frame}")
        self._frame = frame_index
        crossings: list[Crossing] = []
        if len(tracks):
            anchors = anchor_points(tracks.xyxy, self.anchor)
            dist = signed_distance(anchors, self.line)
            sides = np.where(dist > self.min_distance, 1, np.where(dist < -self.min_distance, -1, 0))
            rows = zip(tracks.track_id.tolist(), tracks.class_id.tolist(), sides.tolist(), anchors.tolist())
            for tid, cid, side, (x, y) in rows:
                crossing = self._observe(tid, cid, side, x, y, frame_index)
                if crossing is not None:
                    crossings.append(crossing)
        self._evict(frame_index)
        return crossings

    def _observe(self, tid: int, cid: int, side: int, x: float, y: float, frame: int) -> Crossing | None:
        state = self._tracks.pop(tid, None)
        if state is None:
            self._tracks[tid] = _TrackState(side, x, y, frame)
            return None
        self._tracks[tid] = state
        state.last_seen = frame
        if side == 0:  # inside the band: neither side confirmed
            return None
        switched = state.side == -side
        crossed = switched and self._through_segment(state.x, state.y, x, y)
        state.side, state.x, state.y = side, x, y
        if switched and not crossed:
            # Round an end of the segment: no crossing, and none held or to compare with.
            state.counted_side, state.held = 0, False
            return None
        if side == state.counted_side:
            state.held = False  # back on the counted side: what was held was flicker
            return None
        if not (crossed or state.held):
            return None
        if state.counted_at is not None and frame - state.counted_at < self.cooldown:
            log.debug("track %d crossed back within %d frames; held", tid, self.cooldown)
            state.held = True
            return None
        state.counted_side, state.counted_at, state.held = side, frame, False
        direction: Direction = "in" if side > 0 else "out"
        self._counts[direction][cid] = self._counts[direction].get(cid, 0) + 1
        return Crossing(tid, cid, direction, frame)

    def _through_segment(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        t = crossing_parameter(np.array([[x0, y0]]), np.array([[x1, y1]]), self.line)
        return bool(0.0 <= t[0] <= 1.0)

    def _evict(self, frame: int) -> None:
        horizon = frame - self.forget_after
        while self._tracks:
            tid = next(iter(self._tracks))
            if self._tracks[tid].last_seen >= horizon:
                break
            del self._tracks[tid]
