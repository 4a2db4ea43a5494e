"""Opt-in snapshots are anonymised: CenterFace finds no face in what is published."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

from citytwin.paths import models_dir
from edge.privacy.centerface import CenterFace
from tests.e2e.edge_run import replay, site_config
from tests.support.brokers import MqttBroker

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def one_frame_video(image: Path, out: Path) -> Path:
    frame = cv2.imread(str(image))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"MJPG"), 1.0, (frame.shape[1], frame.shape[0]))
    writer.write(frame)
    writer.release()
    return out


def test_published_snapshots_have_no_findable_face(tmp_path: Path, still_path, mqtt_broker: MqttBroker) -> None:  # type: ignore[no-untyped-def]
    faces = CenterFace(models_dir() / "centerface.onnx")
    original = cv2.imread(str(still_path("messi5.jpg")))
    _, scores = faces.detect(original, 0.5)
    assert len(scores) >= 1, "the fixture must show a face for this test to mean anything"

    video = one_frame_video(still_path("messi5.jpg"), tmp_path / "messi.avi")
    config, site = site_config(tmp_path, video, mqtt_broker, snapshots={"enabled": True, "interval_s": 1})
    run = replay(config, site, mqtt_broker)

    snapshots = run.of_type("snapshot")
    assert snapshots, "snapshots are enabled but none was published"
    for snap in snapshots:
        jpeg = base64.b64decode(snap["body"]["jpeg_b64"])
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == original.shape
        assert snap["body"]["anonymised"] is True and snap["body"]["faces_blurred"] >= 1
        _, left = faces.detect(image, 0.5)
        assert len(left) == 0, f"a face with score {left.max():.2f} survived anonymisation"
