"""Run a camera's node over a recorded video, as fast as it goes, and keep what it reports by frame index."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from citytwin.deployment import Deployment
from contract.model import LineCrossing, ZoneOccupancy
from edge.accuracy.score import Observed
from edge.publish.base import Publisher
from edge.runtime.cli import build_node
from edge.runtime.node import FrameDone
from edge.source.settings import FileSourceConfig

log = logging.getLogger(__name__)

# Capture time of frame 0: fixed, so a replay stamps the same times every run.
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Discard(Publisher):
    """Accepts every message and sends none: the replay reads events from the loop, not from a broker."""

    def publish(self, topic: str, payload: bytes) -> bool:
        return True

    def stop(self, drain_timeout: float = 5.0) -> None:
        return None

    @property
    def pending(self) -> int:
        return 0

    @property
    def dropped(self) -> int:
        return 0


def replay(deployment: Deployment, camera_id: str, video: Path) -> Observed:
    """The crossings and occupancy changes the node of ``camera_id`` reports on ``video``, by frame index."""
    camera = deployment.camera(camera_id)
    source = FileSourceConfig(path=video, realtime=False, loop=False, start_time=START)
    node = build_node(deployment, camera, source, Discard())
    observed = Observed({line.id: [] for line in camera.lines}, {zone.id: [] for zone in camera.zones})

    def keep(done: FrameDone) -> None:
        for event in done.events:
            if isinstance(event, LineCrossing):
                observed.crossings[event.body.line].append((done.frame.index, event.body.direction))
            elif isinstance(event, ZoneOccupancy):
                observed.occupancy[event.body.zone].append((done.frame.index, event.body.total))

    try:
        timer = node.run(on_frame=keep)
    finally:
        node.parts.detector.close()
    log.info("camera %s: %d frames of %s, %d detections", camera_id, timer.frames, video, node.detections_run)
    return observed
