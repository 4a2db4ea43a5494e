"""Origin-destination counts on generated tracks: through lines and zones, one trip per track, bounded state."""

from __future__ import annotations

import pytest

from contract.site import LineSpec, ZoneSpec
from edge.analytics.scene import Scene
from edge.analytics.turns import Gate, TurnCounter
from tests.edge.analytics.helpers import at

# Two lines (west: x = 100, north: y = 100) and a zone in the middle.
LINES = [LineSpec(id="west", points=((100, 0), (100, 400))), LineSpec(id="north", points=((0, 100), (400, 100)))]
ZONES = [ZoneSpec(id="square", polygon=[(150, 150), (250, 150), (250, 250), (150, 250)])]
EASTWARDS = Gate("line", "west", "out")  # walking east over a line drawn southwards: from its right to its left
NORTH_OUT = Gate("line", "north", "out")
SQUARE = Gate("zone", "square")


def _walk(start: tuple[float, float], end: tuple[float, float], frames: int) -> list[tuple[float, float]]:
    return [(start[0] + (end[0] - start[0]) * f / (frames - 1), start[1] + (end[1] - start[1]) * f / (frames - 1))
            for f in range(frames)]


CASES = [
    # name, anchor path, expected trips (origin, destination)
    ("west line into the square", _walk((50, 200), (200, 200), 30), [(EASTWARDS, SQUARE)]),
    ("square out over the north line", _walk((200, 200), (200, 40), 30), [(SQUARE, NORTH_OUT)]),
    ("west line, square, north line: first and last", _walk((50, 200), (200, 200), 20) + _walk((200, 200), (200, 40), 20),
     [(EASTWARDS, NORTH_OUT)]),
    ("one gate only is no turn", _walk((50, 300), (300, 300), 30), []),
    ("no gate at all", _walk((300, 300), (380, 380), 30), []),
]


@pytest.mark.parametrize(("name", "path", "expected"), CASES, ids=[c[0] for c in CASES])
def test_trips(name: str, path: list[tuple[float, float]], expected: list[tuple[Gate, Gate]]) -> None:
    scene = Scene(LINES, ZONES, forget_after=10)
    trips = []
    for frame, (x, y) in enumerate(path):
        trips += scene.update(at((7, x, y)), frame, frame / 10).trips
    assert trips == []  # nothing ends while the track is seen
    for frame in range(len(path), len(path) + 11):
        trips += scene.update(at(), frame, frame / 10).trips
    assert [(t.origin, t.destination) for t in trips] == expected


def test_trips_are_counted_per_interval_and_class_and_flushed_at_the_end() -> None:
    scene = Scene(LINES, ZONES, count_interval_s=5.0, forget_after=10)
    walk = _walk((50, 200), (200, 200), 30)
    closed = []
    for frame, (x, y) in enumerate(walk):
        update = scene.update(at((1, x, y, 0), (2, x, y + 20, 2)), frame, frame / 10)
        closed += [update.interval] if update.interval else []
    tail = scene.flush()
    assert tail is not None
    assert tail.turns == {(EASTWARDS, SQUARE, 0): 1, (EASTWARDS, SQUARE, 2): 1}
    assert all(not c.turns for c in closed)


def test_state_is_bounded_by_live_tracks() -> None:
    turns, scene = TurnCounter(forget_after=5), Scene(LINES, ZONES)
    for frame in range(200):
        tracks = at((frame, 50, 200), (10_000 + frame, 150, 200))
        update = scene.update(tracks, frame, frame / 10)
        turns.update(update.crossings, update.zones, tracks, frame)
        assert len(turns) <= 12
    assert turns.update({}, {}, at(), 300) == [] and len(turns) == 0


def test_forget_after_must_be_positive() -> None:
    with pytest.raises(ValueError, match="forget_after"):
        TurnCounter(forget_after=0)
