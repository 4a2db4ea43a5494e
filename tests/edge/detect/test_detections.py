"""``Detections`` and ``Frame``: validation errors name the field, the expected and the actual shape."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np
import pytest

from edge.types import Detections, Frame

BOXES = [[0, 0, 10, 20], [5, 5, 15, 25], [30, 30, 40, 60]]


@pytest.mark.parametrize(
    ("xyxy", "confidence", "class_id", "message"),
    [
        ([[0, 0, 10]], [0.5], [0], r"Detections\.xyxy: expected shape \(N, 4\), got \(1, 3\)"),
        ([0, 0, 10, 20], [0.5], [0], r"Detections\.xyxy: expected shape \(N, 4\), got \(4,\)"),
        (np.zeros((2, 4, 1)), [0.5, 0.5], [0, 0], r"Detections\.xyxy: expected shape \(N, 4\), got \(2, 4, 1\)"),
        (BOXES, [0.5, 0.5], [0, 0, 0], r"Detections\.confidence: expected shape \(3,\) .*got \(2,\)"),
        (BOXES, [[0.5], [0.5], [0.5]], [0, 0, 0], r"Detections\.confidence: expected shape \(3,\) .*got \(3, 1\)"),
        (BOXES, [0.5, 0.5, 0.5], [0, 0], r"Detections\.class_id: expected shape \(3,\) .*got \(2,\)"),
        ([], [0.5], [], r"Detections\.confidence: expected shape \(0,\) .*got \(1,\)"),
    ],
)
def test_bad_shapes_are_named(xyxy: Any, confidence: Any, class_id: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Detections(xyxy, confidence, class_id)


def test_columns_get_their_dtypes() -> None:
    found = Detections(np.array(BOXES, np.float64), [0.9, 0.8, 0.7], np.array([0, 2, 0], np.int64))
    assert [c.dtype.name for c in (found.xyxy, found.confidence, found.class_id)] == ["float32", "float32", "int32"]
    assert found.xyxy.shape == (3, 4) and len(found) == 3


@pytest.mark.parametrize("made", [Detections.empty(), Detections([], [], [])])
def test_empty(made: Detections) -> None:
    assert len(made) == 0
    assert made.xyxy.shape == (0, 4) and made.confidence.shape == (0,) and made.class_id.shape == (0,)


def test_filter_and_of_class_keep_rows_together() -> None:
    found = Detections(BOXES, [0.9, 0.8, 0.7], [0, 2, 0])
    people = found.of_class([0])
    assert people.class_id.tolist() == [0, 0]
    np.testing.assert_array_equal(people.xyxy, np.array([BOXES[0], BOXES[2]], np.float32))
    np.testing.assert_allclose(people.confidence, [0.9, 0.7])
    assert len(found.filter(found.confidence > 0.75)) == 2
    assert len(found.of_class([5])) == 0


def test_filter_rejects_a_mask_of_the_wrong_length() -> None:
    found = Detections(BOXES, [0.9, 0.8, 0.7], [0, 2, 0])
    with pytest.raises(ValueError, match=r"expected a mask of shape \(3,\), got \(2,\)"):
        found.filter(np.array([True, False]))


def test_is_immutable() -> None:
    found = Detections.empty()
    with pytest.raises(AttributeError):
        found.xyxy = np.zeros((1, 4), np.float32)  # type: ignore[misc]


UTC_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((4, 4), np.uint8), r"expected an HxWx3 uint8 BGR array, got shape \(4, 4\) dtype uint8"),
        (np.zeros((4, 4, 4), np.uint8), r"got shape \(4, 4, 4\) dtype uint8"),
        (np.zeros((4, 4, 3), np.float32), r"got shape \(4, 4, 3\) dtype float32"),
    ],
)
def test_frame_rejects_images_that_are_not_bgr_uint8(image: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Frame(index=0, ts=UTC_NOW, image=image, source="cam")


def test_frame_needs_an_aware_timestamp() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Frame(index=0, ts=datetime(2024, 5, 1, 12, 0), image=np.zeros((2, 3, 3), np.uint8), source="cam")
    frame = Frame(index=7, ts=UTC_NOW, image=np.zeros((2, 3, 3), np.uint8), source="cam")
    assert (frame.height, frame.width) == (2, 3)
