"""The image-to-ground fit: exact on true cameras, and every broken calibration refused with its problem named."""

from __future__ import annotations

import math

import pytest

from contract.geo import CalibrationError, TangentPlane, fit_homography
from contract.pinhole import Pinhole

PIXELS = [(40, 120), (720, 110), (760, 560), (10, 570), (384, 300), (200, 450), (600, 420)]
CAMERAS = {
    "east-facing mast": Pinhole((4.3731, 51.9990), heading_deg=90, tilt_deg=38, height_m=7, focal_px=700),
    "north, shallow": Pinhole((13.4050, 52.5200), heading_deg=0, tilt_deg=20, height_m=12, focal_px=900),
    "south-west, steep": Pinhole((-73.9857, 40.7484), heading_deg=225, tilt_deg=70, height_m=30, focal_px=600),
    "near the antimeridian": Pinhole((179.999, -16.5), heading_deg=123, tilt_deg=45, height_m=5, focal_px=500),
    "far north": Pinhole((18.95, 69.65), heading_deg=300, tilt_deg=30, height_m=9, focal_px=800),
}


def _metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    plane = TangentPlane(a)
    return math.hypot(*plane.to_metres(b))


@pytest.mark.parametrize("camera", CAMERAS.values(), ids=CAMERAS.keys())
def test_a_true_camera_is_fitted_exactly(camera: Pinhole) -> None:
    fit = fit_homography(PIXELS, [camera.ground(p) for p in PIXELS])
    assert fit.max_error_m < 0.01
    for probe in [(0, 576), (768, 576), (384, 200), (123, 456), (700, 300)]:
        assert _metres_apart(fit.image_to_ground([probe])[0], camera.ground(probe)) < 0.05


@pytest.mark.parametrize("camera", CAMERAS.values(), ids=CAMERAS.keys())
def test_ground_distances_are_metres(camera: Pinhole) -> None:
    fit = fit_homography(PIXELS, [camera.ground(p) for p in PIXELS])
    a, b = (100, 500), (600, 400)
    truth = math.dist(camera.metres(a) or (0, 0), camera.metres(b) or (0, 0))
    assert fit.ground_distance_m(a, b) == pytest.approx(truth, rel=1e-4)


def test_the_error_of_a_misplaced_point_is_reported_in_metres_at_that_point() -> None:
    camera = CAMERAS["east-facing mast"]
    ground = [camera.ground(p) for p in PIXELS]
    lon, lat = ground[4]
    ground[4] = (lon, lat + 3 / 111_195)  # three metres north of where it is
    fit = fit_homography(PIXELS, ground)
    assert fit.worst_point == 4
    assert 1.0 < fit.max_error_m < 3.0
    assert 0 < fit.rms_error_m < fit.max_error_m


def _ground(pixels: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [CAMERAS["east-facing mast"].ground(p) for p in pixels]


LINE = [(0, 300), (300, 300), (600, 300), (300, 500)]
NEAR_LINE = [(0, 300), (300, 303), (600, 300), (300, 500)]
ON_A_LINE = [(0, 300), (100, 300), (200, 300), (300, 300), (400, 300)]
REPEATED = [(0, 300), (300, 400), (300, 400), (600, 500)]
MIRRORED = [(768 - x, y) for x, y in PIXELS]
TRUE = _ground(PIXELS)
REFUSED = {
    "three points": (PIXELS[:3], TRUE[:3], "at least 4 points"),
    "three of four on a line": (LINE, _ground(LINE), "points 0, 1 and 2 lie on one line"),
    "nearly on a line": (NEAR_LINE, _ground(NEAR_LINE), "lie on one line"),
    "all on a line": (ON_A_LINE, _ground(ON_A_LINE), "all lie on one line"),
    "a point repeated": (REPEATED, _ground(REPEATED), "points 1 and 2 are the same"),
    "ground points repeated": (PIXELS[:4], [TRUE[0], TRUE[1], TRUE[1], TRUE[3]], "ground points 1 and 2 are the same"),
    "lon and lat swapped": (PIXELS, [(lat, lon) for lon, lat in TRUE], "swapped"),
    "pixels mirrored": (MIRRORED, TRUE, "swapped"),
    "a point kilometres away": (PIXELS, TRUE[:-1] + [(4.6, 51.9990)], "ground point 6 is"),
    "counts differ": (PIXELS, TRUE[:-1], "give one per point"),
}


@pytest.mark.parametrize(("pixels", "ground", "problem"), REFUSED.values(), ids=REFUSED.keys())
def test_a_broken_calibration_is_refused_with_its_problem(pixels, ground, problem: str) -> None:
    with pytest.raises(CalibrationError) as refused:
        fit_homography(pixels, ground)
    assert problem in str(refused.value)


def test_shuffled_pairs_never_fit_well() -> None:
    shuffled = TRUE[3:] + TRUE[:3]
    try:
        fit = fit_homography(PIXELS, shuffled)
    except CalibrationError:
        return
    assert fit.max_error_m > 1.0


def test_a_point_beyond_the_horizon_has_no_ground_position() -> None:
    camera = CAMERAS["north, shallow"]  # 20 degrees down with a 900 px focal length: the horizon is in the image
    horizon_y = 288 - 900 * math.tan(math.radians(20))
    fit = fit_homography(PIXELS[2:], [camera.ground(p) for p in PIXELS[2:]])
    assert fit.image_to_ground([(384, horizon_y + 5)])
    with pytest.raises(CalibrationError, match="horizon"):
        fit.image_to_ground([(384, horizon_y - 5)])


@pytest.mark.parametrize("origin", [(0.0, 0.0), (4.37, 52.0), (-120.5, -45.0), (18.9, 69.6)])
def test_tangent_plane_round_trips(origin: tuple[float, float]) -> None:
    plane = TangentPlane(origin)
    for point in [(origin[0] + 0.001, origin[1] - 0.002), (origin[0] - 0.01, origin[1] + 0.01)]:
        back = plane.to_lonlat(plane.to_metres(point))
        assert back == pytest.approx(point, abs=1e-9)
    assert plane.to_metres((origin[0], origin[1] + 1))[1] == pytest.approx(111_195, rel=1e-3)
