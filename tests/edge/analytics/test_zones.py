"""Polygon zones: membership, occupancy, enter/exit, dwell, eviction, validation."""

from __future__ import annotations

import numpy as np
import pytest

from edge.analytics.geometry import GeometryError, points_in_polygon, validate_polygon
from edge.analytics.zones import Dwell, PolygonZone
from tests.edge.analytics.helpers import at

SQUARE = [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)]
# An L: the square minus its top-right quarter.
L_SHAPE = [(0.0, 0.0), (50.0, 0.0), (50.0, 50.0), (100.0, 50.0), (100.0, 100.0), (0.0, 100.0)]


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        ((25, 25), True),
        ((75, 75), True),
        ((25, 75), True),
        ((75, 25), False),  # the notch
        ((150, 50), False),
        ((-1, 50), False),
        ((50, 101), False),
    ],
)
def test_points_in_a_concave_polygon(point: tuple[float, float], inside: bool) -> None:
    poly = validate_polygon(L_SHAPE)
    assert points_in_polygon(np.array([point], dtype=float), poly).tolist() == [inside]


def test_enter_exit_and_dwell_from_timestamps() -> None:
    zone = PolygonZone(SQUARE)
    # track 1 walks in at frame 1 and out at frame 5; track 2 stays outside; frames 0.5 s apart.
    xs1 = [-20, 10, 30, 50, 70, 120, 140]
    frames = [zone.update(at((1, x, 50), (2, 200, 50)), f, timestamp=100.0 + 0.5 * f) for f, x in enumerate(xs1)]
    assert [f.entered for f in frames] == [(), (1,), (), (), (), (), ()]
    assert [f.total for f in frames] == [0, 1, 1, 1, 1, 0, 0]
    assert frames[5].exited == (Dwell(1, 0, entered=100.5, exited=102.5),)
    assert frames[5].exited[0].seconds == pytest.approx(2.0)
    assert all(not f.exited for i, f in enumerate(frames) if i != 5)
    assert len(zone) == 0


def test_occupants_report_dwell_so_far() -> None:
    zone = PolygonZone(SQUARE)
    zone.update(at((1, 10, 10)), 0, timestamp=0.0)
    zone.update(at((1, 10, 10), (2, 20, 20)), 1, timestamp=4.0)
    assert zone.occupants(10.0) == {1: 10.0, 2: 6.0}


def test_occupancy_equals_anchors_inside_on_every_frame() -> None:
    zone = PolygonZone(SQUARE, anchor="center")
    rng = np.random.default_rng(7)
    for frame in range(50):
        n = int(rng.integers(0, 12))
        ids = rng.choice(40, size=n, replace=False)
        centres = rng.uniform(-50, 150, size=(n, 2))
        classes = rng.choice([0, 2, 7], size=n)
        # at() places the bottom-centre; the centre is 20 px above it.
        tracks = at(*[(int(i), float(x), float(y) + 20, int(c)) for i, (x, y), c in zip(ids, centres, classes)])
        result = zone.update(tracks, frame, timestamp=frame / 25)
        inside = (centres >= 0).all(axis=1) & (centres <= 100).all(axis=1)
        assert result.total == int(inside.sum())
        assert sorted(result.inside.tolist()) == sorted(ids[inside].tolist())
        expected = {int(c): int((classes[inside] == c).sum()) for c in set(classes[inside].tolist())}
        assert result.occupancy == expected


def test_short_dropouts_do_not_split_a_stay() -> None:
    zone = PolygonZone(SQUARE, forget_after=10)
    seen = [True, True, False, False, False, True, True]
    frames = [zone.update(at((1, 50, 50)) if s else at(), f, timestamp=float(f)) for f, s in enumerate(seen)]
    assert sum(len(f.entered) for f in frames) == 1
    assert [f.total for f in frames] == [1, 1, 0, 0, 0, 1, 1]
    assert not any(f.exited for f in frames)
    assert zone.occupants(6.0) == {1: 6.0}


def test_vanished_members_are_evicted_as_lost() -> None:
    zone = PolygonZone(SQUARE, forget_after=5)
    zone.update(at((1, 50, 50), (2, 60, 60)), 0, timestamp=0.0)
    zone.update(at((2, 60, 60)), 1, timestamp=1.0)
    ended: list[Dwell] = []
    for f in range(2, 10):
        ended += zone.update(at(), f, timestamp=float(f)).exited
    assert sorted(ended, key=lambda d: d.track_id) == [Dwell(1, 0, 0.0, 0.0, lost=True), Dwell(2, 0, 0.0, 1.0, lost=True)]
    assert len(zone) == 0


def test_state_stays_bounded_under_many_tracks() -> None:
    zone = PolygonZone(SQUARE, forget_after=3)
    for f in range(500):
        zone.update(at((f, 50, 50)), f, timestamp=float(f))  # a new id every frame, never seen again
        assert len(zone) <= 4


@pytest.mark.parametrize(
    ("polygon", "message"),
    [
        ([(0, 0), (10, 0)], "at least 3 corners, got 2"),
        ([(0, 0), (10, 0), (20, 0)], "enclose no area"),
        ([(0, 0), (10, 0), (10, 0), (0, 10)], "corners 1 and 2 are the same point"),
        ([(0, 0), (10, 10), (10, 0), (0, 10)], "edges 0 and 2 cross"),  # bow-tie
        ([(0, 0), (10, 0), (10, 10), (5, 0), (0, 10)], "cross"),  # a corner touching another edge
        ([(0, 0), (1, 0, 0)], "expected points"),
    ],
)
def test_bad_polygons_are_refused(polygon: list[tuple[float, ...]], message: str) -> None:
    with pytest.raises(GeometryError, match=message):
        PolygonZone(polygon)


def test_clock_must_not_go_back() -> None:
    zone = PolygonZone(SQUARE)
    zone.update(at(), 5, timestamp=5.0)
    with pytest.raises(ValueError, match="timestamp must not decrease"):
        zone.update(at(), 6, timestamp=4.0)
    with pytest.raises(ValueError, match="frame_index must not decrease"):
        zone.update(at(), 4, timestamp=9.0)
