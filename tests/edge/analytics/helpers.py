"""Builders for synthetic tracks, placed by their bottom-centre anchor."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from contract.geo import GroundFit, TangentPlane, fit_homography
from edge.types import Tracks

DEMO_SITE = Path(__file__).parents[3] / "deploy" / "demo-site.yaml"  # its cameras are calibrated


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


def flat_ground(px_per_m: float = 10.0) -> GroundFit:
    """A calibration looking straight down: ``px_per_m`` pixels a metre, image right east and image down south.

    The fit's ground origin (cell (0, 0)'s corner) is the image point (500, 500).
    """
    plane = TangentPlane((4.37, 52.0))
    pixels = [(0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0), (0.0, 1000.0), (500.0, 500.0), (250.0, 750.0), (750.0, 250.0)]
    return fit_homography(pixels, [plane.to_lonlat((x / px_per_m, -y / px_per_m)) for x, y in pixels])


def to_image(ground: GroundFit, east_m: float, north_m: float) -> tuple[float, float]:
    """The image point of a ground point (metres from the fit's origin): the homography's inverse."""
    x, y, w = np.linalg.inv(np.array(ground.matrix)) @ np.array([east_m, north_m, 1.0])
    return float(x / w), float(y / w)
