"""Builders for synthetic detections."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edge.types import Detections

Row = tuple[float, float, float, float, float, int]


def dets(rows: Sequence[Row]) -> Detections:
    """Detections from ``(x1, y1, x2, y2, confidence, class_id)`` rows."""
    if not rows:
        return Detections.empty()
    a = np.asarray(rows, dtype=np.float64)
    return Detections(a[:, :4].astype(np.float32), a[:, 4].astype(np.float32), a[:, 5].astype(np.int32))


def box(cx: float, cy: float, w: float = 20.0, h: float = 40.0, conf: float = 0.9, cls: int = 0) -> Row:
    """A detection row centred on ``(cx, cy)``."""
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, conf, cls)
