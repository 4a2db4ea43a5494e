"""The site as GeoJSON (RFC 7946): the site outline, cameras (Point), lines (LineString) and zones (Polygon).

Every feature says how it was placed in ``properties.placement``:

- ``calibration``: projected from image pixels through the camera's fitted homography;
- ``site-plan``: from metres on the site plan, turned into WGS84 through ``site.origin``;
- ``unplaced``: neither is known (no calibration, and no ``site.origin`` or no plan
  geometry); the geometry is ``null``, which RFC 7946 allows for unlocated features.

Coordinates are rounded to 7 decimals (about a centimetre); polygon rings are
closed and wound counter-clockwise, as RFC 7946 asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract.site import CameraSpec, MapPosition, SiteSpec

LonLat = tuple[float, float]
Feature = dict[str, Any]

CALIBRATION, SITE_PLAN, UNPLACED = "calibration", "site-plan", "unplaced"
_DIGITS = 7


def _coord(p: LonLat) -> list[float]:
    return [round(p[0], _DIGITS), round(p[1], _DIGITS)]


def _ring(points: Sequence[LonLat]) -> list[list[float]]:
    """A closed, counter-clockwise linear ring."""
    ring = [_coord(p) for p in points]
    area2 = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1]))
    if area2 < 0:
        ring.reverse()
    return ring + [ring[0]]


def _feature(geometry: dict[str, Any] | None, **properties: Any) -> Feature:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _point(p: LonLat | None) -> dict[str, Any] | None:
    return None if p is None else {"type": "Point", "coordinates": _coord(p)}


def _line(points: Sequence[LonLat] | None) -> dict[str, Any] | None:
    return None if points is None else {"type": "LineString", "coordinates": [_coord(p) for p in points]}


def _polygon(points: Sequence[LonLat] | None) -> dict[str, Any] | None:
    return None if points is None else {"type": "Polygon", "coordinates": [_ring(points)]}


class _Placer:
    """Where one camera's things go: through its calibration, else on the site plan, else nowhere."""

    def __init__(self, site: SiteSpec, camera: CameraSpec) -> None:
        self.site, self.camera = site, camera
        self.calibrated = camera.calibration is not None
        self.on_plan = not self.calibrated and site.origin is not None

    def camera_position(self) -> tuple[LonLat | None, str]:
        if self.calibrated:
            return self.camera.position(), CALIBRATION
        if self.on_plan:
            return self.site.plan_to_lonlat(self.camera.map.x_m, self.camera.map.y_m), SITE_PLAN
        return None, UNPLACED

    def geometry(self, image: Sequence[tuple[float, float]], plan: Sequence[MapPosition] | None) -> tuple[list[LonLat] | None, str]:
        if self.calibrated:
            return self.camera.ground_fit.image_to_ground(image), CALIBRATION
        if self.on_plan and plan:
            return [self.site.plan_to_lonlat(p.x_m, p.y_m) for p in plan], SITE_PLAN
        return None, UNPLACED


def _camera_features(site: SiteSpec, camera: CameraSpec) -> list[Feature]:
    placer = _Placer(site, camera)
    position, placement = placer.camera_position()
    props: dict[str, Any] = {"kind": "camera", "id": camera.id, "camera": camera.id, "name": camera.name or camera.id,
                             "placement": placement, "heading_deg": camera.map.heading_deg}
    if camera.calibration is not None:
        fit = camera.ground_fit
        props |= {"rms_error_m": round(fit.rms_error_m, 3), "max_error_m": round(fit.max_error_m, 3),
                  "calibration_points": len(camera.calibration.points)}
    features = [_feature(_point(position), **props)]
    for line in camera.lines:
        where, how = placer.geometry(line.points, line.map)
        features.append(_feature(_line(where), kind="line", id=line.id, camera=camera.id, name=line.id,
                                 placement=how, one_way=line.one_way))
    for zone in camera.zones:
        where, how = placer.geometry(zone.polygon, zone.map)
        features.append(_feature(_polygon(where), kind="zone", id=zone.id, camera=camera.id, name=zone.id,
                                 placement=how, capacity=zone.capacity))
    return features


def _site_outline(site: SiteSpec) -> list[Feature]:
    if site.origin is None:
        return []
    corners = [(0.0, 0.0), (site.width_m, 0.0), (site.width_m, site.height_m), (0.0, site.height_m)]
    outline = [site.plan_to_lonlat(x, y) for x, y in corners]
    return [_feature(_polygon(outline), kind="site", id=site.id, camera=None, name=site.name, placement=SITE_PLAN)]


def feature_collection(site: SiteSpec, cameras: Sequence[CameraSpec]) -> dict[str, Any]:
    """The site outline (when ``site.origin`` is set), then each camera with its lines and zones.

    Example:
        >>> site = SiteSpec(id="s", name="S", width_m=10, height_m=10, origin={"lon": 4.37, "lat": 52.0})
        >>> cam = CameraSpec(id="c", map={"x_m": 5, "y_m": 5})
        >>> [(f["properties"]["kind"], f["properties"]["placement"]) for f in feature_collection(site, [cam])["features"]]
        [('site', 'site-plan'), ('camera', 'site-plan')]
    """
    features = _site_outline(site)
    for camera in cameras:
        features.extend(_camera_features(site, camera))
    return {"type": "FeatureCollection", "features": features}


def unplaced(collection: dict[str, Any]) -> list[str]:
    """``camera/kind/id`` of the features that have no position."""
    return [f"{p['camera']}/{p['kind']}/{p['id']}" for f in collection["features"]
            if f["geometry"] is None for p in [f["properties"]]]
