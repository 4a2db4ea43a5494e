"""NanoDet decoding on a stub ONNX graph whose six outputs are known constants."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge.detect.nanodet import MEAN, STD, NanoDet
from edge.detect.settings import NanoDetConfig

SIZE = 416
CLASSES = 80
BINS = 11
STRIDES = (8, 16, 32)
PERSON, CAR = 0, 2


def blank_outputs() -> dict[str, np.ndarray]:
    """All-zero scores and flat box distributions for every stride."""
    outputs = {}
    for stride in STRIDES:
        cells = (SIZE // stride) ** 2
        outputs[f"cls_{stride}"] = np.zeros((1, cells, CLASSES), np.float32)
        outputs[f"reg_{stride}"] = np.zeros((1, cells, 4 * BINS), np.float32)
    return outputs


def put(
    outputs: dict[str, np.ndarray], stride: int, row: int, col: int, class_id: int, score: float, bins: tuple[int, int, int, int]
) -> None:
    """One candidate at grid cell (row, col) whose sides (left, top, right, bottom) peak at ``bins``."""
    cell = row * (SIZE // stride) + col
    outputs[f"cls_{stride}"][0, cell, class_id] = score
    logits = np.zeros((4, BINS), np.float32)
    logits[np.arange(4), list(bins)] = 30.0  # softmax is one-hot to float32 precision
    outputs[f"reg_{stride}"][0, cell] = logits.reshape(-1)


def expected_box(stride: int, row: int, col: int, bins: tuple[int, int, int, int], sx: float, sy: float) -> list[float]:
    """The box in source pixels: sides measured from the cell centre, then scaled per axis."""
    cx, cy = (col + 0.5) * stride, (row + 0.5) * stride
    left, top, right, bottom = (b * stride for b in bins)
    return [(cx - left) * sx, (cy - top) * sy, (cx + right) * sx, (cy + bottom) * sy]


def build_model(path: Path, outputs: dict[str, np.ndarray]) -> Path:
    """A graph that ignores its input and returns ``outputs``, declared in a shuffled order."""
    names = sorted(outputs, reverse=True)  # reg_* before cls_*, coarse before fine: pairing must not rely on order
    nodes = [
        helper.make_node("Constant", [], [name], value=numpy_helper.from_array(outputs[name], f"{name}_value"))
        for name in names
    ]
    graph = helper.make_graph(
        nodes,
        "nanodet_stub",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, list(outputs[name].shape)) for name in names],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 2) for v in values]


def detect(path: Path, width: int, height: int, **settings: object) -> tuple[NanoDet, np.ndarray, np.ndarray, np.ndarray]:
    detector = NanoDet(NanoDetConfig(model=path, threads=1, **settings))
    found = detector.detect(np.zeros((height, width, 3), np.uint8))
    return detector, found.xyxy, found.confidence, found.class_id


@pytest.mark.parametrize(
    ("stride", "row", "col", "bins"),
    [
        (8, 30, 20, (1, 2, 3, 4)),
        (16, 5, 7, (2, 3, 4, 5)),
        (32, 6, 6, (0, 10, 5, 1)),
    ],
)
@pytest.mark.parametrize(("width", "height"), [(416, 416), (832, 416), (768, 576)])
def test_one_box_per_stride_lands_in_source_pixels(
    tmp_path: Path, stride: int, row: int, col: int, bins: tuple[int, int, int, int], width: int, height: int
) -> None:
    outputs = blank_outputs()
    put(outputs, stride, row, col, PERSON, 0.9, bins)
    _, xyxy, conf, cid = detect(build_model(tmp_path / "m.onnx", outputs), width, height)
    want = np.clip(expected_box(stride, row, col, bins, width / SIZE, height / SIZE), 0, [width, height, width, height])
    assert cid.tolist() == [PERSON]
    np.testing.assert_allclose(conf, [0.9], atol=1e-6)
    np.testing.assert_allclose(xyxy[0], want, atol=1e-3)


def test_side_length_is_the_expectation_over_bins(tmp_path: Path) -> None:
    outputs = blank_outputs()
    put(outputs, 16, 10, 10, PERSON, 0.9, (0, 0, 0, 0))
    # Equal logits on bins 2 and 4 for every side: expectation 3 bins = 48 px.
    logits = np.full((4, BINS), -30.0, np.float32)
    logits[:, [2, 4]] = 0.0
    outputs["reg_16"][0, 10 * 26 + 10] = logits.reshape(-1)
    _, xyxy, _, _ = detect(build_model(tmp_path / "m.onnx", outputs), SIZE, SIZE)
    np.testing.assert_allclose(xyxy[0], [168 - 48, 168 - 48, 168 + 48, 168 + 48], atol=1e-3)


def test_thresholds_nms_and_class_filter(tmp_path: Path) -> None:
    outputs = blank_outputs()
    put(outputs, 16, 10, 10, PERSON, 0.90, (2, 2, 2, 2))  # kept
    put(outputs, 16, 10, 11, PERSON, 0.80, (2, 2, 2, 2))  # same class, IoU 0.6 with the first: suppressed at 0.5
    put(outputs, 16, 11, 10, CAR, 0.85, (2, 2, 2, 2))  # IoU 0.6 with the first too, but another class: kept
    put(outputs, 8, 5, 5, PERSON, 0.43, (1, 1, 1, 1))  # above 0.4 but under the person threshold 0.45: dropped
    put(outputs, 32, 2, 2, CAR, 0.41, (1, 1, 1, 1))  # car uses the 0.4 default: kept
    path = build_model(tmp_path / "m.onnx", outputs)

    detector, _, conf, cid = detect(path, SIZE, SIZE, iou_threshold=0.5)
    names = [detector.labels[c] for c in cid]
    assert sorted(zip(names, rounded(conf))) == [("car", 0.41), ("car", 0.85), ("person", 0.9)]

    _, _, _, cid = detect(path, SIZE, SIZE, iou_threshold=0.5, classes=["person"])
    assert cid.tolist() == [PERSON]

    _, _, conf, _ = detect(path, SIZE, SIZE, iou_threshold=0.5, score_threshold=0.5, class_thresholds={})
    assert sorted(rounded(conf)) == [0.85, 0.9]


def test_nothing_above_threshold_is_empty(tmp_path: Path) -> None:
    outputs = blank_outputs()
    put(outputs, 8, 1, 1, PERSON, 0.2, (1, 1, 1, 1))
    _, xyxy, conf, cid = detect(build_model(tmp_path / "m.onnx", outputs), 640, 480)
    assert xyxy.shape == (0, 4) and conf.shape == (0,) and cid.shape == (0,)


def test_detect_is_its_three_stages(tmp_path: Path) -> None:
    outputs = blank_outputs()
    put(outputs, 16, 5, 7, PERSON, 0.9, (2, 3, 4, 5))
    detector = NanoDet(NanoDetConfig(model=build_model(tmp_path / "m.onnx", outputs), threads=1))
    image = np.zeros((576, 768, 3), np.uint8)
    prepared = detector.preprocess(image)
    assert prepared.blob.shape == (1, 3, SIZE, SIZE) and (prepared.width, prepared.height) == (768, 576)
    raw = detector.infer(prepared)
    # Class and box outputs in pairs, finest stride first, whatever order the graph declares them in.
    assert [o.shape for o in raw] == [outputs[f"{kind}_{s}"].shape for s in STRIDES for kind in ("cls", "reg")]
    staged, whole = detector.postprocess(raw, prepared), detector.detect(image)
    np.testing.assert_array_equal(staged.xyxy, whole.xyxy)
    np.testing.assert_allclose(staged.xyxy[0], expected_box(16, 5, 7, (2, 3, 4, 5), 768 / SIZE, 576 / SIZE), atol=1e-3)


def test_float_input_is_normalised_per_channel(tmp_path: Path) -> None:
    """A float-input graph gets the stretched image normalised with the model's mean and std, channel-first."""
    detector = NanoDet(NanoDetConfig(model=build_model(tmp_path / "m.onnx", blank_outputs()), threads=1))
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    blob = detector.preprocess(image).blob
    resized = cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    want = ((resized - MEAN) / STD).transpose(2, 0, 1)[None]
    assert blob.dtype == np.float32 and blob.shape == (1, 3, SIZE, SIZE)
    np.testing.assert_allclose(blob, want, rtol=1e-6, atol=1e-5)
