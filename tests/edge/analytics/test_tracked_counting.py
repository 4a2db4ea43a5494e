"""Detections through ByteTrack into a counting line: what the detector's flicker does to the counts."""

from __future__ import annotations

import pytest

from edge.analytics.lines import LineCounter
from edge.track.bytetrack import ByteTrack
from tests.edge.track.helpers import Row, box, dets

# A horizontal line at y = 300 across the frame: "in" is downwards.
LINE = [(0.0, 300.0), (640.0, 300.0)]


def walking_down(frame: int, x: float = 320.0) -> Row:
    """A 30 x 80 person whose feet move from y = 200 down 5 px a frame."""
    return box(x, 160.0 + 5 * frame, w=30, h=80)


def jittering(frame: int) -> Row:
    """A person walking down slowly whose box bottom jumps 14 px up and down on alternate frames."""
    return box(320.0, 210.0 + 2 * frame + (14 if frame % 2 else -14), w=30, h=80)


def seen_every(step: int, phase: int = 0) -> list[bool]:
    return [(f + phase) % step != 0 for f in range(60)]


CASES = [
    # name, detection per frame, whether detected on each frame, expected (ins, outs)
    ("detected on every frame", walking_down, [True] * 60, (1, 0)),
    ("detected on two frames of three, third missed", walking_down, seen_every(3, 1), (1, 0)),
    ("detected on two frames of three, second missed", walking_down, seen_every(3, 2), (1, 0)),
    ("detected on two frames of three, first missed", walking_down, seen_every(3, 0), (1, 0)),
    ("detected on every other frame: never confirmed", walking_down, [f % 2 == 0 for f in range(60)], (0, 0)),
    ("detected on two frames only, across the line", walking_down, [f in (27, 28) for f in range(60)], (0, 0)),
    ("a box jittering across the line", jittering, [True] * 60, (1, 0)),
    ("a jittering box on two frames of three", jittering, seen_every(3, 1), (1, 0)),
]


@pytest.mark.parametrize(("name", "person", "seen", "expected"), CASES, ids=[c[0] for c in CASES])
def test_counts_through_the_tracker(name: str, person: object, seen: list[bool], expected: tuple[int, int]) -> None:
    tracker, line = ByteTrack(), LineCounter(LINE)
    for frame, detected in enumerate(seen):
        found = [person(frame)] if detected else []  # type: ignore[operator]
        line.trigger(tracker.update(dets(found), frame), frame)
    assert (line.in_total, line.out_total) == expected


def test_a_flickering_crowd_counts_each_person_once() -> None:
    # Five people abreast, each missed on a different frame of three, plus a false positive on every other frame.
    tracker, line = ByteTrack(), LineCounter(LINE)
    for frame in range(60):
        found = [walking_down(frame, x=80.0 + 110 * i) for i in range(5) if (frame + i) % 3]
        if frame % 2:
            found.append(box(600, 295, w=30, h=80))
        line.trigger(tracker.update(dets(found), frame), frame)
    assert (line.in_total, line.out_total) == (5, 0)
