"""Run a benchmark plan on this device and write one result file per model."""

from __future__ import annotations

import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from citytwin import __version__
from edge.bench.agreement import measure_agreement, reference_of
from edge.bench.e2e import measure_end_to_end
from edge.bench.measure import Chunk, Point, measure_chunk, summarise
from edge.bench.models import gflop_at, model_facts
from edge.bench.node import open_publisher, source_facts
from edge.bench.plan import BenchPlan
from edge.detect.runtime import CPU
from hardware import gemm
from hardware.device import device_facts
from hardware.result import Agreement, BenchResult, ConfigResult, EndToEnd, GemmPeak, SourceFacts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """Where a run reads frames from, publishes to and writes results."""

    device: str
    video: Path
    results_dir: Path
    broker: tuple[str, int] | None
    progress: bool = True
    kafka: str | None = None  # with a broker: measure end to end to the twin through the bridge and Kafka
    emulated: str | None = None  # how this device is emulated (qemu-user), recorded so nobody reads it as real figures


def result_path(results_dir: Path, device: str, created: datetime, model: str) -> Path:
    """``<results>/<device>/<date>-<model>.json``; a second run on the same day replaces the first."""
    return results_dir / device / f"{created:%Y-%m-%d}-{model}.json"


@dataclass
class _Run:
    plan: BenchPlan
    options: RunOptions
    scratch: Path
    site: str
    frame: SourceFacts

    def gemm_peak(self) -> GemmPeak:
        lengths = self.plan.lengths
        threads = self.plan.threads if CPU in self.plan.providers else [max(self.plan.threads)]
        return gemm.probe(threads, lengths.gemm_size, lengths.gemm_runs)

    def points(self) -> list[Point]:
        flops: dict[tuple[str, int], float] = {}
        points = []
        for model in self.plan.models:
            for size, threads, provider in self.plan.points(model):
                if (model.name, size) not in flops:
                    flops[(model.name, size)] = gflop_at(model, size)
                points.append(Point(model, size, threads, provider, flops[(model.name, size)]))
        return points

    def matrix(self, points: list[Point]) -> list[list[Chunk]]:
        """Every point's chunks; round by round, so each round visits every point once."""
        lengths = self.plan.lengths
        chunks: list[list[Chunk]] = [[] for _ in points]
        publisher = open_publisher(self.site, self.scratch / "spool", self.options.broker)
        bar = tqdm(total=self.plan.total_frames, unit="frame", disable=not self.options.progress, dynamic_ncols=True)
        try:
            for round_index in range(lengths.rounds):
                for point, done in zip(points, chunks):
                    bar.set_description(f"round {round_index + 1}/{lengths.rounds} {point.model.name} {point.config.label}")
                    done.append(
                        measure_chunk(point, self.options.video, self.frame, lengths.warmup_in(round_index),
                                      lengths.chunk(round_index), publisher, self.site, self.scratch, bar.update)
                    )
        finally:
            bar.close()
            publisher.stop(drain_timeout=5.0)
        return chunks

    def agreements(self) -> dict[str, Agreement]:
        """Every int8 model with a known fp32 original, compared with it at its native size."""
        out: dict[str, Agreement] = {}
        frames = self.plan.lengths.agreement_frames
        if frames <= 0:
            self.plan.notes.append("int8 agreement with fp32 not measured: --agreement-frames 0")
            return out
        for model in self.plan.models:
            reference = reference_of(model)
            if reference is not None:
                out[model.name] = measure_agreement(
                    model, reference, self.options.video, frames, model.native_size,
                    max(self.plan.threads), self.scratch,
                )
        return out

    def end_to_end(self) -> EndToEnd | None:
        plan, broker = self.plan, self.options.broker
        if broker is None or plan.lengths.e2e_frames <= 0:
            plan.notes.append("end-to-end latency not measured: " + ("no MQTT broker reachable" if broker is None else "--e2e-frames 0"))
            return None
        choice = plan.e2e
        model = next(m for m in plan.models if m.name == choice.model)
        point = Point(model, choice.size, choice.threads, choice.provider, gflop_at(model, choice.size))
        log.info("end to end: %d frames of %s at %s through %s:%d", plan.lengths.e2e_frames, model.name, point.config.label, *broker)
        endpoint = None
        if self.options.kafka:
            # Imported here: the twin endpoint needs the cloud extras, which a lab device may not have.
            from citytwin.twin_endpoint import TwinEndpoint

            endpoint = TwinEndpoint(broker, self.options.kafka, self.site, self.scratch / "twin-endpoint")
        measured = measure_end_to_end(
            point, self.options.video, plan.lengths.e2e_frames, broker, self.site, self.scratch, endpoint=endpoint, timeout_s=60.0
        )
        if measured is None:
            plan.notes.append("end-to-end latency not measured: the frames produced no events")
        return measured


def run_bench(plan: BenchPlan, options: RunOptions) -> list[tuple[Path, BenchResult]]:
    """Measure the plan; writes and returns the result files."""
    created = datetime.now(timezone.utc).replace(microsecond=0)
    run_id = f"{created:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
    device = device_facts(options.device, options.emulated)
    source = source_facts(options.video)
    publish_target = "spool (SQLite) only: no broker" if options.broker is None else (
        "spool (SQLite), sent to MQTT {}:{} at QoS 1".format(*options.broker)
    )
    if options.broker is None:
        plan.notes.append("no MQTT broker reachable: the publish stage measured the on-disk spool; sending to a broker was skipped")
    with tempfile.TemporaryDirectory(prefix="citytwin-bench-") as tmp:
        run = _Run(plan, options, Path(tmp), f"bench{uuid.uuid4().hex[:8]}", source)
        points = run.points()
        before = run.gemm_peak()
        chunks = run.matrix(points)
        peak = gemm.best_of([before, run.gemm_peak()])
        e2e = run.end_to_end()
        agreements = run.agreements()
    configs: dict[str, list[ConfigResult]] = {m.name: [] for m in plan.models}
    for point, measured in zip(points, chunks):
        configs[point.model.name].append(summarise(point, measured, plan.lengths.warmup, peak))
    for name in sorted({p.model.name for p, measured in zip(points, chunks) if not measured[0].counted}):
        plan.notes.append(f"{name}: none of its labels is a class an edge node counts (COCO names); track and analytics ran on no objects")
    written = []
    for model in plan.models:
        result = BenchResult(
            run_id=run_id,
            created=created,
            citytwin=__version__,
            quick=plan.quick,
            device=device,
            model=model_facts(model),
            source=source,
            publish_target=publish_target,
            gemm=peak,
            configs=configs[model.name],
            end_to_end=e2e if e2e is not None and e2e.config.model == model.name else None,
            agreement=agreements.get(model.name),
            notes=list(plan.notes),
        )
        path = result_path(options.results_dir, options.device, created, model.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result.model_dump_json(indent=2) + "\n")
        log.info("wrote %s", path)
        written.append((path, result))
    return written

