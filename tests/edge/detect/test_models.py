"""The committed model files match models/manifest.yaml, and int8 agrees with fp32 on real video."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import pytest
import yaml

from citytwin.paths import REPO_ROOT
from edge.detect.nanodet import NanoDet
from edge.detect.settings import NanoDetConfig
from edge.types import Detections

MODELS = REPO_ROOT / "models"
MANIFEST: dict[str, Any] = yaml.safe_load((MODELS / "manifest.yaml").read_text())["models"]
NANODET = [name for name, entry in MANIFEST.items() if entry.get("plugin") == "nanodet"]


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_file_matches_its_sha256_and_size(name: str) -> None:
    entry = MANIFEST[name]
    data = (MODELS / entry["file"]).read_bytes()
    assert len(data) == entry["size"], f"{entry['file']} is {len(data)} bytes, manifest says {entry['size']}"
    digest = hashlib.sha256(data).hexdigest()
    assert digest == entry["sha256"], f"{entry['file']} changed: run models/convert/update_manifest.py if on purpose"


@pytest.mark.parametrize("name", NANODET)
def test_nanodet_graph_has_the_documented_interface(name: str) -> None:
    entry = MANIFEST[name]
    graph = onnx.load(str(MODELS / entry["file"]), load_external_data=False).graph
    (image,) = graph.input
    dims = [d.dim_value for d in image.type.tensor_type.shape.dim]
    assert (image.name, dims) == (entry["input"]["name"], entry["input"]["shape"])
    outputs = {o.name: [d.dim_value for d in o.type.tensor_type.shape.dim] for o in graph.output}
    size = entry["input"]["shape"][2]
    assert outputs == {
        f"{kind}_{stride}": [1, (size // stride) ** 2, width]
        for stride in (8, 16, 32)
        for kind, width in (("cls", 80), ("reg", 44))
    }


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes ``a`` (N, 4) and ``b`` (M, 4)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    result: np.ndarray = inter / (area_a[:, None] + area_b[None, :] - inter)
    return result


@pytest.fixture(scope="module")
def people_in_frame_200(vtest_path: Path) -> dict[str, Detections]:
    cap = cv2.VideoCapture(str(vtest_path))
    for _ in range(200):
        assert cap.grab()
    ok, image = cap.read()
    cap.release()
    assert ok
    found = {}
    for name in NANODET:
        detector = NanoDet(NanoDetConfig(model=Path(MANIFEST[name]["file"]), threads=2, classes=["person"]))
        found[name] = detector.detect(image)
    return found


def test_int8_finds_the_same_people_as_fp32(people_in_frame_200: dict[str, Detections]) -> None:
    fp32, int8 = people_in_frame_200["nanodet-g-416"], people_in_frame_200["nanodet-g-416-int8"]
    assert len(fp32) >= 4
    overlap = iou(fp32.xyxy, int8.xyxy)
    assert overlap.shape[1] > 0
    # Every confident fp32 person has an int8 box in nearly the same place.
    confident = fp32.confidence >= 0.6
    assert (overlap[confident].max(axis=1) >= 0.8).all(), overlap.max(axis=1)
