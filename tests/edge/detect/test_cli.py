"""``citytwin detect`` builds any configured detector: from flags, from a deployment, over a file or a camera."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from citytwin.cli import main
from tests.edge.detect.yolo_graphs import build_model, row

# In the 64x64 letterboxed input; a 64x128 image is scaled by 0.5 and padded by 16 rows.
ROWS = [row(32, 32, 20, 10, [0.9, 0.0, 0.0]), row(33, 32, 20, 10, [0.0, 0.7, 0.0]), row(10, 20, 4, 4, [0.0, 0.0, 0.1])]
NAMES = {0: "person", 1: "car", 2: "boat"}


@pytest.fixture()
def yolo_export(tmp_path: Path) -> Path:
    return build_model(tmp_path / "yolo-export.onnx", ROWS, 3, NAMES)


@pytest.fixture()
def image(tmp_path: Path) -> Path:
    path = tmp_path / "frame.png"
    cv2.imwrite(str(path), np.zeros((64, 128, 3), np.uint8))
    return path


def site(tmp_path: Path, video: Path, detector: dict[str, Any]) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump({
        "site": {"id": "s", "name": "S", "width_m": 10, "height_m": 10},
        "edge": {"detector": detector},
        "cameras": [{"id": "cam-1", "map": {"x_m": 1, "y_m": 1}, "source": {"type": "file", "path": str(video)}}],
    }))
    return path


def frames_printed(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_a_yolo_export_from_flags(yolo_export: Path, image: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(image), "--detector", "yolo", "--model", str(yolo_export), "--json"]) == 0
    (frame,) = frames_printed(capsys.readouterr().out)
    assert [(o["class"], o["confidence"]) for o in frame["objects"]] == [("person", 0.9), ("car", 0.7)]
    assert frame["objects"][0]["xyxy"] == [44.0, 22.0, 84.0, 42.0]  # back in the image's pixels


def test_labels_from_a_file_rename_the_classes(yolo_export: Path, image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("bicycle\nbus\ntruck\n")
    assert main(["detect", str(image), "--detector", "yolo", "--model", str(yolo_export), "--labels", str(labels), "--json"]) == 0
    (frame,) = frames_printed(capsys.readouterr().out)
    assert [o["class"] for o in frame["objects"]] == ["bicycle", "bus"]


def test_the_deployment_s_detector_on_a_file(yolo_export: Path, image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = site(tmp_path, image, {"type": "yolo", "model": str(yolo_export), "score_threshold": 0.8})
    assert main(["detect", str(image), "--config", str(config), "--json"]) == 0
    (frame,) = frames_printed(capsys.readouterr().out)
    assert [o["class"] for o in frame["objects"]] == ["person"]  # the deployment's threshold, not the plugin's default


def test_the_deployment_s_camera_when_no_file_is_given(
    yolo_export: Path, vtest_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site(tmp_path, vtest_path, {"type": "yolo", "model": str(yolo_export)})
    assert main(["detect", "--config", str(config), "--camera", "cam-1", "--start", "3", "--every", "2", "--frames", "2", "--json"]) == 0
    frames = frames_printed(capsys.readouterr().out)
    assert [f["frame"] for f in frames] == [3, 5]
    assert all(o["xyxy"][2] <= 768 and o["xyxy"][3] <= 576 for f in frames for o in f["objects"])


def test_the_default_is_the_shipped_nanodet(still_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(still_path("person.jpg")), "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "person" in out and "with nanodet-g-416.onnx" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--detector", "yolo"], "--model: Field required"),
        (["--detector", "ssd"], "--detector: "),
        (["--labels", "labels.txt"], "--labels: the nanodet detector takes no such setting"),
        (["--config", "{site}", "--model", "x.onnx"], "--model and --config both choose the detector"),
        (["--camera", "cam-1"], "give its --config too"),
        (["--config", "{site}", "--camera", "cam-9"], "camera 'cam-9' is not in the config"),
        (["--config", "{site}", "--camera", "cam-1", "{image}"], "give one or the other"),
        (["--detector", "yolo", "--model", "{missing}"], "model file not found"),
    ],
)
def test_bad_choices_exit_2_with_a_reason(
    argv: list[str], message: str, yolo_export: Path, image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site(tmp_path, image, {"type": "yolo", "model": str(yolo_export)})
    media = [] if "--camera" in argv else [str(image)]
    values = {"{site}": str(config), "{image}": str(image), "{missing}": str(tmp_path / "absent.onnx")}
    assert main(["detect", *media, *[values.get(a, a) for a in argv]]) == 2
    assert message in capsys.readouterr().err
