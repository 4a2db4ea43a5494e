"""Builders for synthetic tracks, placed by their bottom-centre anchor."""

from __future__ import annotations

from collections.abc import Sequence

from edge.types import Tracks


def at(*objects: tuple[int, float, float] | tuple[int, float, float, int]) -> Tracks:
    """Tracks from ``(track_id, x, y[, class_id])``; each a 20 x 40 box with bottom-centre (x, y)."""
    rows: Sequence[tuple[int, float, float, int]] = [(o[0], o[1], o[2], o[3] if len(o) > 3 else 0) for o in objects]
    if not rows:
        return Tracks.empty()
    return Tracks(
        [[x - 10, y - 40, x + 10, y] for _, x, y, _ in rows],
        [0.9] * len(rows),
        [c for *_, c in rows],
        [t for t, *_ in rows],
    )
