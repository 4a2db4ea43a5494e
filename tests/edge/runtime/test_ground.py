"""A calibrated node reports speeds and a heatmap in its count events; one whose picture does not fit its calibration none."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import pytest

from citytwin.deployment import load
from contract.model import Count, parse_event
from edge.accuracy.replay import START, Discard
from edge.runtime.cli import build_node
from edge.source.settings import FileSourceConfig
from tests.edge.analytics.helpers import DEMO_SITE

FRAMES = 80  # cam-1's line is crossed three times in the first 8 s of vtest.avi


class Keep(Discard):
    """Keeps what the node publishes, as the broker would receive it."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []

    def publish(self, topic: str, payload: bytes) -> bool:
        self.payloads.append(payload)
        return True


def _counts(vtest_path: Path, clip: Path, size: tuple[int, int]) -> list[Count]:
    cap = cv2.VideoCapture(str(vtest_path))
    out = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for _ in range(FRAMES):
        out.write(cv2.resize(cap.read()[1], size))
    cap.release()
    out.release()
    deployment = load(DEMO_SITE, environ={})
    publisher = Keep()
    node = build_node(deployment, deployment.camera("cam-1"), FileSourceConfig(path=clip, start_time=START), publisher)
    node.run()
    node.parts.detector.close()
    events = [parse_event(p) for p in publisher.payloads]
    return [e for e in events if isinstance(e, Count)]


def test_a_calibrated_node_reports_walking_speeds_and_a_heatmap(vtest_path: Path, tmp_path: Path) -> None:
    counts = _counts(vtest_path, tmp_path / "clip.avi", (768, 576))
    assert counts
    speeds = [s for c in counts for s in c.body.speeds]
    assert speeds and all(s.line == "path-crossing" and s.object_class == "person" for s in speeds)
    assert all(2.0 <= s.mean_kmh <= 8.0 and 2.0 <= s.p85_kmh <= 8.0 for s in speeds), speeds
    assert all(c.body.heatmap is not None and c.body.heatmap.cell_m == 5.0 for c in counts)
    assert any(c.body.heatmap and c.body.heatmap.cells for c in counts)


def test_a_picture_of_another_size_than_the_calibration_gives_no_speeds_and_says_why(
    vtest_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="edge.runtime.node"):
        counts = _counts(vtest_path, tmp_path / "small.avi", (384, 288))
    assert counts and all(c.body.speeds == [] and c.body.heatmap is None for c in counts)
    assert any(c.body.by_class.get("person") for c in counts)  # it still sees and counts people
    assert "frames are 384x288 but its calibration was measured on 768x576" in caplog.text
