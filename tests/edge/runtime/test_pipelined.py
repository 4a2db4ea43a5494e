"""The pipelined node on vtest.avi: the events of the one-thread loop, every frame finished in order, errors, stop.

The loop's output is under test here, not a transport: the node publishes to
a publisher that keeps what it is given, as the accuracy replay publishes to
one that discards it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from edge.accuracy.replay import Discard
from edge.bench.node import bench_camera
from edge.detect.base import Outputs, Prepared
from edge.detect.nanodet import NanoDet
from edge.detect.settings import NanoDetConfig
from edge.events.factory import EventFactory
from edge.runtime.node import EdgeNode, FrameDone, Parts
from edge.runtime.settings import EdgeSettings, MotionGate
from edge.source.file import FileSource
from edge.source.settings import FileSourceConfig
from edge.track.bytetrack import ByteTrack
from edge.types import Detections, Tracks

START = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)
FRAMES = 120  # past the first health event (10 s of stream at 10 fps) and with people crossing both lines


class Keep(Discard):
    """Keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    def publish(self, topic: str, payload: bytes) -> bool:
        self.messages.append((topic, payload))
        return True


class FailingTracker(ByteTrack):
    """ByteTrack that fails on one frame: a fault no real tracker can be made to raise on cue."""

    def __init__(self, on_frame: int) -> None:
        super().__init__()
        self.on_frame = on_frame

    def update(self, detections: Detections, frame_index: int) -> Tracks:
        if frame_index == self.on_frame:
            raise RuntimeError(f"tracker failed on frame {frame_index}")
        return super().update(detections, frame_index)


class FailingNetwork(NanoDet):
    """The int8 NanoDet whose session fails on one run, as a device that loses its accelerator would."""

    def __init__(self, on_run: int) -> None:
        super().__init__(NanoDetConfig(model=Path("nanodet-g-416-int8.onnx"), threads=2))
        self.on_run, self.runs = on_run, 0

    def infer(self, prepared: Prepared) -> Outputs:
        self.runs += 1
        if self.runs == self.on_run:
            raise RuntimeError(f"session failed on run {self.runs}")
        return super().infer(prepared)


@pytest.fixture(scope="module")
def detector() -> Iterator[NanoDet]:
    found = NanoDet(NanoDetConfig(model=Path("nanodet-g-416-int8.onnx"), threads=2))
    yield found
    found.close()


def _node(video: Path, settings: EdgeSettings, detector: NanoDet, tracker: ByteTrack | None = None) -> tuple[EdgeNode, Keep]:
    source = FileSource(FileSourceConfig(path=video, start_time=START), name="cam-1")
    kept = Keep()
    parts = Parts(source, detector, ByteTrack() if tracker is None else tracker, kept)
    return EdgeNode(settings, bench_camera(768, 576), parts, EventFactory("lab", "cam-1", "lab-cam-1")), kept


def _comparable(messages: list[tuple[str, bytes]]) -> list[tuple[str, dict[str, Any]]]:
    """Messages with the health bodies left out: they carry this run's timings and vitals."""
    out = []
    for topic, payload in messages:
        event = json.loads(payload)
        if event["type"] == "node_health":
            event.pop("body")
        out.append((topic, event))
    return out


SETTINGS = {
    "every frame": {},
    "every third frame": {"detect_every": 3},
    "motion gate": {"motion": MotionGate(enabled=True, threshold=0.01, max_skip=5)},
}


@pytest.mark.parametrize("changes", list(SETTINGS.values()), ids=list(SETTINGS))
def test_the_pipelined_node_publishes_what_the_one_thread_loop_does(
    changes: dict[str, Any], detector: NanoDet, vtest_path: Path
) -> None:
    runs = {}
    for pipelined in (False, True):
        node, kept = _node(vtest_path, EdgeSettings(pipelined=pipelined, **changes), detector)
        frames: list[int] = []
        threads: set[str] = set()

        def watch(done: FrameDone) -> None:
            frames.append(done.frame.index)
            threads.add(threading.current_thread().name)

        timer = node.run(FRAMES, on_frame=watch)
        assert frames == list(range(FRAMES))
        assert threads == ({"finish-cam-1"} if pipelined else {threading.current_thread().name})
        # Every stage sample belongs to a finished frame: one decode, track and analytics each, one infer per detection.
        assert timer.frames == timer.count("decode") == timer.count("track") == timer.count("analytics") == FRAMES
        assert timer.count("infer") == timer.count("postprocess") == node.detections_run
        runs[pipelined] = _comparable(kept.messages)
    crossings = [event for _topic, event in runs[False] if event["type"] == "line_crossing"]
    assert crossings, "no crossings in the frames compared: the comparison would prove little"
    assert runs[True] == runs[False]
    assert not [t for t in threading.enumerate() if t.name == "finish-cam-1"]


def test_a_failure_in_the_back_half_stops_the_node_with_that_error(detector: NanoDet, vtest_path: Path) -> None:
    node, _ = _node(vtest_path, EdgeSettings(), detector, FailingTracker(on_frame=30))
    frames: list[int] = []
    with pytest.raises(RuntimeError, match="tracker failed on frame 30"):
        node.run(FRAMES, on_frame=lambda done: frames.append(done.frame.index))
    assert frames == list(range(30))
    assert not [t for t in threading.enumerate() if t.name == "finish-cam-1"]


def test_a_failure_of_the_network_finishes_the_frames_before_it(vtest_path: Path) -> None:
    failing = FailingNetwork(on_run=20)
    try:
        node, _ = _node(vtest_path, EdgeSettings(), failing)
        frames: list[int] = []
        with pytest.raises(RuntimeError, match="session failed on run 20"):
            node.run(FRAMES, on_frame=lambda done: frames.append(done.frame.index))
    finally:
        failing.close()
    assert frames == list(range(19))  # the frame already inferred when the network failed was finished too


def test_stop_drains_the_frames_in_flight_and_still_reports_the_tail(detector: NanoDet, vtest_path: Path) -> None:
    node, kept = _node(vtest_path, EdgeSettings(), detector)
    frames: list[int] = []

    def watch(done: FrameDone) -> None:
        frames.append(done.frame.index)
        if done.frame.index == 10:
            node.stop()

    timer = node.run(on_frame=watch)
    assert frames == list(range(len(frames))) and 11 <= len(frames) <= 13
    assert node.detections_run == timer.frames == len(frames)  # nothing inferred was left unfinished
    assert json.loads(kept.messages[-1][1])["type"] == "node_health"
