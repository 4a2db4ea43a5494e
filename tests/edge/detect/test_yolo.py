"""The YOLOv8/YOLO11 decoder, on a small ONNX graph with known outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge.detect.runtime import ModelError
from edge.detect.settings import YoloConfig
from edge.detect.yolo import letterbox, Yolo

SIZE = 64


def build_model(path: Path, rows: list[list[float]], classes: int, names: dict[int, str] | None = None) -> Path:
    """A graph whose output is the constant ``rows`` (N, 4 + C) laid out as [1, 4 + C, N]."""
    table = np.array(rows, np.float32).T[None]  # (1, 4 + C, N)
    assert table.shape[1] == 4 + classes
    const = helper.make_node("Constant", [], ["output0"], value=numpy_helper.from_array(table, "table"))
    graph = helper.make_graph(
        [const],
        "yolo_stub",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(table.shape))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if names is not None:
        entry = model.metadata_props.add()
        entry.key, entry.value = "names", repr(names)
    onnx.save(model, path)
    return path


def row(cx: float, cy: float, w: float, h: float, scores: list[float]) -> list[float]:
    return [cx, cy, w, h, *scores]


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
