"""The static model of a site: cameras, counting lines and zones, with map positions.

Events name lines and zones by id, so their definitions belong to the contract:
the edge uses the image geometry to count, the cloud uses the ids and map
positions to build the twin's registry and draw the cockpit map.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.geo import CalibrationError, GroundFit, TangentPlane, fit_homography
from contract.ids import Ident

Point = tuple[float, float]


def node_id(site: str, camera: str, configured: str | None = None) -> str:
    """The id of the edge node of ``camera``: the configured one, else ``{site}-{camera}``.

    Example:
        >>> node_id("campus", "cam-1"), node_id("campus", "cam-1", "pi-17")
        ('campus-cam-1', 'pi-17')
    """
    return configured or f"{site}-{camera}"


def duplicated(values: Iterable[str]) -> list[str]:
    """The values that occur more than once, sorted.

    Example:
        >>> duplicated(["a", "b", "a"])
        ['a']
    """
    return sorted(v for v, n in Counter(values).items() if n > 1)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MapPosition(_Spec):
    """A position on the site plan, in metres from its top-left corner."""

    x_m: float = Field(title="X", description="metres east of the plan's left edge")
    y_m: float = Field(title="Y", description="metres south of the plan's top edge")
    heading_deg: float = Field(0.0, title="Heading", description="direction the camera faces, degrees clockwise from north")


class GeoPoint(_Spec):
    """A WGS84 position."""

    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, title="Longitude", description="degrees east, WGS84")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, title="Latitude", description="degrees north, WGS84")


class CalibrationPoint(GeoPoint):
    """An image point whose ground position was measured (a survey, or a point picked on an aerial photo)."""

    px: Point = Field(title="Image point", description="[x, y] in image pixels, origin top-left")


class Calibration(_Spec):
    """Image points with their WGS84 positions, from which the image-to-ground homography is fitted."""

    image_size: tuple[int, int] = Field(title="Image size", description="[width, height] of the camera's image in pixels")
    points: list[CalibrationPoint] = Field(
        min_length=4, max_length=64, title="Points",
        description="at least 4 image points with lon/lat, on the ground plane, no three of four on a line; "
                    "give 6 or more so that the reprojection error means something",
    )
    max_error_m: float = Field(
        1.0, gt=0, le=100, title="Largest error",
        description="metres the worst point may lie from where the fit projects its pixel; a worse fit is refused",
    )
    position: GeoPoint | None = Field(
        None, title="Camera position", description="where the camera stands; default: the ground under its image's bottom centre"
    )

    @field_validator("image_size")
    @classmethod
    def _positive(cls, size: tuple[int, int]) -> tuple[int, int]:
        if not (0 < size[0] <= 100_000 and 0 < size[1] <= 100_000):
            raise ValueError(f"image_size must be two positive pixel counts, got {list(size)}")
        return size

    @model_validator(mode="after")
    def _inside_image(self) -> Calibration:
        for i, point in enumerate(self.points):
            if not inside_image(point.px, self.image_size):
                raise ValueError(f"points[{i}].px {list(point.px)} is outside the {self.image_size[0]}x{self.image_size[1]} image")
        return self

    def fit(self) -> GroundFit:
        """The image-to-ground homography; raises ``CalibrationError`` naming what is wrong."""
        return fit_homography([p.px for p in self.points], [(p.lon, p.lat) for p in self.points])


def inside_image(px: Point, size: tuple[int, int]) -> bool:
    """Whether a pixel lies in an image of ``size`` (edges included)."""
    return all(math.isfinite(v) for v in px) and 0 <= px[0] <= size[0] and 0 <= px[1] <= size[1]


class LineSpec(_Spec):
    """A directional counting line, in image pixels."""

    id: Ident = Field(title="Line id", description="unique within the camera")
    points: tuple[Point, Point] = Field(title="End points", description="[[x1, y1], [x2, y2]] in image pixels")
    one_way: bool = Field(False, title="One way", description="crossings in the 'out' direction are wrong-way")
    map: tuple[MapPosition, MapPosition] | None = Field(None, title="Map end points", description="where the line lies on the plan")

    @field_validator("points")
    @classmethod
    def _distinct(cls, points: tuple[Point, Point]) -> tuple[Point, Point]:
        if points[0] == points[1]:
            raise ValueError(f"a counting line needs two different points, got {list(points[0])} twice")
        return points


class ZoneSpec(_Spec):
    """A polygon zone, in image pixels."""

    id: Ident = Field(title="Zone id", description="unique within the camera")
    polygon: list[Point] = Field(title="Polygon", description="corners [[x, y], ...] in image pixels, at least 3")
    capacity: int | None = Field(None, ge=0, title="Capacity", description="objects the zone should hold at most")
    map: list[MapPosition] | None = Field(None, title="Map polygon", description="the zone's outline on the plan")

    @field_validator("polygon")
    @classmethod
    def _enough_corners(cls, polygon: list[Point]) -> list[Point]:
        if len(polygon) < 3:
            raise ValueError(f"a zone polygon needs at least 3 corners, got {len(polygon)}")
        return polygon


class CameraSpec(_Spec):
    """A camera's identity and geometry; edge and cloud add their own settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Ident = Field(title="Camera id", description="unique within the site; part of MQTT topics and Kafka keys")
    name: str | None = Field(None, title="Name", description="human-readable name for the cockpit")
    map: MapPosition = Field(title="Map position", description="where the camera stands on the plan")
    lines: list[LineSpec] = Field(default_factory=list, title="Counting lines", description="directional counting lines")
    zones: list[ZoneSpec] = Field(default_factory=list, title="Zones", description="polygon zones for occupancy and dwell")
    calibration: Calibration | None = Field(
        None, title="Calibration",
        description="image points with WGS84 positions; places the camera, its lines and zones on the map and gives "
                    "ground distances (speeds); without one the camera stays on the metric site plan",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> CameraSpec:
        for kind, items in (("line", self.lines), ("zone", self.zones)):
            dupes = duplicated(item.id for item in items)
            if dupes:
                raise ValueError(f"camera {self.id!r} has duplicate {kind} ids: {', '.join(dupes)}")
        return self

    @model_validator(mode="after")
    def _calibration_fits(self) -> CameraSpec:
        if self.calibration is None:
            return self
        try:
            fit = self.ground_fit
        except CalibrationError as e:
            raise ValueError(f"camera {self.id!r}: calibration refused: {e}") from None
        limit = self.calibration.max_error_m
        if fit.max_error_m > limit:
            worst = self.calibration.points[fit.worst_point]
            raise ValueError(
                f"camera {self.id!r}: calibration refused: reprojection error {fit.max_error_m:.2f} m at points[{fit.worst_point}] "
                f"(px {list(worst.px)}), above max_error_m {limit:g} (rms {fit.rms_error_m:.2f} m over "
                f"{len(self.calibration.points)} points): check that point's lon/lat, or that it lies on the ground plane"
            )
        for kind, item_id, points in self._image_geometry():
            self._placeable(kind, item_id, points, fit)
        return self

    def _image_geometry(self) -> list[tuple[str, str, Sequence[Point]]]:
        return [("line", line.id, line.points) for line in self.lines] + [("zone", z.id, z.polygon) for z in self.zones]

    def _placeable(self, kind: str, item_id: str, points: Sequence[Point], fit: GroundFit) -> None:
        assert self.calibration is not None
        size = self.calibration.image_size
        for px in points:
            if not inside_image(px, size):
                raise ValueError(f"camera {self.id!r}: {kind} {item_id!r} point {list(px)} is outside the calibrated "
                                 f"{size[0]}x{size[1]} image")
        try:
            fit.image_to_metres(points)
        except CalibrationError as e:
            raise ValueError(f"camera {self.id!r}: {kind} {item_id!r}: {e}") from None

    @functools.cached_property
    def ground_fit(self) -> GroundFit:
        """The calibration's fitted homography (only for a calibrated camera)."""
        if self.calibration is None:
            raise CalibrationError(f"camera {self.id!r} has no calibration")
        return self.calibration.fit()

    def position(self) -> tuple[float, float] | None:
        """The camera's lon/lat from its calibration: the configured position, else the ground at its image's bottom centre."""
        if self.calibration is None:
            return None
        if self.calibration.position is not None:
            return self.calibration.position.lon, self.calibration.position.lat
        w, h = self.calibration.image_size
        return self.ground_fit.image_to_ground([(w / 2, h)])[0]


class SiteSpec(_Spec):
    """The site plan the cockpit draws."""

    id: Ident = Field(title="Site id", description="part of every MQTT topic, Kafka key and event")
    name: str = Field(title="Name", description="human-readable site name")
    width_m: float = Field(gt=0, title="Plan width", description="width of the site plan in metres")
    height_m: float = Field(gt=0, title="Plan height", description="height of the site plan in metres")
    origin: GeoPoint | None = Field(
        None, title="Plan origin",
        description="WGS84 position of the plan's top-left corner (the plan is north-up); places uncalibrated cameras "
                    "and the site outline on the geographic map",
    )

    def plan_to_lonlat(self, x_m: float, y_m: float) -> tuple[float, float]:
        """The WGS84 position of a point of the site plan; needs ``origin``."""
        if self.origin is None:
            raise CalibrationError(f"site {self.id!r} has no origin: set site.origin {{lon, lat}} of the plan's top-left corner")
        return TangentPlane((self.origin.lon, self.origin.lat)).to_lonlat((x_m, -y_m))
