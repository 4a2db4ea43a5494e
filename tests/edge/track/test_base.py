"""Tracks: coercion, validation messages, filtering."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from edge.types import Tracks


def test_columns_are_coerced_to_their_dtypes() -> None:
    t = Tracks([[0, 0, 10, 10], [5, 5, 8, 9]], [0.5, 0.9], [0, 2], [3, 4])
    dtypes = [a.dtype.name for a in (t.xyxy, t.confidence, t.class_id, t.track_id, t.age, t.hits)]
    assert dtypes == ["float32", "float32", "int32", "int64", "int32", "int32"]
    assert t.age.tolist() == [0, 0] and t.hits.tolist() == [0, 0]
    assert len(t) == 2 and len(Tracks.empty()) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"xyxy": [[0, 0, 10]]}, r"xyxy: expected shape \(N, 4\), got \(1, 3\)"),
        ({"confidence": [0.5, 0.6]}, r"confidence: expected shape \(1,\) .*got \(2,\)"),
        ({"class_id": []}, r"class_id: expected shape \(1,\) .*got \(0,\)"),
        ({"track_id": [[1]]}, r"track_id: expected shape \(1,\) .*got \(1, 1\)"),
        ({"age": [1, 2]}, r"age: expected shape \(1,\) .*got \(2,\)"),
    ],
)
def test_validation_names_expected_and_actual_shapes(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"xyxy": [[0, 0, 10, 10]], "confidence": [0.5], "class_id": [0], "track_id": [1]}
    with pytest.raises(ValueError, match=message):
        Tracks(**(args | kwargs))


def test_duplicate_track_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique ids"):
        Tracks([[0, 0, 1, 1], [2, 2, 3, 3]], [1, 1], [0, 0], [5, 5])


def test_filter_keeps_rows_together() -> None:
    t = Tracks([[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]], [0.1, 0.2, 0.3], [0, 1, 2], [7, 8, 9], hits=[1, 2, 3])
    f = t.filter(np.array([True, False, True]))
    assert f.track_id.tolist() == [7, 9] and f.class_id.tolist() == [0, 2] and f.hits.tolist() == [1, 3]
    assert f.xyxy.tolist() == [[0, 0, 1, 1], [4, 4, 5, 5]]
    with pytest.raises(ValueError, match=r"mask of shape \(3,\), got \(2,\)"):
        t.filter(np.array([True, False]))
