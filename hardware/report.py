"""Compare benchmark results across devices: Markdown tables and the headline figures.

``citytwin bench report`` reads every ``hardware/results/<device>/*.json``,
keeps the newest file per device and model, and writes
``hardware/results/REPORT.md`` and ``hardware/results/report.png``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from citytwin.errors import CitytwinError
from contract.vocab import STAGES
from hardware.result import Agreement, BenchResult, ConfigResult, RunConfig

log = logging.getLogger(__name__)


class ResultError(CitytwinError, ValueError):
    """A result file cannot be read; the message names it."""


def load_result(path: Path) -> BenchResult:
    """One result file, validated."""
    try:
        return BenchResult.model_validate_json(path.read_text())
    except (OSError, ValidationError) as exc:
        raise ResultError(f"{path}: not a valid benchmark result ({exc})") from None


def latest_results(folder: Path) -> list[BenchResult]:
    """The newest result per device and model under ``folder``/<device>/, by device then model."""
    newest: dict[tuple[str, str], BenchResult] = {}
    for path in sorted(folder.glob("*/*.json")):
        result = load_result(path)
        key = (result.device.name, result.model.name)
        if key not in newest or result.created > newest[key].created:
            newest[key] = result
    return [newest[k] for k in sorted(newest)]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _device_label(result: BenchResult) -> str:
    label = f"{result.device.name} (quick)" if result.quick else result.device.name
    return f"{label} (emulated)" if result.device.emulated else label


def config_table(results: list[BenchResult]) -> list[str]:
    """One row per configuration: throughput, latency, efficiency, resources."""
    header = [
        "device", "model", "size", "threads", "provider", "pipeline FPS", "inference FPS", "pipeline / inference", "wall FPS",
        "frame p50 ms", "frame p95 ms", "frame p99 ms", "GFLOP", "GFLOP/s", "efficiency", "CPU %", "RSS MiB", "temp °C", "power W",
    ]
    rows = []
    for result in results:
        for c in result.configs:
            cfg, res = c.config, c.resources
            rows.append([
                _device_label(result), cfg.model, str(cfg.input_size), str(cfg.threads), cfg.provider.removesuffix("ExecutionProvider"),
                _fmt(c.pipeline_fps), _fmt(c.inference_fps), _fmt(c.pipeline_ratio, 2), _fmt(c.wall_fps),
                _fmt(c.frame_latency.p50_ms), _fmt(c.frame_latency.p95_ms), _fmt(c.frame_latency.p99_ms),
                _fmt(c.gflop, 2), _fmt(c.achieved_gflops), "n/a" if c.efficiency is None else f"{c.efficiency:.0%}",
                _fmt(res.cpu_percent, 0), _fmt(res.rss_mb_peak, 0), _fmt(res.temperature_c_max), _fmt(res.power_w),
            ])
    return _table(header, rows)


def stage_table(results: list[BenchResult]) -> list[str]:
    """p50 / p95 milliseconds of every stage, one row per configuration."""
    timed = {s.stage for r in results for c in r.configs for s in c.stages}
    stages = [s for s in STAGES if s in timed]
    header = ["device", "configuration", *stages]
    rows = []
    for result in results:
        for c in result.configs:
            by_stage = {s.stage: s.latency for s in c.stages}
            cells = [f"{_fmt(by_stage[s].p50_ms, 2)} / {_fmt(by_stage[s].p95_ms, 2)}" if s in by_stage else "n/a" for s in stages]
            rows.append([_device_label(result), c.config.label, *cells])
    return _table(header, rows)


def device_table(results: list[BenchResult]) -> list[str]:
    """The devices compared, with their GEMM peak."""
    seen: dict[str, BenchResult] = {}
    for result in results:
        seen.setdefault(result.device.name, result)
    header = ["device", "CPU", "cores", "memory GiB", "OS", "onnxruntime", "providers", "GEMM peak GFLOP/s"]
    rows = []
    for result in seen.values():
        d, gemm = result.device, result.gemm
        peaks = ", ".join(f"{p.gflops:.0f} ({p.threads}t)" for p in gemm.points)
        providers = ", ".join(p.removesuffix("ExecutionProvider") for p in d.providers)
        rows.append([d.name, d.cpu_model, str(d.cores_logical), _fmt(d.memory_gb), d.os, d.onnxruntime, providers, peaks])
    return _table(header, rows)


def e2e_table(results: list[BenchResult]) -> list[str]:
    """Capture-to-visible latency per device."""
    header = ["device", "endpoint", "configuration", "frames", "events seen", "p50 ms", "p95 ms", "p99 ms"]
    rows = []
    for result in results:
        e = result.end_to_end
        if e is not None:
            rows.append([
                _device_label(result), e.endpoint, e.config.label, str(e.frames), f"{e.events_seen}/{e.events_published}",
                _fmt(e.latency.p50_ms), _fmt(e.latency.p95_ms), _fmt(e.latency.p99_ms),
            ])
    return _table(header, rows)


@dataclass(frozen=True)
class Headline:
    """The figures that answer "how close to the limit" for one device, from one run."""

    device: str
    point: str
    fp32: ConfigResult | None
    int8: ConfigResult | None
    e2e: BenchResult | None
    agreement: Agreement | None = None

    def lines(self) -> list[str]:
        out = [f"{self.device}, at {self.point}:"]
        for name, c in (("fp32", self.fp32), ("int8", self.int8)):
            if c is None:
                continue
            eff = "n/a" if c.efficiency is None else f"{c.efficiency:.0%}"
            out.append(
                f"  {name}: pipeline {c.pipeline_fps:.1f} FPS, inference only {c.inference_fps:.1f} FPS "
                f"(pipeline / inference {c.pipeline_ratio:.2f}); {c.gflop:.2f} GFLOP/frame at {c.achieved_gflops:.1f} GFLOP/s "
                f"= {eff} of the GEMM peak"
            )
        if self.fp32 is not None and self.int8 is not None and self.fp32.pipeline_fps > 0:
            out.append(f"  int8 / fp32 pipeline FPS: {self.int8.pipeline_fps / self.fp32.pipeline_fps:.2f}x")
        if self.agreement is not None:
            a = self.agreement
            out.append(
                f"  int8 detections against {a.reference}: F1 {a.f1:.3f} (precision {a.precision:.3f}, recall {a.recall:.3f}; "
                f"{a.object_class}, IoU {a.iou}, {a.frames} frames)"
            )
        if self.e2e is not None and self.e2e.end_to_end is not None:
            e = self.e2e.end_to_end
            out.append(
                f"  end to end ({e.endpoint}, {e.config.label}): p50 {e.latency.p50_ms:.1f} ms, "
                f"p95 {e.latency.p95_ms:.1f} ms over {e.events_seen} events"
            )
        return out


def headline(results: list[BenchResult]) -> Headline | None:
    """fp32 against int8 at the end-to-end configuration's size, threads and provider (one device)."""
    if not results:
        return None
    with_e2e = next((r for r in results if r.end_to_end is not None), None)
    ref: RunConfig = with_e2e.end_to_end.config if with_e2e and with_e2e.end_to_end else results[0].configs[0].config

    def at_ref(precision: str) -> ConfigResult | None:
        for result in results:
            for c in result.configs:
                cfg = c.config
                if (cfg.precision, cfg.input_size, cfg.threads, cfg.provider) == (precision, ref.input_size, ref.threads, ref.provider):
                    return c
        return None

    point = f"input {ref.input_size}, {ref.threads} threads, {ref.provider.removesuffix('ExecutionProvider')}"
    agreement = next((r.agreement for r in results if r.agreement is not None), None)
    device = results[0].device
    name = f"{device.name} (emulated: {device.emulated}; not the device's speed)" if device.emulated else device.name
    return Headline(name, point, at_ref("fp32"), at_ref("int8"), with_e2e, agreement)


def markdown(results: list[BenchResult], plot_name: str | None = "report.png", headlines: bool = True) -> str:
    """The whole comparison report; ``headlines`` adds each device's headline figures at the top."""
    lines = [
        "# Benchmark results",
        "",
        "Generated by `citytwin bench report` from `hardware/results/<device>/*.json` (newest file per device and model).",
        "FPS are 1000 / p50 (pipeline: of the interval between finished frames; inference: of the infer stage alone); wall FPS is",
        "frames over wall time, a mean that shows load from elsewhere. Efficiency is the infer stage's achieved GFLOP/s",
        "(FLOPs counted from the ONNX graph) over the device's float32 GEMM peak at the same thread count.",
        "",
    ]
    by_device: dict[str, list[BenchResult]] = {}
    for result in results:
        by_device.setdefault(result.device.name, []).append(result)
    heads = [h for h in map(headline, by_device.values()) if h is not None] if headlines else []
    if heads:
        lines += ["## Headline", ""]
        for head in heads:
            lines += ["```", *head.lines(), "```", ""]
    if plot_name:
        lines += [f"![FPS and latency per device and configuration]({plot_name})", ""]
    lines += ["## Devices", "", *device_table(results), ""]
    lines += ["## Throughput and efficiency", "", *config_table(results), ""]
    lines += ["## Stages (p50 / p95 ms)", "", *stage_table(results), ""]
    lines += ["## End to end", "", *e2e_table(results), ""]
    notes = sorted({f"{r.device.name}: {n}" for r in results for n in r.notes})
    if notes:
        lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(lines)
