"""Class-aware NMS and per-class thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from edge.detect.base import Thresholds
from edge.detect.nms import nms
from edge.detect.settings import DetectorSettings

A = [0, 0, 10, 10]
A_SHIFTED = [1, 1, 11, 11]  # IoU with A = 81/119 = 0.68
FAR = [50, 50, 60, 60]


@pytest.mark.parametrize(
    ("boxes", "scores", "classes", "iou", "kept"),
    [
        ([], [], [], 0.5, []),
        ([A], [0.5], [0], 0.5, [0]),
        ([A, A_SHIFTED], [0.9, 0.8], [0, 0], 0.5, [0]),
        ([A, A_SHIFTED], [0.8, 0.9], [0, 0], 0.5, [1]),
        ([A, A_SHIFTED], [0.9, 0.8], [0, 0], 0.7, [0, 1]),
        ([A, A_SHIFTED], [0.9, 0.8], [0, 1], 0.5, [0, 1]),
        ([A, FAR, A_SHIFTED], [0.7, 0.8, 0.9], [2, 2, 2], 0.5, [2, 1]),
    ],
)
def test_nms_table(boxes: list[list[float]], scores: list[float], classes: list[int], iou: float, kept: list[int]) -> None:
    result = nms(
        np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32), np.array(classes, np.int32), iou
    )
    assert result.tolist() == kept


def test_thresholds_per_class_and_filter() -> None:
    labels = ["person", "car", "boat"]
    settings = DetectorSettings(model="m.onnx", score_threshold=0.3, class_thresholds={"person": 0.5}, classes=["person", "car"])
    th = Thresholds(settings, labels)
    scores = np.array([0.45, 0.55, 0.35, 0.9], np.float32)
    classes = np.array([0, 0, 1, 2])
    assert th.keep(scores, classes).tolist() == [False, True, True, False]


def test_unknown_class_names_are_reported() -> None:
    settings = DetectorSettings(model="m.onnx", classes=["persn"])
    with pytest.raises(ValueError, match="unknown class names \\['persn'\\]"):
        Thresholds(settings, ["person"])
