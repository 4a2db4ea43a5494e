"""Replay vtest.avi through ``citytwin edge`` into the live Mosquitto and check what comes out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from contract.model import parse_event
from edge.analytics.geometry import anchor_points, points_in_polygon
from edge.detect.nanodet import NanoDet
from edge.detect.settings import NanoDetConfig
from edge.runtime.settings import EdgeSettings
from tests.e2e.edge_run import START, ZONE, EdgeRun, replay, site_config
from tests.support.brokers import MqttBroker

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

FRAMES = 300
FPS = 10.0


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, vtest_path: Path, mqtt_broker: MqttBroker) -> tuple[EdgeRun, EdgeRun]:
    tmp = tmp_path_factory.mktemp("replay")
    config, site = site_config(tmp, vtest_path, mqtt_broker)
    first = replay(config, site, mqtt_broker, "--max-frames", str(FRAMES), "--stats")
    second = replay(config, site, mqtt_broker, "--max-frames", str(FRAMES))
    return first, second


def frame_of(ts: str) -> int:
    start = datetime.fromisoformat(START)
    return round((datetime.fromisoformat(ts) - start).total_seconds() * FPS)


def test_every_payload_is_a_valid_event(runs: tuple[EdgeRun, EdgeRun]) -> None:
    first, _ = runs
    assert first.events, "the replay published nothing"
    for message in first.messages:
        if "/events/" in message.topic:
            event = parse_event(message.payload)
            assert message.topic.endswith(f"/events/{event.type}")


def test_counts_crossings_in_both_directions(runs: tuple[EdgeRun, EdgeRun]) -> None:
    directions = {e["body"]["direction"] for e in runs[0].of_type("line_crossing")}
    assert directions == {"in", "out"}


def test_publishes_node_health(runs: tuple[EdgeRun, EdgeRun]) -> None:
    health = runs[0].of_type("node_health")
    assert len(health) >= 2
    for h in health:
        assert h["body"]["frames"] > 0
        assert {"decode", "preprocess", "infer", "postprocess", "track", "analytics", "publish"} <= set(h["body"]["stage_ms"])


def test_stats_print_stage_latency_and_fps(runs: tuple[EdgeRun, EdgeRun]) -> None:
    out = runs[0].stdout
    for stage in ("decode", "preprocess", "infer", "postprocess", "track", "analytics", "publish"):
        assert stage in out
    assert f"frames {FRAMES}, effective" in out and "FPS" in out


def _without_health_bodies(run: EdgeRun) -> list[tuple[Any, ...]]:
    # Health bodies carry wall-clock figures; everything else must repeat exactly.
    return [
        (e["event_id"], e["type"], e["ts"], None if e["type"] == "node_health" else e["body"]) for e in run.events
    ]


def test_a_second_run_repeats_ids_and_counts(runs: tuple[EdgeRun, EdgeRun]) -> None:
    first, second = runs
    assert _without_health_bodies(first) == _without_health_bodies(second)


def _detected_in_zone(video: Path) -> Iterator[int]:
    """Per frame, detections of tracked classes whose anchor lies in the zone, straight from the detector."""
    detector = NanoDet(NanoDetConfig(threads=2))
    wanted = [detector.labels.index(c) for c in EdgeSettings().classes]
    polygon = np.array(ZONE, np.float64)
    cap = cv2.VideoCapture(str(video))
    for _ in range(FRAMES):
        ok, image = cap.read()
        assert ok
        found = detector.detect(image).of_class(wanted)
        yield int(points_in_polygon(anchor_points(found.xyxy), polygon).sum())
    cap.release()


def test_zone_occupancy_follows_the_detections(runs: tuple[EdgeRun, EdgeRun], vtest_path: Path) -> None:
    published = np.zeros(FRAMES, int)
    for event in runs[0].of_type("zone_occupancy"):
        published[frame_of(event["ts"]) :] = event["body"]["total"]
    detected = np.fromiter(_detected_in_zone(vtest_path), int, FRAMES)
    # Tracks need a few frames to confirm, so allow a short lag and a one-object difference.
    close = np.abs(published - detected) <= 1
    assert close.mean() >= 0.9, f"occupancy matched detections on only {close.mean():.0%} of frames"
    assert published.max() >= 3


@pytest.mark.parametrize("signature", [b"\xff\xd8\xff", b"\x89PNG", b"/9j/", b"iVBORw0KGgo"])
def test_no_pixels_leave_the_node_by_default(runs: tuple[EdgeRun, EdgeRun], signature: bytes) -> None:
    assert not runs[0].of_type("snapshot")
    assert all(signature not in m.payload for m in runs[0].messages)
