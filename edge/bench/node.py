"""The edge node a benchmark runs: ``EdgeNode`` itself, built from real parts over a fixed scene.

Every stage is the one ``citytwin edge`` runs, timed by the node under its
own stage names: the file source, the detector plugin built through the
registry, ByteTrack, the scene's lines and zones, the event emitter, and the
MQTT publisher, whose ``publish`` spools to disk and hands over to its
sender thread. The scene is a fixed set of two lines and a zone laid over
the frame in proportion to its size, so every device counts the same things
on the same video.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import cv2

from contract.site import CameraSpec, LineSpec, MapPosition, ZoneSpec
from contract.vocab import OBJECT_CLASSES, ObjectClass
from edge.detect.base import Detector
from edge.events.factory import EventFactory
from edge.publish.mqtt import MqttPublisher
from edge.publish.settings import MqttPublisherConfig
from edge.runtime.node import EdgeNode, Parts
from edge.runtime.settings import STREET_CLASSES, EdgeSettings
from edge.runtime.stats import StageTimer
from edge.source.base import SourceError
from edge.source.file import FileSource
from edge.source.settings import FileSourceConfig
from edge.track.registry import build_tracker
from hardware.result import SourceFacts

CAMERA = "cam-1"
# Capture times of replayed frames start here, so event ids and bodies repeat run to run.
STREAM_START = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)

# Geometry as fractions of the frame: a path crossing, a gate and a plaza (drawn for vtest.avi).
_LINES = {"path": ((0.0, 0.573), (1.0, 0.573)), "gate": ((0.5, 0.0), (0.5, 1.0))}
_ZONE = ((0.13, 0.434), (0.846, 0.434), (0.911, 1.0), (0.065, 1.0))


def source_facts(video: Path) -> SourceFacts:
    """Size and frame rate of the benchmark video."""
    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            raise SourceError(f"cannot open video {video}: not a video OpenCV can decode")
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        cap.release()
    return SourceFacts(video=video.name, width=width, height=height, fps=fps if 0 < fps <= 1000 else 25.0)


def bench_camera(width: int, height: int) -> CameraSpec:
    """The benchmark's camera: its lines and zone scaled to a ``width`` x ``height`` frame."""
    lines = [
        LineSpec(id=name, points=((a[0] * width, a[1] * height), (b[0] * width, b[1] * height)))
        for name, (a, b) in _LINES.items()
    ]
    zone = ZoneSpec(id="plaza", polygon=[(x * width, y * height) for x, y in _ZONE])
    return CameraSpec(id=CAMERA, map=MapPosition(x_m=0, y_m=0), lines=lines, zones=[zone])


def counted_classes(labels: list[str]) -> list[ObjectClass]:
    """The street classes the model knows; else every class of it an edge node may count (COCO names); else none."""
    street = [c for c in STREET_CLASSES if c in labels]
    return street or cast(list[ObjectClass], [c for c in OBJECT_CLASSES if c in labels])


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


def bench_node(
    source: FileSource, detector: Detector, publisher: MqttPublisher, site: str, frame: SourceFacts, timer: StageTimer
) -> EdgeNode:
    """An edge node with the default tracker over the benchmark's scene, timing its stages into ``timer``."""
    settings = EdgeSettings(classes=counted_classes(detector.labels))
    parts = Parts(source, detector, build_tracker(settings.tracker), publisher)
    factory = EventFactory(site, CAMERA, f"{site}-{CAMERA}")
    return EdgeNode(settings, bench_camera(frame.width, frame.height), parts, factory, timer)
