"""Queue length: how many of the objects inside each zone move slower than a threshold.

An object's speed is its anchor's displacement over the last ``window_s``
seconds of stream time, in image pixels per second; one seen for less than
half the window has no speed yet and is not counted as queuing. Only counts
per zone leave the node (``IntervalCounter`` keeps their mean and peak).

Example:
    >>> import numpy as np
    >>> from edge.analytics.zones import PolygonZone
    >>> zone = PolygonZone([(0, 0), (100, 0), (100, 100), (0, 100)])
    >>> meter = QueueMeter(slow_px_s=5.0, window_s=1.0)
    >>> def still(t):  # one person standing at (50, 50)
    ...     return Tracks([[45, 10, 55, 50]], [0.9], [0], [1])
    >>> [meter.update(still(t), {"z": zone.update(still(t), i, t)}, t)["z"] for i, t in enumerate([0.0, 0.5, 1.0])]
    [0, 1, 1]
"""

from __future__ import annotations

from collections.abc import Mapping

from edge.analytics.geometry import Anchor, anchor_points
from edge.analytics.history import TrackHistory
from edge.analytics.zones import ZoneFrame
from edge.types import Tracks


class QueueMeter:
    """Per frame and zone, the tracks inside whose speed is below ``slow_px_s``; state is bounded by live tracks."""

    def __init__(self, slow_px_s: float, window_s: float = 2.0, anchor: Anchor = "bottom_center") -> None:
        if not slow_px_s > 0 or not window_s > 0:
            raise ValueError(f"expected slow_px_s > 0 and window_s > 0, got {slow_px_s} and {window_s}")
        self.slow_px_s = slow_px_s
        self.window_s = window_s
        self.anchor: Anchor = anchor
        self._history = TrackHistory(window_s)

    def __len__(self) -> int:
        return len(self._history)

    def update(self, tracks: Tracks, zones: Mapping[str, ZoneFrame], timestamp: float) -> dict[str, int]:
        """Slow objects inside each zone on this frame, by zone id."""
        track_ids = tracks.track_id.tolist()
        self._history.update(track_ids, anchor_points(tracks.xyxy, self.anchor).tolist(), timestamp)
        slow: set[int] = set()
        for tid in track_ids:
            motion = self._history.motion(tid)
            if motion is None:
                continue
            span, (x0, y0), (x, y) = motion
            if span >= self.window_s / 2 and ((x - x0) ** 2 + (y - y0) ** 2) ** 0.5 < self.slow_px_s * span:
                slow.add(tid)
        return {zone_id: sum(int(tid) in slow for tid in zone.inside.tolist()) for zone_id, zone in zones.items()}
