"""Each live track's recent anchor points, for the measures that need a displacement over time (queues, speeds).

A track's points older than ``window_s`` seconds of stream time are
dropped, and a track not seen for a whole window is forgotten, so the state
is bounded by the live tracks and the frames of one window.

Example:
    >>> history = TrackHistory(window_s=1.0)
    >>> for t in (0.0, 0.5, 1.0, 1.5):
    ...     history.update([7], [(10.0 * t, 0.0)], t)
    >>> history.motion(7)
    (1.0, (5.0, 0.0), (15.0, 0.0))
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

Pixel = tuple[float, float]


class TrackHistory:
    """Anchor points of every live track over the last ``window_s`` seconds of stream time."""

    def __init__(self, window_s: float) -> None:
        if not window_s > 0:
            raise ValueError(f"expected window_s > 0, got {window_s}")
        self.window_s = window_s
        self._seen: dict[int, deque[tuple[float, float, float]]] = {}  # track id -> (t, x, y) within the window

    def __len__(self) -> int:
        return len(self._seen)

    def update(self, track_ids: Sequence[int], points: Sequence[Sequence[float]], timestamp: float) -> None:
        """Add one frame's anchor point of each track; forget tracks not seen for a window."""
        for tid, (x, y) in zip(track_ids, points):
            history = self._seen.setdefault(tid, deque())
            history.append((timestamp, x, y))
            while history[0][0] < timestamp - self.window_s:
                history.popleft()
        horizon = timestamp - self.window_s
        for tid in [t for t, h in self._seen.items() if h[-1][0] < horizon]:
            del self._seen[tid]

    def points(self, track_id: int) -> list[tuple[float, float, float]]:
        """The track's ``(t, x, y)`` in the window, oldest first; empty if unseen."""
        return list(self._seen.get(track_id, ()))

    def motion(self, track_id: int) -> tuple[float, Pixel, Pixel] | None:
        """Seconds between the track's oldest and newest point in the window, and the two points; None if unseen."""
        history = self._seen.get(track_id)
        if not history:
            return None
        (t0, x0, y0), (t1, x1, y1) = history[0], history[-1]
        return t1 - t0, (x0, y0), (x1, y1)
