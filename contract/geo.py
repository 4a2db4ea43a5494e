"""Georeferencing: from image pixels to WGS84 and metres on the ground, through a fitted homography.

A camera's calibration pairs at least four image points with their measured
longitude and latitude. Those positions are flattened into a local tangent
plane (equirectangular at the points' centroid: metres east and north, good to
centimetres over the few hundred metres a camera sees), and a homography from
image pixels to that plane is fitted by the normalised direct linear transform
(Hartley's conditioning, then least squares with h33 = 1, which conditioning
makes safe: the image centroid always maps to a finite ground point). Pure
Python, so the edge (speeds in km/h) and the cloud (the map) share it without
numpy. Its one error is a ``ConfigError`` (``citytwin.errors``, standard library only):
a bad calibration is a mistake in the deployment file.

A fit is refused, with the problem named, when it cannot describe a real
camera over flat ground:

- points outside the image, repeated, or three of four on one line (no unique
  homography);
- points spread over more than ``MAX_EXTENT_M`` (not one camera's view; the
  tangent plane would also stop being exact);
- a calibration point that lands beyond the fitted horizon, or a fit that keeps
  the image's handedness: seen from above, image right/down is east/south-like
  and always mirrors east/north, so a fit that does not mirror means longitude
  and latitude are swapped or the points are mislabelled;
- a reprojection error (the worst point, in metres) above the calibration's
  ``max_error_m``. With exactly four points the fit is exact and the error is 0
  by construction: give more points to have the error mean something.

Example:
    >>> fit = fit_homography(
    ...     [(0, 0), (100, 0), (100, 100), (0, 100), (50, 50)],
    ...     [(13.4, 52.5001), (13.4001, 52.5001), (13.4001, 52.5), (13.4, 52.5), (13.40005, 52.50005)],
    ... )
    >>> round(fit.rms_error_m, 6), [round(v, 6) for v in fit.image_to_ground([(50, 50)])[0]]
    (0.0, [13.40005, 52.50005])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from citytwin.errors import ConfigError

Pixel = tuple[float, float]
LonLat = tuple[float, float]
Metres = tuple[float, float]
Matrix = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]

EARTH_RADIUS_M = 6_371_008.8  # the IUGG mean radius
MAX_EXTENT_M = 5_000.0  # farther than any camera sees a countable object
COLLINEAR_RATIO = 0.02  # a triangle whose height is under 2 % of its longest side is a line
_PIVOT_EPS = 1e-10


class CalibrationError(ConfigError):
    """A calibration that gives no usable image-to-ground fit; the message names the problem and the fix."""


@dataclass(frozen=True)
class TangentPlane:
    """Metres east and north of ``origin`` on a plane tangent to the Earth there (equirectangular).

    Example:
        >>> plane = TangentPlane((13.4, 52.5))
        >>> [round(v, 3) for v in plane.to_metres((13.4, 52.501))]
        [0.0, 111.195]
        >>> [round(v, 6) for v in plane.to_lonlat(plane.to_metres((13.41, 52.49)))]
        [13.41, 52.49]
    """

    origin: LonLat

    @property
    def _scale(self) -> tuple[float, float]:
        per_degree = EARTH_RADIUS_M * math.pi / 180.0
        return per_degree * math.cos(math.radians(self.origin[1])), per_degree

    def to_metres(self, point: LonLat) -> Metres:
        sx, sy = self._scale
        return (point[0] - self.origin[0]) * sx, (point[1] - self.origin[1]) * sy

    def to_lonlat(self, point: Metres) -> LonLat:
        sx, sy = self._scale
        return self.origin[0] + point[0] / sx, self.origin[1] + point[1] / sy


def _apply(h: Matrix, x: float, y: float) -> tuple[float, float, float]:
    return (h[0][0] * x + h[0][1] * y + h[0][2], h[1][0] * x + h[1][1] * y + h[1][2], h[2][0] * x + h[2][1] * y + h[2][2])


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    rows = [tuple(sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)) for i in range(3)]
    return (rows[0], rows[1], rows[2])  # type: ignore[return-value]


def _det(m: Matrix) -> float:
    return (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))


def _conditioning(points: Sequence[Pixel]) -> tuple[Matrix, Matrix]:
    """Hartley's normalisation (centroid to 0, mean distance sqrt 2) and its inverse."""
    n = len(points)
    cx, cy = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    spread = sum(math.hypot(p[0] - cx, p[1] - cy) for p in points) / n
    s = math.sqrt(2.0) / spread
    forward = ((s, 0.0, -s * cx), (0.0, s, -s * cy), (0.0, 0.0, 1.0))
    inverse = ((1 / s, 0.0, cx), (0.0, 1 / s, cy), (0.0, 0.0, 1.0))
    return forward, inverse


def _solve(a: list[list[float]], b: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when the system is singular."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    scale = max(abs(v) for row in a for v in row) or 1.0
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < _PIVOT_EPS * scale:
            return None
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def _dlt(src: Sequence[Pixel], dst: Sequence[Metres]) -> Matrix | None:
    """Least-squares homography ``src -> dst`` with h33 = 1 (normal equations), or None if degenerate."""
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1.0, 0.0, 0.0, 0.0, -x * u, -y * u])
        rhs.append(u)
        rows.append([0.0, 0.0, 0.0, x, y, 1.0, -x * v, -y * v])
        rhs.append(v)
    normal = [[sum(r[i] * r[j] for r in rows) for j in range(8)] for i in range(8)]
    target = [sum(r[i] * t for r, t in zip(rows, rhs)) for i in range(8)]
    h = _solve(normal, target)
    if h is None:
        return None
    return ((h[0], h[1], h[2]), (h[3], h[4], h[5]), (h[6], h[7], 1.0))


def _flatness(a: Pixel, b: Pixel, c: Pixel) -> float:
    """The triangle's height over its longest side: 0 for three points on a line."""
    longest = max(math.dist(a, b), math.dist(b, c), math.dist(a, c))
    if longest == 0:
        return 0.0
    area2 = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    return area2 / longest**2


def _check_spread(points: Sequence[Pixel], what: str) -> None:
    """Refuse repeated points, and three collinear ones among four (the homography is then not unique)."""
    for i, p in enumerate(points):
        for j in range(i):
            if math.dist(p, points[j]) < 1e-9:
                raise CalibrationError(f"{what} points {j} and {i} are the same; every point must be distinct")
    n = len(points)
    triples = [(i, j, k) for i in range(n) for j in range(i + 1, n) for k in range(j + 1, n)]
    if n == 4:
        for i, j, k in triples:
            if _flatness(points[i], points[j], points[k]) < COLLINEAR_RATIO:
                raise CalibrationError(f"{what} points {i}, {j} and {k} lie on one line; with four points no three may be "
                                       "collinear: move one, or add points spread over the ground")
    elif all(_flatness(points[i], points[j], points[k]) < COLLINEAR_RATIO for i, j, k in triples):
        raise CalibrationError(f"the {what} points all lie on one line; spread them over the ground plane")


@dataclass(frozen=True)
class GroundFit:
    """A fitted image-to-ground homography: pixels to metres on ``plane`` and to WGS84, with its error."""

    matrix: Matrix  # image pixels -> metres east/north on ``plane``; w > 0 wherever the ground is in view
    plane: TangentPlane
    rms_error_m: float
    max_error_m: float
    worst_point: int

    def image_to_metres(self, points: Sequence[Pixel]) -> list[Metres]:
        """Metres east and north of the plane's origin of image points; distances between them are ground metres.

        Raises ``CalibrationError`` for a point at or above the horizon, which has no ground position.
        """
        out: list[Metres] = []
        for x, y in points:
            u, v, w = _apply(self.matrix, x, y)
            if w <= 1e-12:
                raise CalibrationError(f"image point [{x:g}, {y:g}] is at or above the calibration's horizon: "
                                       "it shows no ground, so it has no map position")
            out.append((u / w, v / w))
        return out

    def image_to_ground(self, points: Sequence[Pixel]) -> list[LonLat]:
        """WGS84 longitude and latitude of image points."""
        return [self.plane.to_lonlat(m) for m in self.image_to_metres(points)]

    def ground_distance_m(self, a: Pixel, b: Pixel) -> float:
        """Metres on the ground between two image points (for speeds: divide by the time between them)."""
        pa, pb = self.image_to_metres([a, b])
        return math.dist(pa, pb)


def fit_homography(pixels: Sequence[Pixel], lonlats: Sequence[LonLat]) -> GroundFit:
    """Fit the image-to-ground homography of paired points; raises ``CalibrationError`` naming the problem."""
    if len(pixels) != len(lonlats):
        raise CalibrationError(f"{len(pixels)} image points but {len(lonlats)} ground positions; give one per point")
    if len(pixels) < 4:
        raise CalibrationError(f"a calibration needs at least 4 points, got {len(pixels)}")
    n = len(pixels)
    plane = TangentPlane((sum(p[0] for p in lonlats) / n, sum(p[1] for p in lonlats) / n))
    ground = [plane.to_metres(p) for p in lonlats]
    far = max(range(n), key=lambda i: math.hypot(*ground[i]))
    if math.hypot(*ground[far]) > MAX_EXTENT_M:
        raise CalibrationError(f"ground point {far} is {math.hypot(*ground[far]):.0f} m from the others' centre, more than "
                               f"{MAX_EXTENT_M:.0f} m: check its lon/lat (swapped, or a typo in a digit)")
    _check_spread(pixels, "image")
    _check_spread(ground, "ground")
    t_img, _ = _conditioning(pixels)
    t_gnd, t_gnd_inv = _conditioning(ground)
    src = [_apply(t_img, x, y)[:2] for x, y in pixels]
    dst = [_apply(t_gnd, x, y)[:2] for x, y in ground]
    core = _dlt(src, dst)
    if core is None:
        raise CalibrationError("the points do not determine a homography (degenerate layout); spread them over the view")
    matrix = _matmul(t_gnd_inv, _matmul(core, t_img))
    return _checked(matrix, pixels, ground, plane)


def _checked(matrix: Matrix, pixels: Sequence[Pixel], ground: Sequence[Metres], plane: TangentPlane) -> GroundFit:
    n = len(pixels)
    cx, cy = sum(p[0] for p in pixels) / n, sum(p[1] for p in pixels) / n
    if _apply(matrix, cx, cy)[2] < 0:  # the sign of a homography is free: make w > 0 on the ground in view
        matrix = tuple(tuple(-v for v in row) for row in matrix)  # type: ignore[assignment]
    for i, (x, y) in enumerate(pixels):
        if _apply(matrix, x, y)[2] <= 0:
            raise CalibrationError(f"point {i} lands beyond the fitted horizon; the points are inconsistent: "
                                   "check each one's lon/lat against its pixel")
    if _det(matrix) >= 0:
        raise CalibrationError("the fit does not mirror the image onto the ground as a camera seen from above does: "
                               "longitude and latitude are probably swapped, or the points are paired wrongly")
    fit = GroundFit(matrix, plane, 0.0, 0.0, 0)
    errors = [math.dist(m, g) for m, g in zip(fit.image_to_metres(pixels), ground)]
    worst = max(range(n), key=lambda i: errors[i])
    rms = math.sqrt(sum(e * e for e in errors) / n)
    return GroundFit(matrix, plane, rms, errors[worst], worst)
