"""One camera's edge loop: source, detect, track, analytics, events, publish.

Stages run in order on each frame and are timed under the contract's stage
names (``contract.vocab.STAGES``): decode, motion, preprocess, infer,
postprocess, track, analytics, snapshot, publish. Decoding, the motion gate
and preprocessing run ahead on their own thread (``edge.decode_ahead``
frames), overlapping the network; so does the back half of each frame,
postprocess to publish, on another (``edge.pipelined``) while the network
runs on the next one. Frames leave the back half in order, and every
stateful stage (tracker, scene, events) runs there alone, so the events are
those of a loop that does one frame at a time.
Detection may be skipped (every Nth frame, or no motion) and the tracker
coasts through skipped frames. Health and snapshots are scheduled on stream
time, so a replay emits them at the same places and its event ids repeat
exactly.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from contract.model import Event
from contract.site import CameraSpec
from contract.topics import event_topic
from edge.analytics.scene import Scene
from edge.detect.base import Detector, Outputs, Prepared
from edge.events.emit import EventEmitter
from edge.events.factory import EventFactory
from edge.privacy.anonymise import Anonymiser, encode_jpeg
from edge.publish.base import Publisher
from edge.runtime.handoff import Handoff
from edge.runtime.health import HealthReporter
from edge.runtime.settings import EdgeSettings
from edge.runtime.motion import MotionGate
from edge.runtime.quality import SceneQuality
from edge.runtime.reader import Decoded, FrameReader
from edge.runtime.stats import FrameStages, StageTimer, Timing
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


@dataclass
class _InFlight:
    """A frame between the two halves of the loop, with its stage samples so far."""

    frame: Frame
    begun: float  # perf counter when its decode began
    decoded_at: float
    stages: FrameStages
    prepared: Prepared | None = None  # None where detection is skipped
    outputs: Outputs | None = None


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
        self._last_ts: datetime | None = None
        self._on_frame: Callable[[FrameDone], None] | None = None
        self.published = 0
        self.detections_run = 0

    def stop(self) -> None:
        """Finish the frames in flight, then stop (safe from a signal handler)."""
        self._stop.set()
        self.parts.source.close()

    def _front(self, back: Handoff[_InFlight], max_frames: int | None) -> None:
        """Infer each frame here (decoded and preprocessed ahead), handing the frame before to ``back`` as the network starts.

        Handed over only then, the back half runs its Python while
        onnxruntime has let go of the GIL instead of holding up this thread;
        a frame with no next one ready yet (a live camera) is handed over at
        once rather than wait for it.
        """
        reader = FrameReader(self.parts.source, self.settings.decode_ahead, self._prepare)
        held: _InFlight | None = None
        try:
            count = 0
            while not self._stop.is_set() and (max_frames is None or count < max_frames):
                if held is not None and not reader.ready():
                    back.put(held)
                    held = None
                job = reader.next()
                if job is None:
                    break
                count += 1
                if held is not None:
                    back.put(held)
                    held = None  # handed over: a failing network below must not hand it over again
                held = self._infer(job)
        finally:
            reader.close()
            if held is not None:
                back.put(held)

    def _prepare(self, decoded: Decoded) -> _InFlight:
        """On the decode thread, as each frame is decoded: whether to detect on it and, if so, the network's input."""
        job = _InFlight(decoded.frame, decoded.begun, decoded.decoded_at, FrameStages())
        job.stages.add("decode", decoded.ms)
        if self._detect_now(job):
            with job.stages.stage("preprocess"):
                job.prepared = self.parts.detector.preprocess(job.frame.image)
        return job

    def _infer(self, job: _InFlight) -> _InFlight:
        if job.prepared is not None:
            with job.stages.stage("infer"):
                job.outputs = self.parts.detector.infer(job.prepared)
            self.detections_run += 1
        return job

    def _detect_now(self, job: _InFlight) -> bool:
        if job.frame.index % self.settings.detect_every:
            return False
        if self.gate is None:
            return True
        with job.stages.stage("motion"):
            return self.gate.should_detect(job.frame.image)

    def _track(self, job: _InFlight) -> tuple[Detections | None, Tracks]:
        if job.prepared is None or job.outputs is None:
            with job.stages.stage("track"):
                return None, self.parts.tracker.predict_only(job.frame.index)
        with job.stages.stage("postprocess"):
            found = self.parts.detector.postprocess(job.outputs, job.prepared).of_class(self.class_ids)
        with job.stages.stage("track"):
            return found, self.parts.tracker.update(found, job.frame.index)

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

    def _publish(self, events: list[Event], timing: Timing) -> None:
        with timing.stage("publish"):
            for event in events:
                self.parts.publisher.publish(event_topic(event), event.to_json())
                self.published += 1

    def _scheduled(self, frame: Frame, tracks: Tracks, timing: Timing) -> list[Event]:
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
                events.append(self._snapshot(frame, tracks, timing))
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

    def _snapshot(self, frame: Frame, tracks: Tracks, timing: Timing) -> Event:
        assert self.parts.anonymiser is not None
        with timing.stage("snapshot"):
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

    def _finish(self, job: _InFlight) -> None:
        """The back half of a frame: postprocess, track, analytics, scheduled events, publish; then ``on_frame``."""
        frame, stages = job.frame, job.stages
        found, tracks = self._track(job)
        if not self._size_checked:
            self._check_size(frame)
        with stages.stage("analytics"):
            update = self.scene.update(tracks, frame.index, frame.ts.timestamp())
            events = self.emitter.frame(update, frame.ts)
            self._judge_scene(frame, found)
        events += self._scheduled(frame, tracks, stages)
        self._publish(events, stages)
        stages.into(self.timer)
        self.timer.frames += 1
        self._last_ts = frame.ts
        if self._on_frame is not None:
            self._on_frame(FrameDone(frame, job.decoded_at, found, events, (time.perf_counter() - job.begun) * 1000.0))

    def run(self, max_frames: int | None = None, on_frame: Callable[[FrameDone], None] | None = None) -> StageTimer:
        """Process frames, telling ``on_frame`` about each one (on the back half's thread); returns the stage timings."""
        self._on_frame = on_frame
        name = f"finish-{self.parts.source.name}"
        with Handoff(self._finish, name, threaded=self.settings.pipelined) as back:
            self._front(back, max_frames)
        if self._last_ts is not None:
            tail = self.scene.flush()
            final = [self.factory.make("node_health", self._last_ts, self._health_body())]
            if tail is not None:
                final.insert(0, self.emitter.interval(tail, self._last_ts))
            self._publish(final, self.timer)
        return self.timer
