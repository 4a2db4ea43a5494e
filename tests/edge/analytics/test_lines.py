"""Counting lines: direction, segment extent, hysteresis band, cooldown, per-class counts."""

from __future__ import annotations

import pytest

from edge.analytics.geometry import GeometryError
from edge.analytics.lines import Crossing, LineCounter
from tests.edge.analytics.helpers import at

# A horizontal line drawn left to right at y = 100 from x = 0 to x = 200: "in" is downwards.
LINE = [(0.0, 100.0), (200.0, 100.0)]


def ys(*values: float, x: float = 100.0) -> list[tuple[float, float] | None]:
    return [(x, y) for y in values]


def every(step: int, points: list[tuple[float, float]]) -> list[tuple[float, float] | None]:
    """``points`` observed only every ``step`` frames; ``None`` where the track is not output."""
    out: list[tuple[float, float] | None] = []
    for p in points:
        out += [p] + [None] * (step - 1)
    return out


CASES = [
    # name, anchor per frame (None = not seen), counter options, expected (direction, frame)
    ("clean in", ys(80, 85, 90, 95, 100, 105, 110, 115), {}, [("in", 5)]),
    ("clean out", ys(120, 115, 110, 105, 100, 95, 90), {}, [("out", 5)]),
    ("in, diagonal move", [(40, 60), (80, 90), (120, 120), (160, 150)], {}, [("in", 2)]),
    ("jitter inside the band", ys(80, 90, 98, 102, 97, 103, 98, 102, 97), {}, []),
    ("jitter inside the band, then through", ys(80, 90, 98, 102, 97, 103, 98, 110), {}, [("in", 7)]),
    ("first seen in the band", ys(100, 101, 110, 120), {}, []),
    ("first seen in the band, then across", ys(100, 90, 95, 110), {}, [("in", 3)]),
    ("outside the segment, past B", ys(80, 90, 110, 120, x=260), {}, []),
    ("outside the segment, before A", ys(80, 90, 110, 120, x=-5), {}, []),
    ("along the line, never across", [(x, 90.0) for x in range(0, 400, 40)], {}, []),
    ("endpoint counts", ys(90, 110, x=200), {}, [("in", 1)]),
    (
        "back and forth within the cooldown",
        every(3, [(100, 80), (100, 120), (100, 80), (100, 120), (100, 80), (100, 120), (100, 80)]),
        {"cooldown": 10},
        [("in", 3), ("out", 18)],
    ),
    ("a box jittering across the line counts once", ys(80, 90, 110, 90, 110, 90, 110, 90, 110), {}, [("in", 2)]),
    ("jitter within the cooldown counts once", ys(80, 110, 90, 110, 90, 110, 90), {"cooldown": 10}, [("in", 1)]),
    (
        "crossed back and stayed: counted once the cooldown has passed",
        ys(80, 110, *[90] * 12),
        {"cooldown": 10},
        [("in", 1), ("out", 11)],
    ),
    (
        "round an end after a crossing, then through again",
        [(100, 80), (100, 110), (260, 110), (260, 80), (100, 80), (100, 110)],
        {"cooldown": 3},
        [("in", 1), ("in", 5)],
    ),
    (
        "round an end while a crossing back is held",
        [(100, 80), (100, 110), (100, 80), (260, 80), (260, 110), (100, 110), *[(100, 110)] * 10],
        {"cooldown": 10},
        [("in", 1)],
    ),
    (
        "back and forth without cooldown",
        ys(80, 120, 80, 120),
        {"cooldown": 0},
        [("in", 1), ("out", 2), ("in", 3)],
    ),
    ("zero band: on the line is neither side", ys(90, 100, 100, 110), {"min_distance": 0.0}, [("in", 3)]),
    ("wider band swallows a small crossing", ys(95, 105, 95, 105), {"min_distance": 10.0}, []),
    ("gone longer than forget_after", [(100, 80)] + [None] * 20 + [(100, 120)], {"forget_after": 10}, []),
    ("gone less than forget_after", [(100, 80)] + [None] * 5 + [(100, 120)], {"forget_after": 10}, [("in", 6)]),
]


@pytest.mark.parametrize(("name", "path", "options", "expected"), CASES, ids=[c[0] for c in CASES])
def test_trajectories(
    name: str, path: list[tuple[float, float] | None], options: dict[str, float], expected: list[tuple[str, int]]
) -> None:
    line = LineCounter(LINE, **options)  # type: ignore[arg-type]
    got: list[Crossing] = []
    for frame, point in enumerate(path):
        got += line.trigger(at((5, *point)) if point else at(), frame)
    assert [(c.direction, c.frame_index) for c in got] == expected
    assert line.in_total == sum(d == "in" for d, _ in expected)
    assert line.out_total == sum(d == "out" for d, _ in expected)


def test_swapping_the_points_swaps_the_directions() -> None:
    line = LineCounter(LINE[::-1])
    crossings = [c for f, y in enumerate([80, 90, 110]) for c in line.trigger(at((1, 100, y)), f)]
    assert [c.direction for c in crossings] == ["out"]


def test_anchor_choice_matters() -> None:
    # Box bottom crosses y = 100 at frame 1 while its centre (20 px higher) only at frame 2.
    bottom, centre = LineCounter(LINE), LineCounter(LINE, anchor="center")
    frames = [at((1, 100, y)) for y in (90, 110, 130)]
    assert [len(bottom.trigger(t, f)) for f, t in enumerate(frames)] == [0, 1, 0]
    assert [len(centre.trigger(t, f)) for f, t in enumerate(frames)] == [0, 0, 1]


def test_per_class_counts_and_crossing_fields() -> None:
    line = LineCounter(LINE)
    before = at((1, 50, 80, 0), (2, 100, 80, 2), (3, 150, 80, 2), (4, 120, 130, 0), (5, 20, 130, 7))
    after = at((1, 50, 120, 0), (2, 100, 120, 2), (3, 150, 120, 2), (4, 120, 70, 0), (5, 20, 130, 7))
    assert line.trigger(before, 10) == []
    crossings = line.trigger(after, 11)
    assert sorted(crossings, key=lambda c: c.track_id) == [
        Crossing(1, 0, "in", 11),
        Crossing(2, 2, "in", 11),
        Crossing(3, 2, "in", 11),
        Crossing(4, 0, "out", 11),
    ]
    assert line.in_counts == {0: 1, 2: 2}
    assert line.out_counts == {0: 1}
    assert (line.in_total, line.out_total) == (3, 1)


def test_state_is_evicted() -> None:
    line = LineCounter(LINE, forget_after=5)
    for frame in range(100):
        line.trigger(at((frame, 100, 50), (10_000 + frame, 100, 150)), frame)
        assert len(line) <= 12
    line.trigger(at(), 200)
    assert len(line) == 0


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([(10, 10), (10, 10)], r"the two points must differ, got \[10.0, 10.0\] twice"),
        ([(0, 0), (1, 1), (2, 2)], "expected exactly 2 points, got 3"),
        ([(0, 0, 0), (1, 1, 1)], r"shape \(2, 3\)"),
        ([(0, 0), (float("nan"), 1)], "must be finite"),
    ],
)
def test_bad_lines_are_refused(points: list[tuple[float, ...]], message: str) -> None:
    with pytest.raises(GeometryError, match=message):
        LineCounter(points)


def test_frame_index_must_not_go_back() -> None:
    line = LineCounter(LINE)
    line.trigger(at(), 3)
    with pytest.raises(ValueError, match="got 2 after 3"):
        line.trigger(at(), 2)
