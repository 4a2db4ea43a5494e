"""Image-plane geometry for analytics: anchors, sides of a line, points in polygons.

Coordinates are image pixels with y pointing down, as OpenCV and the
detector use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from citytwin.errors import CitytwinError

Anchor = Literal["bottom_center", "center", "top_center"]
Point = tuple[float, float]
Points = NDArray[np.float64]

ANCHORS: tuple[Anchor, ...] = ("bottom_center", "center", "top_center")


class GeometryError(CitytwinError, ValueError):
    """A line or zone definition that cannot work; the message says which corner or edge."""


def anchor_points(xyxy: NDArray[Any], anchor: Anchor = "bottom_center") -> Points:
    """The point of each box ``(N, 4)`` that stands for the object, as ``(N, 2)``.

    ``bottom_center`` is where a person or vehicle touches the ground, which
    is what lines and zones drawn on the ground plane mean.
    """
    box = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    x = (box[:, 0] + box[:, 2]) / 2.0
    if anchor == "bottom_center":
        y = box[:, 3]
    elif anchor == "center":
        y = (box[:, 1] + box[:, 3]) / 2.0
    elif anchor == "top_center":
        y = box[:, 1]
    else:
        raise ValueError(f"unknown anchor {anchor!r}; expected one of {', '.join(ANCHORS)}")
    return np.stack([x, y], axis=1)


def _as_points(points: Sequence[Sequence[float]] | NDArray[Any], what: str) -> Points:
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GeometryError(f"{what}: expected points as [[x, y], ...], got {points!r}") from exc
    if array.ndim != 2 or array.shape[1] != 2:
        raise GeometryError(f"{what}: expected points as [[x, y], ...], got an array of shape {array.shape}")
    if not np.isfinite(array).all():
        raise GeometryError(f"{what}: every coordinate must be finite, got {array.tolist()}")
    return array


def validate_line(points: Sequence[Sequence[float]] | NDArray[Any]) -> Points:
    """Two distinct points ``[[x1, y1], [x2, y2]]`` as a ``(2, 2)`` array."""
    line = _as_points(points, "line")
    if line.shape[0] != 2:
        raise GeometryError(f"line: expected exactly 2 points, got {line.shape[0]}")
    if np.array_equal(line[0], line[1]):
        raise GeometryError(f"line: the two points must differ, got {line[0].tolist()} twice")
    return line


def validate_polygon(points: Sequence[Sequence[float]] | NDArray[Any]) -> Points:
    """A simple polygon's corners as ``(K, 2)``: at least 3, with area, no crossing edges."""
    poly = _as_points(points, "polygon")
    if poly.shape[0] < 3:
        raise GeometryError(f"polygon: expected at least 3 corners, got {poly.shape[0]}")
    nxt = np.roll(poly, -1, axis=0)
    repeated = np.flatnonzero(np.all(poly == nxt, axis=1))
    if repeated.size:
        i = int(repeated[0])
        raise GeometryError(f"polygon: corners {i} and {(i + 1) % len(poly)} are the same point {poly[i].tolist()}")
    pair = _crossing_edges(poly, nxt)
    if pair is not None:
        raise GeometryError(f"polygon: edges {pair[0]} and {pair[1]} cross; the outline must not intersect itself")
    area = 0.5 * float(np.sum(poly[:, 0] * nxt[:, 1] - nxt[:, 0] * poly[:, 1]))
    if abs(area) < 1e-9:
        raise GeometryError(f"polygon: corners {poly.tolist()} enclose no area")
    return poly


def _orient(a: Points, b: Points, c: Points) -> NDArray[np.float64]:
    """Sign of the turn a -> b -> c, broadcast over leading axes."""
    cross = (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
    return np.sign(cross)


def _on_segment(a: Points, b: Points, p: Points) -> NDArray[np.bool_]:
    """Whether ``p``, known collinear with a-b, lies within the segment's box."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    inside: NDArray[np.bool_] = np.all((p >= lo) & (p <= hi), axis=-1)
    return inside


def _crossing_edges(start: Points, end: Points) -> tuple[int, int] | None:
    """First pair of non-adjacent edges that touch or cross; O(K^2), fine for drawn zones."""
    k = len(start)
    a, b = start[:, None, :], end[:, None, :]
    c, d = start[None, :, :], end[None, :, :]
    a, b, c, d = (np.broadcast_to(x, (k, k, 2)) for x in (a, b, c, d))
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    proper = (o1 * o2 < 0) & (o3 * o4 < 0)
    touching = (
        ((o1 == 0) & _on_segment(a, b, c))
        | ((o2 == 0) & _on_segment(a, b, d))
        | ((o3 == 0) & _on_segment(c, d, a))
        | ((o4 == 0) & _on_segment(c, d, b))
    )
    i, j = np.indices((k, k))
    # Adjacent edges share a corner by construction; only later, non-neighbouring pairs count.
    distinct = (j > i + 1) & ~((i == 0) & (j == k - 1))
    hits = np.argwhere((proper | touching) & distinct)
    return (int(hits[0, 0]), int(hits[0, 1])) if hits.size else None


def points_in_polygon(points: Points, polygon: Points) -> NDArray[np.bool_]:
    """Which of ``points (N, 2)`` lie inside ``polygon (K, 2)``, by the even-odd rule."""
    if not len(points):
        return np.zeros(0, dtype=bool)
    x, y = points[:, 0:1], points[:, 1:2]
    x1, y1 = polygon[:, 0], polygon[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    # Edges that straddle the horizontal through each point, half-open so a vertex counts once.
    straddles = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    crossings = np.count_nonzero(straddles & (x < x_cross), axis=1)
    return np.asarray(crossings % 2 == 1, dtype=bool)


def signed_distance(points: Points, line: Points) -> NDArray[np.float64]:
    """Distance of each point from the infinite line through ``line``'s two points.

    Positive on the right of A -> B as seen on the image (y down): for a line
    drawn left to right, points below it are positive.
    """
    a, b = line[0], line[1]
    d = b - a
    cross = d[0] * (points[:, 1] - a[1]) - d[1] * (points[:, 0] - a[0])
    return np.asarray(cross / float(np.hypot(d[0], d[1])), dtype=np.float64)


def crossing_parameter(p0: Points, p1: Points, line: Points) -> NDArray[np.float64]:
    """Where the moves ``p0 -> p1`` meet the line through A, B, as a fraction along A -> B.

    Values in ``[0, 1]`` mean the move crossed the segment itself. ``p0`` and
    ``p1`` must lie on opposite sides of the line.
    """
    s0 = signed_distance(p0, line)
    s1 = signed_distance(p1, line)
    t_move = s0 / (s0 - s1)
    hit = p0 + t_move[:, None] * (p1 - p0)
    d = line[1] - line[0]
    return np.asarray(((hit - line[0]) @ d) / float(d @ d), dtype=np.float64)
