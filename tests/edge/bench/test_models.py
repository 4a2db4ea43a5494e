"""Models at other input sizes: NanoDet is resized in memory and still finds the pedestrians."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.bench.models import gflop_at, load_model, model_facts, save_resized
from edge.detect.runtime import ModelError
from tests.edge.bench.graphs import YOLO_SIZE, yolo_stub


@pytest.fixture(scope="module")
def frame_200(vtest_path: Path) -> np.ndarray:
    cap = cv2.VideoCapture(str(vtest_path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 200)
    ok, image = cap.read()
    cap.release()
    assert ok
    return np.asarray(image)


@pytest.mark.parametrize("size", [320, 416, 512])
@pytest.mark.parametrize("name", ["nanodet-g-416", "nanodet-g-416-int8"])
def test_resized_nanodet_finds_people(name: str, size: int, tmp_path: Path, frame_200: np.ndarray) -> None:
    model = load_model(name)
    path = save_resized(model, size, tmp_path)
    detector = model.detector(path, threads=2, provider="CPUExecutionProvider")
    try:
        prepared = detector.preprocess(frame_200)
        assert prepared.blob.shape == (1, size, size, 3) and prepared.blob.dtype == np.uint8
        outputs = detector.infer(prepared)
        assert sorted({o.shape[1] for o in outputs}) == sorted((size // s) ** 2 for s in (8, 16, 32))
        found = detector.postprocess(outputs, prepared)
    finally:
        detector.close()
    people = int((found.class_id == 0).sum())
    assert people >= 4, f"{name} at {size} found {people} people in frame 200"


def test_native_size_uses_the_file_itself(tmp_path: Path) -> None:
    model = load_model("nanodet-g-416")
    assert save_resized(model, 416, tmp_path) == model.path
    assert not list(tmp_path.iterdir())


def test_sizes_off_the_stride_grid_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="multiple of 32"):
        save_resized(load_model("nanodet-g-416"), 330, tmp_path)


def test_yolo_runs_at_its_exported_size_only(tmp_path: Path) -> None:
    model = load_model(str(yolo_stub(tmp_path / "stub.onnx")))
    assert (model.plugin, model.native_size, model.precision) == ("yolo", YOLO_SIZE, "fp32")
    assert model.supports(YOLO_SIZE) and not model.supports(128)
    with pytest.raises(ModelError, match="fixed input"):
        gflop_at(model, 128)
    detector = model.detector(model.path, threads=1, provider="CPUExecutionProvider")
    try:
        found = detector.detect(np.zeros((96, 128, 3), np.uint8))
    finally:
        detector.close()
    assert found.xyxy.shape[1] == 4
    facts = model_facts(model)
    assert facts.plugin == "yolo" and len(facts.sha256) == 64 and "fixed input" in facts.sizes_note


def test_unknown_model_names_the_choices() -> None:
    with pytest.raises(ModelError, match="nanodet-g-416-int8"):
        load_model("no-such-model.onnx")
