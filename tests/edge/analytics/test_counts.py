"""Interval counts: distinct tracks per class, roll-over, gaps, line totals."""

from __future__ import annotations

import pytest

from edge.analytics.counts import IntervalCount, IntervalCounter, LineTally
from edge.analytics.lines import Crossing
from tests.edge.analytics.helpers import at

Frame = tuple[float, list[tuple[int, int]]]  # timestamp, (track_id, class_id) seen


@pytest.mark.parametrize(
    ("frames", "align", "closed"),
    [
        # One track seen many times counts once.
        ([(0.0, [(1, 0)]), (10.0, [(1, 0)]), (59.9, [(1, 0)]), (60.0, [])], True, [(0.0, {0: 1}, 3)]),
        # Distinct ids per class; a track spanning a boundary counts in both intervals.
        (
            [(5.0, [(1, 0), (2, 2)]), (30.0, [(3, 2)]), (65.0, [(2, 2)]), (125.0, [])],
            True,
            [(0.0, {0: 1, 2: 2}, 2), (60.0, {2: 1}, 1)],
        ),
        # Aligned to the grid: the first frame at 90 s opens [60, 120).
        ([(90.0, [(1, 0)]), (119.0, []), (120.0, [])], True, [(60.0, {0: 1}, 2)]),
        # Unaligned: intervals start at the first frame.
        ([(90.0, [(1, 0)]), (149.0, []), (150.0, [])], False, [(90.0, {0: 1}, 2)]),
        # A gap of several intervals closes only the interval that saw frames.
        ([(1.0, [(1, 0)]), (500.0, [(2, 0)]), (541.0, [])], True, [(0.0, {0: 1}, 1), (480.0, {0: 1}, 1)]),
        # Frames without tracks still make an interval, with zero counts.
        ([(1.0, []), (61.0, [])], True, [(0.0, {}, 1)]),
    ],
)
def test_roll_over(frames: list[Frame], align: bool, closed: list[tuple[float, dict[int, int], int]]) -> None:
    counter = IntervalCounter(60.0, align=align)
    results = [counter.update(at(*[(t, 10.0 * t, 10.0, c) for t, c in seen]), ts) for ts, seen in frames]
    got = [(r.start, r.by_class, r.frames) for r in results if r is not None]
    assert got == closed


def test_line_totals_per_interval_and_reset_after_roll_over() -> None:
    counter = IntervalCounter(60.0, line_ids=["gate", "road"])
    counter.update(at(), 1.0, {"gate": [Crossing(1, 0, "in", 1), Crossing(2, 0, "in", 1), Crossing(3, 2, "out", 1)]})
    counter.update(at(), 2.0, {"side": [Crossing(4, 1, "out", 2)]})
    first = counter.update(at(), 61.0, {"gate": [Crossing(5, 0, "out", 3)]})
    assert first is not None
    assert first.lines == {
        "gate": LineTally({0: 2}, {2: 1}),
        "road": LineTally(),
        "side": LineTally({}, {1: 1}),
    }
    second = counter.flush()
    assert second == IntervalCount(60.0, 60.0, {}, {"gate": LineTally({}, {0: 1}), "road": LineTally()}, 1)
    assert counter.flush() is None


def test_flush_then_continue() -> None:
    counter = IntervalCounter(10.0)
    counter.update(at((1, 0, 0)), 3.0)
    assert counter.flush() == IntervalCount(0.0, 10.0, {0: 1}, {}, 1)
    assert counter.update(at((2, 0, 0)), 4.0) is None
    done = counter.update(at(), 10.0)
    assert done is not None and done.by_class == {0: 1} and done.end == 10.0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="interval_s must be > 0"):
        IntervalCounter(0)
    counter = IntervalCounter()
    counter.update(at(), 5.0)
    with pytest.raises(ValueError, match="got 4.0 after 5.0"):
        counter.update(at(), 4.0)
