"""The committed NanoDet models on recorded video and stills."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.detect.nanodet import NanoDet
from edge.detect.registry import build_detector
from edge.detect.runtime import ModelError
from edge.detect.settings import NanoDetConfig

MODELS = ["nanodet-g-416.onnx", "nanodet-g-416-int8.onnx"]


def frame_at(video: Path, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(video))
    for _ in range(index):
        assert cap.grab()
    ok, image = cap.read()
    cap.release()
    assert ok
    return image


@pytest.fixture(scope="module")
def frame_200(vtest_path: Path) -> np.ndarray:
    return frame_at(vtest_path, 200)


@pytest.fixture(scope="module", params=MODELS)
def detector(request: pytest.FixtureRequest) -> NanoDet:
    return NanoDet(NanoDetConfig(model=request.param, threads=2))


def test_finds_the_pedestrians_in_frame_200(detector: NanoDet, frame_200: np.ndarray) -> None:
    found = detector.detect(frame_200)
    people = found.of_class([detector.labels.index("person")])
    assert len(people) >= 4
    # Boxes are in source pixels and look like standing people.
    assert (people.xyxy[:, 2] <= 768).all() and (people.xyxy[:, 3] <= 576).all()
    heights = people.xyxy[:, 3] - people.xyxy[:, 1]
    widths = people.xyxy[:, 2] - people.xyxy[:, 0]
    assert (heights > widths).all()
    assert (people.confidence >= 0.45).all()


@pytest.mark.parametrize(("still", "label"), [("person.jpg", "person"), ("dog.jpg", "bicycle"), ("horses.jpg", "horse"), ("kite.jpg", "kite")])
def test_smoke_on_stills(detector: NanoDet, still_path: Callable[[str], Path], still: str, label: str) -> None:
    image = cv2.imread(str(still_path(still)))
    found = detector.detect(image)
    assert label in {detector.labels[c] for c in found.class_id}


def test_class_filter_keeps_only_wanted_classes(frame_200: np.ndarray) -> None:
    detector = NanoDet(NanoDetConfig(classes=["car", "truck"], threads=2))
    found = detector.detect(frame_200)
    assert {detector.labels[c] for c in found.class_id} <= {"car", "truck"}
    assert len(found) >= 1


def test_blank_image_finds_nothing(detector: NanoDet) -> None:
    assert len(detector.detect(np.zeros((480, 640, 3), np.uint8))) == 0


def test_registry_builds_the_default_detector() -> None:
    assert isinstance(build_detector(NanoDetConfig(threads=1)), NanoDet)


def test_missing_model_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found: .*absent.onnx"):
        NanoDet(NanoDetConfig(model=tmp_path / "absent.onnx"))


def test_corrupt_model_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 100)
    with pytest.raises(ModelError, match="cannot load model .*bad.onnx"):
        NanoDet(NanoDetConfig(model=bad))


def test_shipped_models_take_the_stretched_frame_as_uint8(detector: NanoDet, frame_200: np.ndarray) -> None:
    """The graph normalises: the plugin's whole preprocessing is one resize into its input buffer."""
    blob = detector.preprocess(frame_200).blob
    assert detector.uint8_input and blob.dtype == np.uint8 and blob.shape == (1, 416, 416, 3)
    np.testing.assert_array_equal(blob[0], cv2.resize(frame_200, (416, 416), interpolation=cv2.INTER_LINEAR))
