"""The edge path a benchmark drives: the node's stages, built from its own plugins.

Every stage is the one ``citytwin edge`` runs: the detector plugin (split
into preprocess, inference and postprocess with NMS), ByteTrack, the scene's
lines and zones, the event emitter, and the MQTT publisher, whose
``publish`` spools to disk and hands over to its sender thread. The scene is
a fixed set of two lines and a zone laid over the frame in proportion to
its size, so every device counts the same things on the same video.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from contract.model import Event
from contract.site import LineSpec, ZoneSpec
from contract.topics import event_topic
from edge.analytics.scene import Scene
from edge.bench.staged import StagedDetector
from edge.events.emit import EventEmitter
from edge.events.factory import EventFactory
from edge.publish.mqtt import MqttPublisher
from edge.publish.settings import MqttPublisherConfig
from edge.runtime.stats import StageTimer
from edge.source.file import FileSource
from edge.source.settings import FileSourceConfig
from edge.track.bytetrack import ByteTrack
from edge.track.settings import ByteTrackConfig
from edge.types import Frame

log = logging.getLogger(__name__)

CLASSES = ("person", "bicycle", "car", "motorcycle", "bus", "truck", "boat")
CAMERA = "cam-1"
# Capture times of replayed frames start here, so event ids and bodies repeat run to run.
STREAM_START = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)

# Geometry as fractions of the frame: a path crossing, a gate and a plaza (drawn for vtest.avi).
_LINES = {"path": ((0.0, 0.573), (1.0, 0.573)), "gate": ((0.5, 0.0), (0.5, 1.0))}
_ZONE = ((0.13, 0.434), (0.846, 0.434), (0.911, 1.0), (0.065, 1.0))


def bench_scene(width: int, height: int) -> Scene:
    """The benchmark's lines and zone scaled to a ``width`` x ``height`` frame."""
    lines = [
        LineSpec(id=name, points=((a[0] * width, a[1] * height), (b[0] * width, b[1] * height)))
        for name, (a, b) in _LINES.items()
    ]
    zone = ZoneSpec(id="plaza", polygon=[(x * width, y * height) for x, y in _ZONE])
    return Scene(lines, [zone], count_interval_s=60.0)


def open_source(video: Path, realtime: bool = False) -> FileSource:
    """The recorded video, looping so a run may be longer than the file; paced like a camera when ``realtime``."""
    return FileSource(FileSourceConfig(path=video, loop=True, realtime=realtime, start_time=STREAM_START), name=CAMERA)


def open_publisher(site: str, spool_dir: Path, broker: tuple[str, int] | None) -> MqttPublisher:
    """The node's MQTT publisher; connected when a broker is given, else it only spools."""
    config = MqttPublisherConfig(
        host=broker[0] if broker else "127.0.0.1", port=broker[1] if broker else 1883, spool_dir=spool_dir, keepalive_s=10
    )
    publisher = MqttPublisher(config, site=site, camera=CAMERA, node=f"{site}-{CAMERA}")
    if broker:
        publisher.start()
    return publisher


@dataclass
class FrameOutcome:
    """What one frame produced."""

    objects: int
    events: list[Event]


class BenchPipeline:
    """One camera's path after decoding, with each stage timed into a ``StageTimer``."""

    def __init__(self, detector: StagedDetector, publisher: MqttPublisher, site: str, width: int, height: int) -> None:
        self.detector = detector
        self.publisher = publisher
        wanted = [c for c in CLASSES if c in detector.labels]
        # A user model without the street classes is measured on all of its classes.
        self.class_ids = np.array([detector.labels.index(c) for c in wanted] or range(len(detector.labels)))
        self.tracker = ByteTrack(ByteTrackConfig())
        self.scene = bench_scene(width, height)
        self.factory = EventFactory(site, CAMERA, f"{site}-{CAMERA}")
        self.emitter = EventEmitter(self.factory, detector.labels)
        self.timer = StageTimer()

    def run_frame(self, frame: Frame) -> FrameOutcome:
        """Every stage after decode on one frame; events are published before returning."""
        timer = self.timer
        with timer.stage("preprocess"):
            prepared = self.detector.preprocess(frame.image)
        with timer.stage("inference"):
            outputs = self.detector.infer(prepared)
        with timer.stage("postprocess"):
            found = self.detector.postprocess(outputs, prepared).of_class(self.class_ids)
        with timer.stage("tracking"):
            tracks = self.tracker.update(found, frame.index)
        with timer.stage("analytics"):
            update = self.scene.update(tracks, frame.index, frame.ts.timestamp())
            events = self.emitter.frame(update, frame.ts)
        with timer.stage("publish"):
            for event in events:
                self.publisher.publish(event_topic(event), event.to_json())
        return FrameOutcome(len(found), events)


def timed_next(frames: Iterator[Frame], timer: StageTimer) -> tuple[Frame, float]:
    """The next frame, timed as the decode stage; returns it with its wall-clock capture time."""
    with timer.stage("decode"):
        frame = next(frames)
    return frame, time.time()
