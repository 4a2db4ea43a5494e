"""Scoring a node's crossings and occupancy against a tally: matching within a tolerance, per line and zone."""

from __future__ import annotations

import pytest

from edge.accuracy.score import Observed, Score, match_frames, occupancy_at, score_camera, table, total
from edge.accuracy.tally import CameraTally

MATCHES = [
    # name, tallied frames, counted frames, tolerance, (matched, counted left over, tallied left over)
    ("exact", [10, 20], [10, 20], 0, (2, [], [])),
    ("within the tolerance", [10, 20], [13, 17], 3, (2, [], [])),
    ("just outside", [10], [14], 3, (0, [14], [10])),
    ("one count cannot match two tallies", [10, 12], [11], 5, (1, [], [12])),
    ("two counts of one crossing", [10], [9, 11], 5, (1, [11], [])),
    ("nothing counted", [10, 20], [], 5, (0, [], [10, 20])),
    ("nothing tallied", [], [10], 5, (0, [10], [])),
    ("unsorted input", [30, 10], [29, 11], 2, (2, [], [])),
    ("greedy keeps the most pairs", [10, 16], [13, 19], 3, (2, [], [])),
]


@pytest.mark.parametrize(("name", "tallied", "counted", "tolerance", "expected"), MATCHES, ids=[m[0] for m in MATCHES])
def test_match_frames(
    name: str, tallied: list[int], counted: list[int], tolerance: int, expected: tuple[int, list[int], list[int]]
) -> None:
    assert match_frames(tallied, counted, tolerance) == expected


@pytest.mark.parametrize(("frame", "expected"), [(0, 0), (4, 0), (5, 2), (9, 2), (10, 0), (50, 3)])
def test_occupancy_is_the_last_report_at_or_before_the_frame(frame: int, expected: int) -> None:
    assert occupancy_at([(5, 2), (10, 0), (20, 3)], frame) == expected


def test_a_camera_is_scored_per_line_direction_and_zone() -> None:
    tally = CameraTally.model_validate({
        "lines": {"gate": [{"frame": 10, "direction": "in"}, {"frame": 40, "direction": "out"}]},
        "zones": {"plaza": [{"frame": 5, "count": 2}, {"frame": 30, "count": 1}]},
    })
    observed = Observed(
        crossings={"gate": [(11, "in"), (41, "in")], "other": [(3, "in")]},
        occupancy={"plaza": [(0, 3), (25, 0)]},
    )
    line, zone = score_camera("cam-1", tally, observed, tolerance=5)
    # The 41 "in" does not match the tallied "out" at 40: direction matters. Untallied lines are not judged.
    assert (line.name, line.true_pos, line.false_pos, line.false_neg) == ("cam-1 line gate", 1, 1, 1)
    assert line.unmatched == ("counted in at 41", "missed out at 40")
    # Frame 5: 3 counted for 2 tallied; frame 30: 0 counted for 1 tallied.
    assert (zone.true_pos, zone.false_pos, zone.false_neg) == (2, 1, 1)
    text = table({"cam-1": [line, zone]})
    assert "cam-1 line gate: counted in at 41; missed out at 40" in text
    assert text.splitlines()[-3].split()[:4] == ["overall", "5", "5", "3"]


@pytest.mark.parametrize(
    ("score", "precision", "recall"),
    [(Score("x", 3, 1, 0), 0.75, 1.0), (Score("x", 0, 0, 0), 1.0, 1.0), (Score("x", 0, 2, 2), 0.0, 0.0)],
)
def test_precision_and_recall(score: Score, precision: float, recall: float) -> None:
    assert (score.precision, score.recall) == (precision, recall)


def test_total_adds_up() -> None:
    assert total("all", [Score("a", 1, 2, 3), Score("b", 4, 5, 6)]) == Score("all", 5, 7, 9)
