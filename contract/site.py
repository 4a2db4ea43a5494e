"""The static model of a site: cameras, counting lines and zones, with map positions.

Events name lines and zones by id, so their definitions belong to the contract:
the edge uses the image geometry to count, the cloud uses the ids and map
positions to build the twin's registry and draw the cockpit map.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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

    @model_validator(mode="after")
    def _unique_ids(self) -> CameraSpec:
        for kind, items in (("line", self.lines), ("zone", self.zones)):
            dupes = duplicated(item.id for item in items)
            if dupes:
                raise ValueError(f"camera {self.id!r} has duplicate {kind} ids: {', '.join(dupes)}")
        return self


class SiteSpec(_Spec):
    """The site plan the cockpit draws."""

    id: Ident = Field(title="Site id", description="part of every MQTT topic, Kafka key and event")
    name: str = Field(title="Name", description="human-readable site name")
    width_m: float = Field(gt=0, title="Plan width", description="width of the site plan in metres")
    height_m: float = Field(gt=0, title="Plan height", description="height of the site plan in metres")
