"""Measure matrix points: warm up, then time every stage over a fixed number of real frames.

A point is measured in chunks, one per round; a run interleaves the rounds
across all points, so a burst of load from elsewhere on a shared machine
lands on every configuration alike instead of skewing one of them. Each
chunk loads the model afresh and warms it up, so only one session is in
memory at a time and the memory figures are the point's own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from contract.vocab import STAGES
from edge.bench.models import BenchModel, save_resized
from edge.bench.node import bench_node, open_source
from edge.detect.runtime import CPU
from edge.publish.mqtt import MqttPublisher
from edge.runtime.node import FrameDone
from edge.runtime.stats import StageTimer
from hardware.result import ConfigResult, GemmPeak, Latency, Resources, RunConfig, SourceFacts, StageResult
from hardware.sensors import ResourceSampler, pooled

log = logging.getLogger(__name__)

Advance = Callable[[int], object]


class SampleTimer(StageTimer):
    """A ``StageTimer`` that also keeps every sample taken while ``recording``, so chunks measured apart can be pooled."""

    def __init__(self) -> None:
        super().__init__()
        self.recording = False
        self.samples: dict[str, list[float]] = {}

    def add(self, name: str, ms: float) -> None:
        super().add(name, ms)
        if self.recording:
            self.samples.setdefault(name, []).append(ms)


@dataclass
class Chunk:
    """The measured frames of one point in one round."""

    stages: dict[str, list[float]]
    totals: list[float]
    cycles: list[float]  # ms between one finished frame and the next: what the node sustains, overlap included
    objects: list[int]
    wall_s: float
    resources: Resources
    counted: list[str]


@dataclass(frozen=True)
class Point:
    """One matrix point with what is needed to judge it."""

    model: BenchModel
    size: int
    threads: int
    provider: str
    gflop: float

    @property
    def config(self) -> RunConfig:
        return RunConfig(
            model=self.model.name, precision=self.model.precision, input_size=self.size, threads=self.threads, provider=self.provider
        )


class _Watch:
    """Watches a node's frames: the first ``warmup`` only warm it up, the ``frames`` after them are measured.

    It is told of each frame once the node has finished it, just after the
    node gave the timer that frame's samples, so switching the timer on and
    off here measures exactly the measured frames, and none of the node's
    closing publish.
    """

    def __init__(self, timer: SampleTimer, warmup: int, frames: int, advance: Advance) -> None:
        self.timer, self.warmup, self.frames, self.advance = timer, warmup, frames, advance
        self.seen = 0
        self.totals: list[float] = []
        self.cycles: list[float] = []
        self._finished = 0.0
        self.objects: list[int] = []
        self.sampler: ResourceSampler | None = None
        self.started = self.wall_s = 0.0
        self.resources = Resources(cpu_percent=0.0, rss_mb_peak=0.0)

    def __call__(self, done: FrameDone) -> None:
        self.seen += 1
        now = time.perf_counter()
        if self.seen > self.warmup:
            self.cycles.append((now - self._finished) * 1000.0)
        self._finished = now
        if self.seen == self.warmup:
            self.advance(self.warmup)
            self.timer.recording = True
            self.sampler = ResourceSampler().start()
            self.started = time.perf_counter()
        elif self.seen > self.warmup:
            self.totals.append(done.ms)
            self.objects.append(0 if done.detections is None else len(done.detections))
            self.advance(1)
            if self.seen == self.warmup + self.frames:
                self.stop()

    def stop(self) -> None:
        """End the measurement (safe to call again)."""
        self.timer.recording = False
        if self.sampler is not None:
            self.wall_s = time.perf_counter() - self.started
            self.resources, self.sampler = self.sampler.stop(), None


def measure_chunk(
    point: Point,
    video: Path,
    frame: SourceFacts,
    warmup: int,
    frames: int,
    publisher: MqttPublisher,
    site: str,
    scratch: Path,
    advance: Advance = lambda _n: None,
) -> Chunk:
    """Load the point's model, run a node over ``warmup`` frames of ``video``, then time its stages over ``frames`` frames."""
    detector = point.model.detector(save_resized(point.model, point.size, scratch), point.threads, point.provider)
    source = open_source(video)
    timer = SampleTimer()
    watch = _Watch(timer, max(warmup, 1), frames, advance)
    try:
        node = bench_node(source, detector, publisher, site, frame, timer)
        node.run(watch.warmup + frames, on_frame=watch)
    finally:
        watch.stop()
        source.close()
        detector.close()
    return Chunk(timer.samples, watch.totals, watch.cycles, watch.objects, watch.wall_s, watch.resources, list(node.settings.classes))


def summarise(point: Point, chunks: list[Chunk], warmup: int, gemm: GemmPeak) -> ConfigResult:
    """One result from the chunks of one point, pooled as if measured in one go."""
    stages = []
    for name in [s for s in STAGES if any(c.stages.get(s) for c in chunks)]:
        summary = Latency.of([ms for c in chunks for ms in c.stages[name]])
        fps = 1000.0 / summary.p50_ms if summary.p50_ms > 0 else 0.0
        stages.append(StageResult(stage=name, latency=summary, fps=round(fps, 2)))
    inference = next((s for s in stages if s.stage == "infer"), StageResult(stage="infer", latency=Latency.of([]), fps=0.0))
    frames = sum(len(c.totals) for c in chunks)
    wall = sum(c.wall_s for c in chunks)
    frame_latency = Latency.of([ms for c in chunks for ms in c.totals])
    # The interval between finished frames, not their latency: decoding overlaps the network, so a frame's
    # decode-to-publish time is longer than the node's cycle. Medians, so a burst of load elsewhere does not decide.
    cycle = Latency.of([ms for c in chunks for ms in c.cycles])
    pipeline_fps = 1000.0 / cycle.p50_ms if cycle.p50_ms > 0 else 0.0
    inference_s = inference.latency.p50_ms / 1000.0
    achieved = point.gflop / inference_s if inference_s > 0 else 0.0
    peak = gemm.at(point.threads) if point.provider == CPU else None
    objects = [n for c in chunks for n in c.objects]
    return ConfigResult(
        config=point.config,
        warmup_frames=max(warmup, 1),
        frames=frames,
        rounds=len(chunks),
        stages=stages,
        frame_latency=frame_latency,
        frame_cycle=cycle,
        pipeline_fps=round(pipeline_fps, 2),
        wall_fps=round(frames / wall, 2) if wall > 0 else 0.0,
        inference_fps=inference.fps,
        pipeline_ratio=round(pipeline_fps / inference.fps, 3) if inference.fps > 0 else 0.0,
        gflop=round(point.gflop, 3),
        achieved_gflops=round(achieved, 2),
        efficiency=round(achieved / peak, 3) if peak else None,
        objects_per_frame=float(np.median(objects)) if objects else 0.0,
        resources=pooled([(c.resources, c.wall_s) for c in chunks]),
    )
