"""Ground speeds at the lines on generated tracks: km/h through the calibration, per interval, bounded, none uncalibrated."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from citytwin.deployment import load
from contract.geo import GroundFit
from contract.site import LineSpec
from edge.analytics.scene import Scene
from edge.analytics.speeds import RESERVOIR, SpeedTally
from edge.events.emit import EventEmitter
from edge.events.factory import EventFactory
from tests.edge.analytics.helpers import DEMO_SITE, at, flat_ground, to_image

FPS = 10.0
GATE = [LineSpec(id="gate", points=((500, 0), (500, 1000)))]  # a north-south line through the ground origin


def _walk(ground: GroundFit, scene: Scene, tid: int, start_m: tuple[float, float], kmh: float, seconds: float,
          t0: float = 0.0, heading: tuple[float, float] = (1.0, 0.0)) -> list[float]:
    """Move one object at ``kmh`` over the ground from ``start_m``; the speed samples its crossings gave."""
    samples = []
    for frame in range(int(seconds * FPS)):
        metres = kmh / 3.6 * frame / FPS
        x, y = to_image(ground, start_m[0] + heading[0] * metres, start_m[1] + heading[1] * metres)
        samples += [s.kmh for s in scene.update(at((tid, x, y)), round(t0 * FPS) + frame, t0 + frame / FPS).speeds]
    return samples


@pytest.mark.parametrize("kmh", [3.0, 5.0, 30.0, 120.0])
def test_a_crossing_gives_the_ground_speed(kmh: float) -> None:
    ground = flat_ground()
    scene = Scene(GATE, [], ground=ground)
    (sample,) = _walk(ground, scene, 1, (-kmh / 3.6 * 2, 0.0), kmh, 4.0)  # crosses after 2 s
    assert sample == pytest.approx(kmh, rel=0.02)


def test_near_and_far_walkers_have_one_speed_though_their_pixels_differ() -> None:
    ground = load(DEMO_SITE, environ={}).camera("cam-1").ground_fit  # oblique: a metre far away is fewer pixels
    line = [LineSpec(id="across", points=((384, 0), (384, 576)))]
    pixels_per_m = {}
    for row in (520, 150):  # near the camera, far from it
        start, end = ground.image_to_metres([(184, row), (584, row)])  # an image row is a straight line on the ground
        length = float(np.linalg.norm(np.subtract(end, start)))
        pixels_per_m[row] = 400 / length
        heading = (float(end[0] - start[0]) / length, float(end[1] - start[1]) / length)
        (sample,) = _walk(ground, Scene(line, [], ground=ground), 1, start, 5.0, 1.0 + 3.6 * length / 5.0, heading=heading)
        assert sample == pytest.approx(5.0, rel=0.03), row
    assert pixels_per_m[520] > 1.3 * pixels_per_m[150]  # the same 5 km/h is a faster pixel speed near the camera


def test_the_interval_keeps_count_mean_and_p85_per_direction_and_class() -> None:
    ground = flat_ground()
    scene = Scene(GATE, [], ground=ground, count_interval_s=600.0)
    rng = np.random.default_rng(7)
    eastwards = rng.uniform(3.0, 6.0, 40)
    for i, kmh in enumerate(eastwards):  # one walker after another, each crossing once
        _walk(ground, scene, i, (-kmh / 3.6 * 2, 0.0), float(kmh), 4.0, t0=5.0 * i)
    cyclists = [18.0, 20.0, 22.0]
    for i, kmh in enumerate(cyclists):  # westwards, class 1
        for frame in range(40):
            x, y = to_image(ground, kmh / 3.6 * (2 - frame / FPS), 3.0)
            scene.update(at((1000 + i, x, y, 1)), 3000 + 50 * i + frame, 300.0 + 5 * i + frame / FPS)
    closed = scene.flush()
    assert closed is not None
    (west_key, west), (east_key, east) = sorted(closed.speeds.items())
    assert east_key == ("gate", "out", 0) and west_key == ("gate", "in", 1)
    assert east[0] == len(eastwards) and east[1] == pytest.approx(eastwards.mean(), rel=0.02)
    assert east[2] == pytest.approx(np.percentile(eastwards, 85), rel=0.02)
    assert west[0] == 3 and west[1] == pytest.approx(20.0, rel=0.02) and west[2] == pytest.approx(21.4, rel=0.02)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("appears on the line: no history yet", [(490.0, 500.0), (510.0, 500.0)]),
        ("an id switch jumps 100 m in a frame", [(0.0, 500.0)] * 15 + [(1000.0, 500.0)] * 2),
    ],
)
def test_crossings_without_a_reliable_speed_give_no_sample(name: str, path: list[tuple[float, float]]) -> None:
    scene = Scene(GATE, [], ground=flat_ground())
    counted = speeds = 0
    for frame, (x, y) in enumerate(path):
        update = scene.update(at((1, x, y)), frame, frame / FPS)
        counted += len(update.crossings["gate"])
        speeds += len(update.speeds)
    assert counted == 1 and speeds == 0


def test_points_above_the_horizon_give_no_speed() -> None:
    ground = load(DEMO_SITE, environ={}).camera("cam-1").ground_fit
    horizon = next(y for y in range(576, -5000, -1) if np.array(ground.matrix)[2] @ [384, y, 1] <= 0)  # w changes sign
    scene = Scene([LineSpec(id="sky", points=((384, horizon - 400), (384, horizon - 10)))], [], ground=ground)
    speeds = []
    for frame in range(30):
        speeds += scene.update(at((1, 300 + 6 * frame, horizon - 200)), frame, frame / FPS).speeds
    assert speeds == []


def test_an_uncalibrated_camera_counts_but_reports_no_speeds_and_no_heatmap() -> None:
    scene = Scene(GATE, [], count_interval_s=600.0)
    crossed = 0
    for frame in range(40):
        crossed += len(scene.update(at((1, 400 + 5 * frame, 500)), frame, frame / FPS).crossings["gate"])
    closed = scene.flush()
    assert closed is not None and crossed == 1 and closed.speeds == {} and closed.heatmap == {}
    body = EventEmitter(EventFactory("s", "cam-1", "s-cam-1"), ["person"]).interval(closed, datetime.now(timezone.utc)).body
    assert body.speeds == [] and body.heatmap is None  # type: ignore[union-attr]
    assert body.lines[0].outbound == {"person": 1}  # type: ignore[union-attr]


def test_a_tally_keeps_a_bounded_reservoir_and_an_exact_mean() -> None:
    tally, values = SpeedTally(), np.random.default_rng(3).uniform(0, 100, 3 * RESERVOIR)
    for v in values:
        tally.add(float(v))
    samples, mean, p85 = tally.summary()
    assert len(tally.kept) == RESERVOIR and samples == len(values) and mean == pytest.approx(values.mean(), rel=1e-9)
    assert p85 == pytest.approx(np.percentile(values, 85), abs=3.0)
    again = SpeedTally()
    for v in values:
        again.add(float(v))
    assert again.summary() == (samples, mean, p85)  # seeded: a replay reports the same figures


def test_state_is_bounded_by_live_tracks() -> None:
    scene = Scene(GATE, [], ground=flat_ground())
    for frame in range(300):
        scene.update(at((frame, 400 + frame, 500)), frame, frame / FPS)  # a new track every frame
        assert scene.speeds is not None and len(scene.speeds) <= 12
