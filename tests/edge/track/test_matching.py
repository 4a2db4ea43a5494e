"""IoU and class-consistent assignment."""

from __future__ import annotations

import numpy as np
import pytest

from edge.track.matching import greedy_assignment, iou_matrix, match


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),
        ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),
        ([0, 0, 10, 10], [10, 0, 20, 10], 0.0),  # touching edges
        ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),
        ([0, 0, 10, 10], [2, 2, 4, 4], 4 / 100),  # contained
        ([0, 0, 0, 0], [0, 0, 0, 0], 0.0),  # degenerate boxes do not divide by zero
    ],
)
def test_iou(a: list[float], b: list[float], expected: float) -> None:
    assert iou_matrix(np.array([a]), np.array([b]))[0, 0] == pytest.approx(expected)


def test_iou_matrix_shape_and_empty_sides() -> None:
    assert iou_matrix(np.zeros((3, 4)), np.zeros((2, 4))).shape == (3, 2)
    assert iou_matrix(np.zeros((0, 4)), np.zeros((2, 4))).shape == (0, 2)


def test_match_is_globally_optimal_not_greedy() -> None:
    pytest.importorskip("scipy.optimize", reason="without scipy, matching falls back to greedy")
    # Greedy takes (0, 0) at 0.9 and leaves row 1 with nothing; the optimum pairs both.
    iou = np.array([[0.9, 0.8], [0.85, 0.1]])
    rows, cols, left_rows, left_cols = match(iou, np.zeros(2, np.int32), np.zeros(2, np.int32), min_iou=0.3)
    assert dict(zip(rows.tolist(), cols.tolist())) == {0: 1, 1: 0}
    assert left_rows.size == 0 and left_cols.size == 0


@pytest.mark.parametrize(
    ("track_class", "det_class", "min_iou", "pairs"),
    [
        ([0, 2], [0, 2], 0.3, {0: 0, 1: 1}),
        ([0, 2], [2, 0], 0.3, {}),  # classes must agree
        ([0, 2], [0, 2], 0.95, {}),  # below the IoU floor
    ],
)
def test_match_respects_class_and_iou_floor(
    track_class: list[int], det_class: list[int], min_iou: float, pairs: dict[int, int]
) -> None:
    iou = np.array([[0.9, 0.0], [0.0, 0.9]])
    rows, cols, left_rows, left_cols = match(
        iou, np.array(track_class, np.int32), np.array(det_class, np.int32), min_iou
    )
    assert dict(zip(rows.tolist(), cols.tolist())) == pairs
    assert len(left_rows) == 2 - len(pairs) and len(left_cols) == 2 - len(pairs)


def test_greedy_fallback_pairs_each_row_and_column_once() -> None:
    rows, cols = greedy_assignment(np.array([[0.1, 0.5, 0.9], [0.2, 0.3, 0.4]]))
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 0), (1, 1)]
