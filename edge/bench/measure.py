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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.bench.models import BenchModel, save_resized
from edge.bench.pipeline import BenchPipeline, open_source, timed_next
from edge.bench.results import STAGES, ConfigResult, GemmPeak, Latency, Resources, RunConfig, StageResult
from edge.bench.sensors import ResourceSampler
from edge.bench.staged import CPU, open_staged
from edge.publish.mqtt import MqttPublisher
from edge.runtime.stats import StageTimer

log = logging.getLogger(__name__)

Advance = Callable[[int], object]


def latency(samples: Sequence[float]) -> Latency:
    """p50/p95/p99 of ``samples`` (milliseconds).

    Example:
        >>> latency([1.0, 2.0, 3.0, 4.0]).p50_ms
        2.5
    """
    if not samples:
        return Latency(p50_ms=0.0, p95_ms=0.0, p99_ms=0.0, samples=0)
    p50, p95, p99 = np.percentile(np.asarray(samples, np.float64), [50, 95, 99])
    return Latency(p50_ms=round(float(p50), 3), p95_ms=round(float(p95), 3), p99_ms=round(float(p99), 3), samples=len(samples))


class SampleTimer(StageTimer):
    """A ``StageTimer`` that also keeps every sample, so chunks measured apart can be pooled."""

    def __init__(self) -> None:
        super().__init__()
        self.samples: dict[str, list[float]] = {name: [] for name in STAGES}

    def add(self, name: str, ms: float) -> None:
        super().add(name, ms)
        self.samples.setdefault(name, []).append(ms)


@dataclass
class Chunk:
    """The measured frames of one point in one round."""

    stages: dict[str, list[float]]
    totals: list[float]
    objects: list[int]
    wall_s: float
    resources: Resources


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


def measure_chunk(
    point: Point,
    video: Path,
    warmup: int,
    frames: int,
    publisher: MqttPublisher,
    site: str,
    scratch: Path,
    advance: Advance = lambda _n: None,
) -> Chunk:
    """Load the point's model, run ``warmup`` frames of ``video``, then time every stage over ``frames`` frames."""
    detector = open_staged(point.model, save_resized(point.model, point.size, scratch), point.threads, point.provider)
    source = open_source(video)
    try:
        stream = iter(source.frames())
        first, _ = timed_next(stream, StageTimer())
        pipeline = BenchPipeline(detector, publisher, site, first.width, first.height)
        pipeline.run_frame(first)
        for _ in range(max(warmup - 1, 0)):
            pipeline.run_frame(timed_next(stream, pipeline.timer)[0])
        advance(max(warmup, 1))
        timer = pipeline.timer = SampleTimer()
        totals: list[float] = []
        objects: list[int] = []
        sampler = ResourceSampler().start()
        started = time.perf_counter()
        for _ in range(frames):
            begin = time.perf_counter()
            frame, _ = timed_next(stream, timer)
            objects.append(pipeline.run_frame(frame).objects)
            totals.append((time.perf_counter() - begin) * 1000.0)
            advance(1)
        wall = time.perf_counter() - started
        resources = sampler.stop()
    finally:
        source.close()
        detector.close()
    return Chunk(timer.samples, totals, objects, wall, resources)


def _pooled_resources(chunks: list[Chunk]) -> Resources:
    """Resources over all chunks: CPU and power weighted by wall time, peaks as peaks."""
    wall = sum(c.wall_s for c in chunks) or 1.0
    temperatures = [c.resources.temperature_c_max for c in chunks if c.resources.temperature_c_max is not None]
    powered = [c for c in chunks if c.resources.power_w is not None]
    power = sum((c.resources.power_w or 0.0) * c.wall_s for c in powered) / (sum(c.wall_s for c in powered) or 1.0)
    return Resources(
        cpu_percent=round(sum(c.resources.cpu_percent * c.wall_s for c in chunks) / wall, 1),
        rss_mb_peak=max(c.resources.rss_mb_peak for c in chunks),
        temperature_c_max=max(temperatures) if temperatures else None,
        power_w=round(power, 2) if powered else None,
        power_source=powered[0].resources.power_source if powered else None,
    )


def summarise(point: Point, chunks: list[Chunk], warmup: int, gemm: GemmPeak) -> ConfigResult:
    """One result from the chunks of one point, pooled as if measured in one go."""
    stages = []
    for name in STAGES:
        summary = latency([ms for c in chunks for ms in c.stages.get(name, [])])
        fps = 1000.0 / summary.p50_ms if summary.p50_ms > 0 else 0.0
        stages.append(StageResult(stage=name, latency=summary, fps=round(fps, 2)))
    inference = stages[STAGES.index("inference")]
    frames = sum(len(c.totals) for c in chunks)
    wall = sum(c.wall_s for c in chunks)
    frame_latency = latency([ms for c in chunks for ms in c.totals])
    # Medians, not frames over wall time: a burst of load elsewhere must not decide the figure.
    pipeline_fps = 1000.0 / frame_latency.p50_ms if frame_latency.p50_ms > 0 else 0.0
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
        pipeline_fps=round(pipeline_fps, 2),
        wall_fps=round(frames / wall, 2) if wall > 0 else 0.0,
        inference_fps=inference.fps,
        pipeline_ratio=round(pipeline_fps / inference.fps, 3) if inference.fps > 0 else 0.0,
        gflop=round(point.gflop, 3),
        achieved_gflops=round(achieved, 2),
        efficiency=round(achieved / peak, 3) if peak else None,
        objects_per_frame=float(np.median(objects)) if objects else 0.0,
        resources=_pooled_resources(chunks),
    )
