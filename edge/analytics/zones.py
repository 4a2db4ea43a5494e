"""Polygon zones: who is inside, occupancy per class, entries, exits and dwell times.

Example:
    >>> from edge.types import Tracks
    >>> zone = PolygonZone([(0, 0), (100, 0), (100, 100), (0, 100)])
    >>> def at(x):  # one person whose bottom-centre is at (x, 50)
    ...     return Tracks([[x - 5, 30, x + 5, 50]], [0.9], [0], [4])
    >>> zone.update(at(50), 0, timestamp=10.0).entered
    (4,)
    >>> zone.occupants(12.5)
    {4: 2.5}
    >>> [(d.track_id, d.seconds) for d in zone.update(at(150), 1, timestamp=13.0).exited]
    [(4, 3.0)]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from edge.analytics.geometry import Anchor, anchor_points, points_in_polygon, validate_polygon
from edge.types import Tracks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dwell:
    """A stay in a zone, reported when the track leaves it.

    ``exited`` is the time of the first frame the anchor was seen outside, or,
    when the track vanished instead (``lost``), the last time it was seen inside.
    """

    track_id: int
    class_id: int
    entered: float
    exited: float
    lost: bool = False

    @property
    def seconds(self) -> float:
        return self.exited - self.entered


@dataclass(frozen=True)
class ZoneFrame:
    """What one frame changed in a zone."""

    frame_index: int
    timestamp: float
    inside: NDArray[np.int64]  # ids of the tracks whose anchor is inside on this frame
    occupancy: dict[int, int]  # the same, counted per class id
    entered: tuple[int, ...]  # ids that entered on this frame
    exited: tuple[Dwell, ...]  # stays that ended on this frame

    @property
    def total(self) -> int:
        return int(self.inside.shape[0])


@dataclass
class _Member:
    class_id: int
    entered: float
    last_seen: int
    last_inside: float


class PolygonZone:
    """Tracks which tracks are inside a polygon and for how long.

    Occupancy counts the anchors inside on the given frame. A member that
    is missing from a frame (occluded, or not output by the tracker) keeps
    its stay open, so detector flicker does not split one stay into many;
    after ``forget_after`` frames unseen its stay ends as ``lost``. State
    holds members only, so it is bounded by the objects inside.
    """

    def __init__(
        self,
        polygon: Sequence[Sequence[float]] | NDArray[Any],
        *,
        anchor: Anchor = "bottom_center",
        forget_after: int = 90,
    ) -> None:
        if forget_after < 1:
            raise ValueError(f"forget_after must be >= 1 frame, got {forget_after}")
        self.polygon = validate_polygon(polygon)
        self.anchor: Anchor = anchor
        self.forget_after = forget_after
        # Ordered by last_seen: re-inserted on every sighting, so eviction pops from the front.
        self._members: dict[int, _Member] = {}
        self._frame: int | None = None
        self._time: float | None = None

    def __len__(self) -> int:
        """Open stays, including members missing from the latest frame."""
        return len(self._members)

    def occupants(self, timestamp: float) -> dict[int, float]:
        """Seconds each open stay has lasted at ``timestamp``, by track id."""
        return {tid: timestamp - m.entered for tid, m in self._members.items()}

    def update(self, tracks: Tracks, frame_index: int, timestamp: float) -> ZoneFrame:
        """Update with the tracks of one frame captured at ``timestamp`` seconds."""
        self._check_clock(frame_index, timestamp)
        inside_mask = points_in_polygon(anchor_points(tracks.xyxy, self.anchor), self.polygon)
        entered: list[int] = []
        exited: list[Dwell] = []
        for tid, cid, inside in zip(tracks.track_id.tolist(), tracks.class_id.tolist(), inside_mask.tolist()):
            member = self._members.pop(tid, None)
            if inside:
                if member is None:
                    member = _Member(cid, timestamp, frame_index, timestamp)
                    entered.append(tid)
                member.last_seen, member.last_inside = frame_index, timestamp
                self._members[tid] = member
            elif member is not None:
                exited.append(Dwell(tid, member.class_id, member.entered, timestamp))
        exited.extend(self._evict(frame_index))
        inside_ids = tracks.track_id[inside_mask]
        classes, counts = np.unique(tracks.class_id[inside_mask], return_counts=True)
        occupancy = dict(zip(classes.tolist(), counts.tolist()))
        return ZoneFrame(frame_index, timestamp, inside_ids, occupancy, tuple(entered), tuple(exited))

    def _check_clock(self, frame_index: int, timestamp: float) -> None:
        if self._frame is not None and frame_index < self._frame:
            raise ValueError(f"frame_index must not decrease: got {frame_index} after {self._frame}")
        if self._time is not None and timestamp < self._time:
            raise ValueError(f"timestamp must not decrease: got {timestamp} after {self._time}")
        self._frame, self._time = frame_index, timestamp

    def _evict(self, frame: int) -> list[Dwell]:
        horizon = frame - self.forget_after
        ended: list[Dwell] = []
        while self._members:
            tid = next(iter(self._members))
            member = self._members[tid]
            if member.last_seen >= horizon:
                break
            del self._members[tid]
            ended.append(Dwell(tid, member.class_id, member.entered, member.last_inside, lost=True))
            log.debug("track %d unseen for %d frames; its stay ends as lost", tid, self.forget_after)
        return ended
