"""IoU between box sets and class-consistent one-to-one assignment."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

IntArray = NDArray[np.intp]

# Cost given to pairs that must not match; far above any 1 - IoU so the
# solver only picks them when nothing else is left, and they are dropped after.
_FORBIDDEN = 1e6


def iou_matrix(a: NDArray[Any], b: NDArray[Any]) -> NDArray[np.float64]:
    """Pairwise IoU of boxes ``a (M, 4)`` and ``b (N, 4)`` in xyxy, as ``(M, N)``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    overlap = np.maximum(bottom_right - top_left, 0.0)
    inter = overlap[..., 0] * overlap[..., 1]
    size_a = np.maximum(a[:, 2:] - a[:, :2], 0.0)
    size_b = np.maximum(b[:, 2:] - b[:, :2], 0.0)
    area_a = size_a[:, 0] * size_a[:, 1]
    area_b = size_b[:, 0] * size_b[:, 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0.0, inter / np.maximum(union, 1e-12), 0.0)


def greedy_assignment(cost: NDArray[np.float64]) -> tuple[IntArray, IntArray]:
    """Pairs by increasing cost, each row and column used once; exact on well-separated scenes."""
    order = np.argsort(cost, axis=None, kind="stable")
    rows_used = np.zeros(cost.shape[0], dtype=bool)
    cols_used = np.zeros(cost.shape[1], dtype=bool)
    rows: list[int] = []
    cols: list[int] = []
    for flat in order.tolist():
        r, c = divmod(flat, cost.shape[1])
        if not rows_used[r] and not cols_used[c]:
            rows_used[r] = cols_used[c] = True
            rows.append(r)
            cols.append(c)
    return np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)


def _solver() -> Callable[[NDArray[np.float64]], tuple[IntArray, IntArray]]:
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:  # pragma: no cover - depends on the install
        log.warning("scipy is not installed; tracking falls back to greedy IoU assignment")
        return greedy_assignment

    def solve(cost: NDArray[np.float64]) -> tuple[IntArray, IntArray]:
        rows, cols = linear_sum_assignment(cost)
        return np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)

    return solve


_solve = _solver()


def match(
    iou: NDArray[np.float64],
    track_class: NDArray[np.int32],
    det_class: NDArray[np.int32],
    min_iou: float,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Optimal one-to-one matches of tracks (rows) to detections (columns) by IoU.

    Pairs of different classes or with IoU below ``min_iou`` never match.
    Returns ``(matched_rows, matched_cols, unmatched_rows, unmatched_cols)``.
    """
    n_rows, n_cols = iou.shape
    all_rows = np.arange(n_rows, dtype=np.intp)
    all_cols = np.arange(n_cols, dtype=np.intp)
    allowed = (iou >= min_iou) & (track_class[:, None] == det_class[None, :])
    if not allowed.size or not allowed.any():
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, all_rows, all_cols
    cost = np.where(allowed, 1.0 - iou, _FORBIDDEN)
    rows, cols = _solve(cost)
    keep = allowed[rows, cols]
    rows, cols = rows[keep], cols[keep]
    free_rows = np.ones(n_rows, dtype=bool)
    free_rows[rows] = False
    free_cols = np.ones(n_cols, dtype=bool)
    free_cols[cols] = False
    return rows, cols, all_rows[free_rows], all_cols[free_cols]
