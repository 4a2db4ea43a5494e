"""Scene quality on generated frames and on vtest.avi: each flag raised by its own cause, none on a good picture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from contract.bodies import SceneQuality as SceneQualityBody
from edge.runtime.quality import SceneQuality, frame_statistics
from edge.runtime.settings import SceneQualitySettings
from edge.types import Detections

Image = np.ndarray


def _texture(seed: int = 0) -> Image:
    """A sharp, colourful, well-lit 576 x 768 picture: random coloured blocks."""
    blocks = np.random.default_rng(seed).integers(30, 230, (36, 48, 3), dtype=np.uint8)
    return cv2.resize(blocks, (768, 576), interpolation=cv2.INTER_NEAREST)


def _grey(image: Image) -> Image:
    return cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def _dim(image: Image) -> Image:
    return (image * 0.1).astype(np.uint8)


def _flat(image: Image) -> Image:
    return (128 + (image.astype(np.int16) - 128) // 12).astype(np.uint8)


def _blurred(image: Image) -> Image:
    return cv2.GaussianBlur(image, (0, 0), 5)


def _flags(image: Image) -> list[str]:
    quality = SceneQuality(SceneQualitySettings())
    quality.sample(image)
    report = quality.report()
    assert report is not None
    SceneQualityBody.model_validate(report)  # what the node reports is what the contract takes
    return list(report["flags"])


FRAMES: list[tuple[str, Callable[[Image], Image], list[str]]] = [
    ("a good picture", lambda i: i, []),
    ("night without infrared", _dim, ["dark", "low_contrast"]),
    ("an infrared picture", _grey, ["infrared"]),
    ("fog", _flat, ["low_contrast"]),
    ("out of focus", _blurred, ["blur"]),
]


@pytest.mark.parametrize(("name", "change", "expected"), FRAMES, ids=[f[0] for f in FRAMES])
def test_generated_frames(name: str, change: Callable[[Image], Image], expected: list[str]) -> None:
    assert _flags(change(_texture())) == expected


@pytest.fixture(scope="module")
def vtest_frames(vtest_path: Path) -> list[Image]:
    cap, frames = cv2.VideoCapture(str(vtest_path)), []
    for index in range(400):
        ok, image = cap.read()
        assert ok
        if index % 100 == 0:
            frames.append(image)
    cap.release()
    return frames


@pytest.mark.parametrize(("name", "change", "expected"), FRAMES, ids=[f[0] for f in FRAMES])
def test_vtest_frames(vtest_frames: list[Image], name: str, change: Callable[[Image], Image], expected: list[str]) -> None:
    for image in vtest_frames:
        assert _flags(change(image)) == expected


def test_statistics_at_any_size_are_taken_at_320_px() -> None:
    image = _texture()
    small = cv2.resize(image, (320, 240), interpolation=cv2.INTER_AREA)
    assert frame_statistics(image) == pytest.approx(frame_statistics(small))
    assert frame_statistics(np.zeros((1, 1, 3), np.uint8))["brightness"] == 0.0


def _detections(confidence: float, n: int = 10) -> Detections:
    return Detections([[0, 0, 10, 10]] * n, [confidence] * n, [0] * n)


def test_a_detector_losing_confidence_is_flagged_and_recovers() -> None:
    quality = SceneQuality(SceneQualitySettings(baseline_detections=100, min_detections=20))
    image = _texture()
    for _ in range(10):
        quality.detections(_detections(0.8))
    quality.sample(image)
    first = quality.report()
    assert first is not None and first["confidence_baseline"] == 0.8 and first["flags"] == []
    for _ in range(3):
        quality.detections(_detections(0.6))
    quality.sample(image)
    drifted = quality.report()
    assert drifted is not None and drifted["confidence"] == 0.6 and drifted["flags"] == ["confidence_drift"]
    assert drifted["reliable"] is False
    quality.detections(_detections(0.6, n=5))  # too few to judge: no flag either way
    quality.sample(image)
    judged = quality.report()
    assert judged is not None and judged["confidence"] is None and judged["flags"] == []


def test_no_report_before_a_sample_and_samples_every_n_frames() -> None:
    quality = SceneQuality(SceneQualitySettings(every_frames=25))
    assert quality.report() is None
    assert [f for f in range(100) if quality.due(f)] == [0, 25, 50, 75]


def _clip(source: Path, target: Path, frames: int, change: Callable[[Image], Image]) -> Path:
    cap = cv2.VideoCapture(str(source))
    out = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"MJPG"), 10, (768, 576))
    for _ in range(frames):
        out.write(change(cap.read()[1]))
    cap.release()
    out.release()
    return target


@pytest.mark.parametrize(("name", "change", "expected"), [("as recorded", lambda i: i, []), ("at night", _dim, ["dark", "low_contrast"])])
def test_the_node_reports_its_scene_in_node_health(
    tmp_path: Path, vtest_path: Path, name: str, change: Callable[[Image], Image], expected: list[str]
) -> None:
    from citytwin.deployment import load
    from contract.model import NodeHealth
    from edge.accuracy.replay import START, Discard
    from edge.runtime.cli import build_node
    from edge.runtime.node import FrameDone
    from edge.source.settings import FileSourceConfig

    deployment = load(Path(__file__).parents[3] / "deploy" / "demo-site.yaml", environ={})
    deployment = deployment.model_copy(update={"edge": deployment.edge.model_copy(update={"health_interval_s": 2.0})})
    source = FileSourceConfig(path=_clip(vtest_path, tmp_path / "clip.avi", 60, change), start_time=START)
    node = build_node(deployment, deployment.camera("cam-1"), source, Discard())
    health: list[NodeHealth] = []

    def keep(done: FrameDone) -> None:
        health.extend(e for e in done.events if isinstance(e, NodeHealth))

    node.run(on_frame=keep)
    node.parts.detector.close()
    assert len(health) >= 2
    for report in health:
        assert report.body.scene is not None and report.body.scene.flags == expected, name
        assert report.body.scene.reliable is (not expected)
