"""The YOLOv8/YOLO11 decoder, on a small ONNX graph with known outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.detect.runtime import ModelError
from edge.detect.settings import YoloConfig
from edge.detect.yolo import Yolo, letterbox
from tests.edge.detect.yolo_graphs import SIZE, build_model, row


def test_letterbox_geometry() -> None:
    boxed, scale, pad = letterbox(np.zeros((64, 128, 3), np.uint8), SIZE)
    assert boxed.shape == (SIZE, SIZE, 3)
    assert scale == 0.5 and pad == (0.0, 16.0)
    assert boxed[0, 0, 0] == 114 and boxed[32, 32, 0] == 0


def test_decodes_boxes_back_to_source_pixels(tmp_path: Path) -> None:
    rows = [
        row(32, 32, 20, 10, [0.9, 0.0, 0.0]),  # kept
        row(33, 32, 20, 10, [0.8, 0.0, 0.0]),  # same class, overlaps: suppressed
        row(33, 32, 20, 10, [0.0, 0.7, 0.0]),  # other class, overlaps: kept
        row(10, 20, 4, 4, [0.0, 0.0, 0.1]),  # below threshold: dropped
    ]
    names = {0: "person", 1: "car", 2: "boat"}
    det = Yolo(YoloConfig(model=build_model(tmp_path / "y.onnx", rows, 3, names), class_thresholds={}))
    assert det.labels == ["person", "car", "boat"]
    found = det.detect(np.zeros((64, 128, 3), np.uint8))  # scale 0.5, pad_y 16
    assert found.class_id.tolist() == [0, 1]
    np.testing.assert_allclose(found.xyxy[0], [44, 22, 84, 42], atol=1e-4)
    np.testing.assert_allclose(found.confidence, [0.9, 0.7], atol=1e-6)


def test_per_class_threshold_and_filter(tmp_path: Path) -> None:
    rows = [row(10, 10, 4, 4, [0.5, 0.0]), row(50, 50, 4, 4, [0.0, 0.5])]
    path = build_model(tmp_path / "y.onnx", rows, 2, {0: "person", 1: "car"})
    assert len(Yolo(YoloConfig(model=path, class_thresholds={"person": 0.6})).detect(np.zeros((64, 64, 3), np.uint8))) == 1
    only_people = Yolo(YoloConfig(model=path, classes=["person"], class_thresholds={}))
    assert only_people.detect(np.zeros((64, 64, 3), np.uint8)).class_id.tolist() == [0]


def test_without_names_80_classes_are_coco(tmp_path: Path) -> None:
    det = Yolo(YoloConfig(model=build_model(tmp_path / "y.onnx", [row(5, 5, 2, 2, [0.0] * 80)], 80)))
    assert det.labels[0] == "person" and len(det.labels) == 80


def test_label_count_mismatch_is_reported(tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("a\nb\n")
    path = build_model(tmp_path / "y.onnx", [row(5, 5, 2, 2, [0.0] * 3)], 3)
    with pytest.raises(ModelError, match="3 classes but 2 labels"):
        Yolo(YoloConfig(model=path, labels=labels))


def test_detect_is_its_three_stages(tmp_path: Path) -> None:
    rows = [row(32, 32, 20, 10, [0.9, 0.0]), row(10, 30, 6, 6, [0.0, 0.6])]
    det = Yolo(YoloConfig(model=build_model(tmp_path / "y.onnx", rows, 2, {0: "person", 1: "car"}, protos=True)))
    image = np.zeros((64, 128, 3), np.uint8)
    prepared = det.preprocess(image)
    assert prepared.blob.shape == (1, 3, SIZE, SIZE) and prepared.blob.dtype == np.float32
    assert (prepared.width, prepared.height, prepared.scale, prepared.pad) == (128, 64, 0.5, (0.0, 16.0))
    outputs = det.infer(prepared)
    assert [o.shape for o in outputs] == [(1, 6, 2)]  # the mask prototypes are neither fetched nor decoded
    staged, whole = det.postprocess(outputs, prepared), det.detect(image)
    assert staged.class_id.tolist() == whole.class_id.tolist() == [0, 1]
    np.testing.assert_array_equal(staged.xyxy, whole.xyxy)
    np.testing.assert_allclose(staged.xyxy[1], [14, 22, 26, 34], atol=1e-4)  # unpadded, then scaled back by 2


def test_default_thresholds_fit_a_model_without_coco_names(tmp_path: Path) -> None:
    path = build_model(tmp_path / "y.onnx", [row(32, 32, 8, 8, [0.5, 0.0])], 2, {0: "pedestrian", 1: "cyclist"})
    assert Yolo(YoloConfig(model=path)).detect(np.zeros((64, 64, 3), np.uint8)).class_id.tolist() == [0]
    with pytest.raises(ValueError, match=r"unknown class names \['person'\]; the model's labels are pedestrian, cyclist"):
        Yolo(YoloConfig(model=path, class_thresholds={"person": 0.5}))
