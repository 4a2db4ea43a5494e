"""The site as GeoJSON: valid geometry, calibrated features where the camera sees them, the site plan as fallback."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from citytwin.deployment import load
from contract.geo import TangentPlane
from contract.geojson import feature_collection, unplaced
from contract.pinhole import Pinhole
from contract.site import CameraSpec, SiteSpec

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo-site.yaml"
TRUTH = Pinhole((4.3731, 51.9990), heading_deg=90, tilt_deg=38, height_m=7, focal_px=700)
PIXELS = [(40, 120), (720, 110), (760, 560), (10, 570), (384, 300), (200, 450)]
SITE = SiteSpec(id="campus", name="Campus", width_m=200, height_m=120, origin={"lon": 4.3725, "lat": 51.9995})


def _calibration(**extra: Any) -> dict[str, Any]:
    points = [{"px": list(p), "lon": TRUTH.ground(p)[0], "lat": TRUTH.ground(p)[1]} for p in PIXELS]
    return {"image_size": [768, 576], "points": points, **extra}


def _camera(**extra: Any) -> CameraSpec:
    spec = {"id": "cam-1", "map": {"x_m": 40, "y_m": 60}, "calibration": _calibration(),
            "lines": [{"id": "gate", "points": [[0, 330], [768, 330]]}],
            "zones": [{"id": "plaza", "polygon": [[100, 250], [650, 250], [700, 576], [50, 576]], "capacity": 6}]}
    return CameraSpec.model_validate(spec | extra)


def _metres(a: list[float], b: tuple[float, float]) -> float:
    return math.hypot(*TangentPlane(b).to_metres((a[0], a[1])))


def _positions(geometry: dict[str, Any]) -> list[list[float]]:
    coords = geometry["coordinates"]
    return {"Point": lambda: [coords], "LineString": lambda: coords, "Polygon": lambda: [p for ring in coords for p in ring]}[
        geometry["type"]]()


def assert_valid(collection: dict[str, Any]) -> None:
    """RFC 7946: lon/lat in range, closed counter-clockwise rings of at least four positions."""
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and {"kind", "id", "camera", "name", "placement"} <= feature["properties"].keys()
        geometry = feature["geometry"]
        if geometry is None:
            assert feature["properties"]["placement"] == "unplaced"
            continue
        for lon, lat in _positions(geometry):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
        if geometry["type"] == "Polygon":
            for ring in geometry["coordinates"]:
                assert len(ring) >= 4 and ring[0] == ring[-1]
                area2 = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:]))
                assert area2 > 0, "exterior rings wind counter-clockwise"


def test_calibrated_lines_and_zones_lie_where_the_camera_sees_them() -> None:
    collection = feature_collection(SITE, [_camera()])
    assert_valid(collection)
    by_kind = {f["properties"]["kind"]: f for f in collection["features"]}
    line = by_kind["line"]["geometry"]["coordinates"]
    for got, px in zip(line, [(0, 330), (768, 330)]):
        assert _metres(got, TRUTH.ground(px)) < 0.05
    ring = by_kind["zone"]["geometry"]["coordinates"][0]
    corners = [TRUTH.ground(p) for p in [(100, 250), (650, 250), (700, 576), (50, 576)]]
    assert all(min(_metres(got, c) for c in corners) < 0.05 for got in ring)
    camera = by_kind["camera"]
    assert camera["properties"]["placement"] == "calibration" and camera["properties"]["max_error_m"] < 0.01
    assert _metres(camera["geometry"]["coordinates"], TRUTH.ground((384, 576))) < 0.05


def test_a_configured_camera_position_is_used() -> None:
    camera = _camera(calibration=_calibration(position={"lon": 4.3731, "lat": 51.999}))
    point = feature_collection(SITE, [camera])["features"][1]
    assert point["geometry"]["coordinates"] == [4.3731, 51.999]


def test_uncalibrated_cameras_fall_back_to_the_site_plan() -> None:
    camera = CameraSpec.model_validate({
        "id": "cam-2", "map": {"x_m": 100, "y_m": 60},
        "lines": [{"id": "gate", "points": [[0, 1], [2, 3]], "map": [{"x_m": 90, "y_m": 60}, {"x_m": 110, "y_m": 60}]}],
        "zones": [{"id": "yard", "polygon": [[0, 0], [1, 0], [1, 1]]}],
    })
    collection = feature_collection(SITE, [camera])
    assert_valid(collection)
    site, cam, line, zone = collection["features"]
    assert [f["properties"]["placement"] for f in (site, cam, line, zone)] == ["site-plan", "site-plan", "site-plan", "unplaced"]
    east, north = TangentPlane((4.3725, 51.9995)).to_metres(tuple(cam["geometry"]["coordinates"]))  # type: ignore[arg-type]
    assert east == pytest.approx(100, abs=0.01) and north == pytest.approx(-60, abs=0.01)
    assert zone["geometry"] is None and unplaced(collection) == ["cam-2/zone/yard"]


def test_without_origin_an_uncalibrated_camera_is_unplaced() -> None:
    site = SiteSpec(id="campus", name="Campus", width_m=200, height_m=120)
    collection = feature_collection(site, [CameraSpec.model_validate({"id": "cam-3", "map": {"x_m": 1, "y_m": 2}})])
    assert unplaced(collection) == ["cam-3/camera/cam-3"]


def test_the_demo_site_is_placed_on_the_map() -> None:
    deployment = load(DEMO)
    collection = feature_collection(deployment.site, deployment.cameras)
    assert_valid(collection)
    assert unplaced(collection) == []
    cameras = [f for f in collection["features"] if f["properties"]["kind"] == "camera"]
    assert {c["properties"]["placement"] for c in cameras} == {"calibration"}
    assert all(c["properties"]["max_error_m"] < 0.2 for c in cameras)


REFUSED = {
    "a bad point": ({"calibration": _calibration(max_error_m=0.5) | {"points": _calibration()["points"][:5]
                     + [{"px": [200, 450], "lon": TRUTH.ground((200, 450))[0] + 0.0001, "lat": TRUTH.ground((200, 450))[1]}]}},
                    "camera 'cam-1': calibration refused: reprojection error"),
    "a line outside the image": ({"lines": [{"id": "gate", "points": [[0, 330], [900, 330]]}]}, "line 'gate' point [900.0, 330.0] is outside"),
    "a point outside the image": ({"calibration": _calibration(image_size=[640, 480])}, "outside the 640x480 image"),
    "too few points": ({"calibration": _calibration() | {"points": _calibration()["points"][:3]}}, "at least 4"),
    "an impossible latitude": ({"calibration": _calibration() | {"points": [{"px": [1, 1], "lon": 4.0, "lat": 91.0}] * 4}}, "lat"),
    "a NaN longitude": ({"calibration": _calibration() | {"points": [{"px": [1, 1], "lon": "nan", "lat": 52.0}] * 4}}, "lon"),
    "an unknown key": ({"calibration": _calibration(fov=60)}, "fov"),
}


@pytest.mark.parametrize(("change", "problem"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_calibrations_are_refused_naming_camera_and_problem(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _camera(**change)
    assert problem in str(refused.value)


def test_a_zone_above_the_horizon_is_refused() -> None:
    shallow = Pinhole((13.405, 52.52), heading_deg=0, tilt_deg=10, height_m=12, focal_px=900)  # horizon near y = 130
    points = [{"px": list(p), "lon": shallow.ground(p)[0], "lat": shallow.ground(p)[1]} for p in PIXELS[2:]]
    spec = {"id": "cam-9", "map": {"x_m": 0, "y_m": 0}, "calibration": {"image_size": [768, 576], "points": points},
            "zones": [{"id": "sky", "polygon": [[0, 10], [700, 10], [700, 400]]}]}
    with pytest.raises(ValidationError, match="camera 'cam-9': zone 'sky'.*horizon"):
        CameraSpec.model_validate(spec)
