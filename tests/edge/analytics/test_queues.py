"""Queue length on generated tracks: objects inside a zone slower than the threshold, per frame and per interval."""

from __future__ import annotations

import pytest

from contract.site import ZoneSpec
from edge.analytics.queues import QueueMeter
from edge.analytics.scene import Scene
from edge.analytics.zones import PolygonZone
from tests.edge.analytics.helpers import at

SQUARE = [(0, 0), (200, 0), (200, 200), (0, 200)]
FPS = 10.0

CASES = [
    # name, anchor (x, y) of track 1 on each frame, queue speed px/s, slow count on the last frame
    ("standing still inside", [(100, 100)] * 30, 10.0, 1),
    ("shuffling slowly inside", [(100 + 0.5 * f, 100) for f in range(30)], 10.0, 1),
    ("walking through", [(10 + 5 * f, 100) for f in range(30)], 10.0, 0),
    ("standing outside", [(300, 100)] * 30, 10.0, 0),
    ("just arrived: no speed yet", [(100, 100)] * 5, 10.0, 0),
    ("a higher threshold takes walkers too", [(10 + 5 * f, 100) for f in range(30)], 60.0, 1),
]


@pytest.mark.parametrize(("name", "path", "slow_px_s", "expected"), CASES, ids=[c[0] for c in CASES])
def test_slow_objects_inside(name: str, path: list[tuple[float, float]], slow_px_s: float, expected: int) -> None:
    zone, meter = PolygonZone(SQUARE), QueueMeter(slow_px_s, window_s=2.0)
    counts = []
    for frame, (x, y) in enumerate(path):
        tracks = at((1, x, y))
        counts.append(meter.update(tracks, {"square": zone.update(tracks, frame, frame / FPS)}, frame / FPS)["square"])
    assert counts[-1] == expected


def test_the_interval_keeps_the_mean_and_the_peak() -> None:
    scene = Scene([], [ZoneSpec(id="square", polygon=SQUARE)], count_interval_s=10.0, queue_speed_px_s=10.0)
    for frame in range(100):  # two people standing, a third standing for the last half, a walker throughout
        people = [(1, 50, 50), (2, 150, 150), (4, 10 + 2 * frame, 100)] + ([(3, 100, 60)] if frame >= 50 else [])
        scene.update(at(*people), frame, frame / FPS)
    closed = scene.flush()
    assert closed is not None
    mean, peak = closed.queues["square"]
    assert peak == 3 and 2.0 < mean < 2.5  # the walker (20 px/s) never counts; each stander from 1 s in


def test_state_is_bounded_by_live_tracks() -> None:
    meter, zone = QueueMeter(10.0, window_s=1.0), PolygonZone(SQUARE)
    for frame in range(300):
        tracks = at((frame, 100, 100))  # a new track every frame
        meter.update(tracks, {"z": zone.update(tracks, frame, frame / FPS)}, frame / FPS)
        assert len(meter) <= 12


@pytest.mark.parametrize(("slow", "window"), [(0.0, 2.0), (10.0, 0.0), (-1.0, 2.0)])
def test_bad_settings_are_refused(slow: float, window: float) -> None:
    with pytest.raises(ValueError, match="slow_px_s"):
        QueueMeter(slow, window_s=window)
