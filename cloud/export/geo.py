"""Plan metres to WGS 84: the site plan is drawn north up from a known top-left corner.

An equirectangular approximation around the corner: over a site of a few
kilometres it is off by centimetres, well below where a camera stands.

Example:
    >>> from cloud.export.common import GeoOrigin
    >>> lon, lat = lonlat(GeoOrigin(lat=53.55, lon=9.99), 0.0, 1000.0)
    >>> round(lon, 5), round(lat, 5)
    (9.99, 53.54102)
"""

from __future__ import annotations

import math

from cloud.export.common import GeoOrigin
from contract.site import CameraSpec, LineSpec, MapPosition, ZoneSpec

M_PER_DEG_LAT = 111_320.0


def lonlat(origin: GeoOrigin, x_m: float, y_m: float) -> tuple[float, float]:
    """(longitude, latitude) of a point ``x_m`` east and ``y_m`` south of the plan's corner, GeoJSON order."""
    lat = origin.lat - y_m / M_PER_DEG_LAT
    lon = origin.lon + x_m / (M_PER_DEG_LAT * math.cos(math.radians(origin.lat)))
    return round(lon, 7), round(lat, 7)


def _centre(points: list[MapPosition]) -> tuple[float, float]:
    return sum(p.x_m for p in points) / len(points), sum(p.y_m for p in points) / len(points)


def point(origin: GeoOrigin, camera: CameraSpec, part: LineSpec | ZoneSpec | None = None) -> dict[str, object]:
    """A GeoJSON Point: the middle of a line or zone drawn on the plan, else where its camera stands."""
    drawn = list(part.map) if part is not None and part.map else [camera.map]
    return {"type": "Point", "coordinates": list(lonlat(origin, *_centre(drawn)))}
