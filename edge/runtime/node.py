"""One camera's edge loop: source, detect, track, analytics, events, publish.

Stages run in order on each frame and are timed under the contract's stage
names (``contract.vocab.STAGES``): decode, motion, preprocess, infer,
postprocess, track, analytics, snapshot, publish. Decoding runs ahead on its
own thread (``edge.decode_ahead`` frames), overlapping the network. Detection may be skipped
(every Nth frame, or no motion) and the tracker coasts through skipped
frames. Health and snapshots are scheduled on stream time, so a replay emits
them at the same places and its event ids repeat exactly.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from contract.model import Event
from contract.site import CameraSpec
from contract.topics import event_topic
from edge.analytics.scene import Scene
from edge.detect.base import Detector
from edge.events.emit import EventEmitter
from edge.events.factory import EventFactory
from edge.privacy.anonymise import Anonymiser, encode_jpeg
from edge.publish.base import Publisher
from edge.runtime.health import HealthReporter
from edge.runtime.settings import EdgeSettings
from edge.runtime.motion import MotionGate
from edge.runtime.quality import SceneQuality
from edge.runtime.reader import FrameReader
from edge.runtime.stats import StageTimer
from edge.source.base import VideoSource
from edge.track.base import Tracker
from edge.types import Detections, Frame, Tracks

log = logging.getLogger(__name__)


@dataclass
class Parts:
    """The stages a node runs, built from the config (or supplied by a test)."""

    source: VideoSource
    detector: Detector
    tracker: Tracker
    publisher: Publisher
    anonymiser: Anonymiser | None = None


@dataclass(frozen=True)
class FrameDone:
    """What one frame went through, for whoever watches the loop (the benchmark)."""

    frame: Frame
    decoded_at: float  # wall clock (epoch seconds) when the frame came out of the source: its capture, for a camera
    detections: Detections | None  # None where detection was skipped
    events: list[Event]
    ms: float  # the whole frame, decode to publish


class EdgeNode:
    """Runs the per-frame loop until the source ends, ``max_frames`` or ``stop()``."""

    def __init__(
        self, settings: EdgeSettings, camera: CameraSpec, parts: Parts, factory: EventFactory, timer: StageTimer | None = None
    ) -> None:
        self.settings = settings
        self.camera = camera
        self.parts = parts
        self.factory = factory
        self.timer = timer or StageTimer()
        labels = parts.detector.labels
        unknown = [c for c in self.settings.classes if c not in labels]
        if unknown:
            raise ValueError(f"edge.classes {unknown} are not labels of the detector model")
        self.class_ids = np.array([labels.index(c) for c in self.settings.classes])
        ground = camera.ground_fit if camera.calibration is not None else None
        self.scene = Scene(
            camera.lines, camera.zones, anchor=self.settings.anchor, count_interval_s=self.settings.count_interval_s,
            queue_speed_px_s=self.settings.queue_speed_px_s, ground=ground, heatmap_cell_m=self.settings.heatmap_cell_m,
        )
        self.emitter = EventEmitter(factory, labels, self.scene.heat.spec if self.scene.heat is not None else None)
        self._size_checked = camera.calibration is None
        self.gate = MotionGate(self.settings.motion.threshold, self.settings.motion.max_skip) if self.settings.motion.enabled else None
        self.health = HealthReporter(self.settings.health_interval_s)
        self.quality = SceneQuality(self.settings.quality)
        self._stop = threading.Event()
        self._next_health: float | None = None
        self._next_snapshot: float | None = None
        self.published = 0
        self.detections_run = 0

    def stop(self) -> None:
        """Finish the current frame, then stop (safe from a signal handler)."""
        self._stop.set()
        self.parts.source.close()

    def _frames(self, max_frames: int | None) -> Iterator[tuple[Frame, float, float]]:
        """Each frame with the perf-counter time its decode began and the wall-clock time it ended."""
        reader = FrameReader(self.parts.source, self.settings.decode_ahead)
        try:
            count = 0
            while not self._stop.is_set() and (max_frames is None or count < max_frames):
                decoded = reader.next()
                if decoded is None:
                    return
                self.timer.add("decode", decoded.ms)
                count += 1
                yield decoded.frame, decoded.begun, decoded.decoded_at
        finally:
            reader.close()

    def _detect_now(self, frame: Frame) -> bool:
        if frame.index % self.settings.detect_every:
            return False
        if self.gate is None:
            return True
        with self.timer.stage("motion"):
            return self.gate.should_detect(frame.image)

    def _track(self, frame: Frame) -> tuple[Detections | None, Tracks]:
        if not self._detect_now(frame):
            with self.timer.stage("track"):
                return None, self.parts.tracker.predict_only(frame.index)
        found = self._detect(frame)
        self.detections_run += 1
        with self.timer.stage("track"):
            return found, self.parts.tracker.update(found, frame.index)

    def _detect(self, frame: Frame) -> Detections:
        detector = self.parts.detector
        with self.timer.stage("preprocess"):
            prepared = detector.preprocess(frame.image)
        with self.timer.stage("infer"):
            outputs = detector.infer(prepared)
        with self.timer.stage("postprocess"):
            return detector.postprocess(outputs, prepared).of_class(self.class_ids)

    def _check_size(self, frame: Frame) -> None:
        """Drop speeds and the heatmap if the picture is not the size the calibration's pixels were measured on."""
        self._size_checked = True
        assert self.camera.calibration is not None
        expected = tuple(self.camera.calibration.image_size)
        if (frame.width, frame.height) != expected:
            log.error("camera %s: frames are %dx%d but its calibration was measured on %dx%d; no speeds or heatmap: "
                      "set calibration.image_size to the stream's size and measure the points again",
                      self.camera.id, frame.width, frame.height, *expected)
            self.scene.without_ground()
            self.emitter.grid = None

    def _publish(self, events: list[Event]) -> None:
        with self.timer.stage("publish"):
            for event in events:
                self.parts.publisher.publish(event_topic(event), event.to_json())
                self.published += 1

    def _scheduled(self, frame: Frame, tracks: Tracks) -> list[Event]:
        now = frame.ts.timestamp()
        events: list[Event] = []
        if self._next_health is None:
            self._next_health = now + self.settings.health_interval_s
        elif now >= self._next_health:
            self._next_health = now + self.settings.health_interval_s
            events.append(self.factory.make("node_health", frame.ts, self._health_body()))
        snap = self.settings.snapshots
        if self.parts.anonymiser is not None and snap.enabled:
            if self._next_snapshot is None or now >= self._next_snapshot:
                self._next_snapshot = now + snap.interval_s
                events.append(self._snapshot(frame, tracks))
        return events

    def _health_body(self) -> dict[str, object]:
        publisher = self.parts.publisher
        body = self.health.body(self.timer, self.parts.source.dropped, publisher.pending, publisher.dropped)
        return {**body, "scene": self.quality.report()}

    def _judge_scene(self, frame: Frame, found: Detections | None) -> None:
        """Part of analytics: a few statistics of a small copy of one frame in every_frames."""
        if self.quality.due(frame.index):
            self.quality.sample(frame.image)
        if found is not None:
            self.quality.detections(found)

    def _snapshot(self, frame: Frame, tracks: Tracks) -> Event:
        assert self.parts.anonymiser is not None
        with self.timer.stage("snapshot"):
            clean = self.parts.anonymiser.anonymise(frame.image, tracks.xyxy, tracks.class_id)
            jpeg = encode_jpeg(clean.image, self.settings.snapshots.jpeg_quality)
        body = {
            "jpeg_b64": base64.b64encode(jpeg).decode(),
            "width": frame.width,
            "height": frame.height,
            "anonymised": True,
            "faces_blurred": clean.faces,
            "vehicles_blurred": clean.vehicles,
        }
        return self.factory.make("snapshot", frame.ts, body)

    def run(self, max_frames: int | None = None, on_frame: Callable[[FrameDone], None] | None = None) -> StageTimer:
        """Process frames, telling ``on_frame`` about each one; returns the stage timings."""
        last_ts: datetime | None = None
        for frame, begun, decoded_at in self._frames(max_frames):
            found, tracks = self._track(frame)
            if not self._size_checked:
                self._check_size(frame)
            with self.timer.stage("analytics"):
                update = self.scene.update(tracks, frame.index, frame.ts.timestamp())
                events = self.emitter.frame(update, frame.ts)
                self._judge_scene(frame, found)
            events += self._scheduled(frame, tracks)
            self._publish(events)
            self.timer.frames += 1
            last_ts = frame.ts
            if on_frame is not None:
                on_frame(FrameDone(frame, decoded_at, found, events, (time.perf_counter() - begun) * 1000.0))
        if last_ts is not None:
            tail = self.scene.flush()
            final = [self.factory.make("node_health", last_ts, self._health_body())]
            if tail is not None:
                final.insert(0, self.emitter.interval(tail, last_ts))
            self._publish(final)
        return self.timer
