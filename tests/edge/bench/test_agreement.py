"""Detection agreement: one-to-one matching at an IoU, and the shipped int8 model against its fp32 original."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.bench.agreement import match, measure_agreement, reference_of, score
from edge.bench.models import load_model
from edge.types import Detections


def dets(*boxes: tuple[float, float, float, float, float]) -> Detections:
    rows = np.array(boxes, np.float32).reshape(-1, 5)
    return Detections(rows[:, :4], rows[:, 4], np.zeros(len(rows), np.int32))


def test_each_reference_box_matches_once() -> None:
    reference = dets((0, 0, 10, 10, 0.9))
    found = dets((0, 0, 10, 10, 0.8), (0, 0, 10, 10.5, 0.95))  # a duplicate: only one may count
    assert match(found, reference) == 1


def test_the_iou_threshold_is_inclusive_and_decides() -> None:
    reference = dets((0, 0, 10, 10, 0.9))
    assert match(dets((0, 0, 10, 5, 0.9)), reference) == 1  # IoU exactly 0.5
    assert match(dets((0, 0, 10, 4.9, 0.9)), reference) == 0
    assert match(dets(), reference) == 0 and match(reference, dets()) == 0


def test_nothing_against_nothing_is_perfect_agreement() -> None:
    assert score(0, 0, 0) == (1.0, 1.0, 1.0)
    assert score(0, 3, 0) == (0.0, 1.0, 0.0)


def test_only_int8_models_with_a_known_original_are_compared() -> None:
    reference = reference_of(load_model("nanodet-g-416-int8"))
    assert reference is not None and reference.name == "nanodet-g-416"
    assert reference_of(load_model("nanodet-g-416")) is None


@pytest.fixture(scope="module")
def int8_against_fp32(vtest_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[float, int, int, int]:
    model = load_model("nanodet-g-416-int8")
    found = measure_agreement(model, load_model("nanodet-g-416"), vtest_path, 20, 416, 2, tmp_path_factory.mktemp("a"))
    return found.f1, found.matched, found.extra, found.missed


def test_the_shipped_int8_model_agrees_with_fp32(int8_against_fp32: tuple[float, int, int, int]) -> None:
    f1, matched, extra, missed = int8_against_fp32
    assert matched > 50  # about 6 people a frame: the comparison saw real detections
    assert f1 == pytest.approx(2 * matched / (2 * matched + extra + missed), abs=1e-4)
    assert f1 >= 0.97


def test_a_model_agrees_with_itself(vtest_path: Path, tmp_path: Path) -> None:
    model = load_model("nanodet-g-416")
    found = measure_agreement(model, model, vtest_path, 3, 320, 2, tmp_path)
    assert found.matched > 0 and (found.extra, found.missed, found.f1) == (0, 0, 1.0)
