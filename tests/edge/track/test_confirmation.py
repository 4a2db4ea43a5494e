"""Confirming new tracks: how many hits, how many misses a tentative track survives."""

from __future__ import annotations

import pytest

from edge.track.bytetrack import ByteTrack
from edge.track.settings import ByteTrackConfig
from tests.edge.track.helpers import box, dets

CASES = [
    # name, detected on each frame (H hit, . miss), settings, frame of the first output (None: never output)
    ("three in a row", "HHH", {}, 2),
    ("two of three, miss third", "HH.HH.HH.", {}, 3),
    ("two of three, miss second", "H.HH.HH.H", {}, 3),
    ("every other frame", "H.H.H.H.H.H.", {}, None),
    ("two frames, then gone", "HH.....", {}, None),
    ("two misses in a row", "H..HH", {}, None),
    ("two misses in a row, then three hits", "H..HHH", {}, 5),
    ("consecutive only: two of three never", "HH.HH.HH.HH.", {"tentative_misses": 0}, None),
    ("consecutive only: three in a row", "HH.HHH", {"tentative_misses": 0}, 5),
    ("more misses allowed", "H.H.H", {"tentative_misses": 2}, 4),
    ("one hit confirms", "H", {"min_hits": 1}, 0),
]


@pytest.mark.parametrize(("name", "pattern", "options", "first_output"), CASES, ids=[c[0] for c in CASES])
def test_confirmation(name: str, pattern: str, options: dict[str, int], first_output: int | None) -> None:
    tracker = ByteTrack(ByteTrackConfig(**options))  # type: ignore[arg-type]
    outputs = []
    for frame, seen in enumerate(pattern):
        found = [box(100 + 3 * frame, 200)] if seen == "H" else []
        outputs.append(tracker.update(dets(found), frame).track_id.tolist())
    # Once confirmed, the track is output on every frame it is detected, under one id.
    expected = [] if first_output is None else [f for f in range(first_output, len(pattern)) if pattern[f] == "H"]
    assert [f for f, ids in enumerate(outputs) if ids] == expected
    assert len({i for ids in outputs for i in ids}) == (first_output is not None)


def test_a_tentative_track_is_held_through_its_misses_only() -> None:
    tracker = ByteTrack(ByteTrackConfig(tentative_misses=2))
    tracker.update(dets([box(100, 100)]), 0)
    tracker.update(dets([]), 1)
    tracker.update(dets([]), 2)
    assert len(tracker) == 1
    tracker.update(dets([]), 3)
    assert len(tracker) == 0


@pytest.mark.parametrize("misses", [-1, 17])
def test_tentative_misses_out_of_range_are_refused(misses: int) -> None:
    with pytest.raises(ValueError, match="tentative_misses"):
        ByteTrackConfig(tentative_misses=misses)
