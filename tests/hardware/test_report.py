"""The comparison report: newest file per device and model, and the headline figures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from hardware.report import headline, latest_results, markdown
from hardware.result import (
    Agreement, BenchResult, ConfigResult, DeviceFacts, EndToEnd, GemmPeak, GemmPoint, Latency, ModelFacts, Resources,
    RunConfig, SourceFacts, StageResult,
)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
STAGES = ("decode", "preprocess", "infer", "postprocess", "track", "analytics", "publish")


def lat(ms: float) -> Latency:
    return Latency(p50_ms=ms, p95_ms=ms * 1.5, p99_ms=ms * 2, samples=10)


def config(precision: str, size: int, threads: int, inference_ms: float, pipeline_fps: float) -> ConfigResult:
    run = RunConfig(model=f"m-{precision}", precision=precision, input_size=size, threads=threads, provider="CPUExecutionProvider")
    inference_fps = 1000 / inference_ms
    return ConfigResult(
        config=run, warmup_frames=1, frames=10, rounds=1,
        stages=[StageResult(stage=s, latency=lat(inference_ms if s == "infer" else 1.0), fps=1.0) for s in STAGES],
        frame_latency=lat(1500 / pipeline_fps), frame_cycle=lat(1000 / pipeline_fps), pipeline_fps=pipeline_fps, wall_fps=pipeline_fps * 0.9, inference_fps=inference_fps,
        pipeline_ratio=pipeline_fps / inference_fps, gflop=4.2, achieved_gflops=4.2 / inference_ms * 1000,
        efficiency=0.5, objects_per_frame=5, resources=Resources(cpu_percent=190, rss_mb_peak=250),
    )


def result(device: str, precision: str, created: datetime, configs: list[ConfigResult], e2e: bool = False) -> BenchResult:
    facts = DeviceFacts(name=device, cpu_model="cpu", architecture="x86_64", cores_logical=2, memory_gb=8, os="os", kernel="k",
                        python="3.11", numpy="2", onnxruntime="1.2", providers=["CPUExecutionProvider"])
    end_to_end = EndToEnd(endpoint="mqtt", description="d", config=configs[0].config, realtime=True, frames=10,
                          events_published=4, events_seen=4, latency=lat(40.0)) if e2e else None
    return BenchResult(
        run_id="r", created=created, citytwin="0", quick=False, device=facts,
        model=ModelFacts(name=f"m-{precision}", file="f", sha256="0" * 64, plugin="nanodet", precision=precision,
                         native_input_size=416, sizes_note="n"),
        source=SourceFacts(video="v", width=768, height=576, fps=10), publish_target="spool",
        gemm=GemmPeak(size=8, runs=1, blas="b", points=[GemmPoint(threads=2, gflops=100)]),
        configs=configs, end_to_end=end_to_end,
    )


def write(folder: Path, r: BenchResult, name: str) -> None:
    path = folder / r.device.name / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(r.model_dump_json())


def test_newest_file_per_device_and_model(tmp_path: Path) -> None:
    write(tmp_path, result("pi", "fp32", T0, [config("fp32", 416, 2, 100, 5)]), "2026-01-01-m-fp32.json")
    write(tmp_path, result("pi", "fp32", T0 + timedelta(days=1), [config("fp32", 416, 2, 90, 6)]), "2026-01-02-m-fp32.json")
    write(tmp_path, result("x86", "fp32", T0, [config("fp32", 416, 2, 40, 15)]), "2026-01-01-m-fp32.json")
    found = latest_results(tmp_path)
    assert [(r.device.name, r.configs[0].pipeline_fps) for r in found] == [("pi", 6), ("x86", 15)]


def test_headline_compares_precisions_at_the_end_to_end_point() -> None:
    fp32 = result("x86", "fp32", T0, [config("fp32", 320, 1, 30, 20), config("fp32", 416, 2, 40, 15)])
    int8 = result("x86", "int8", T0, [config("int8", 416, 2, 25, 20), config("int8", 320, 1, 20, 30)], e2e=True)
    int8 = int8.model_copy(update={"end_to_end": int8.end_to_end.model_copy(update={"config": int8.configs[0].config})})  # type: ignore[union-attr]
    agreement = Agreement(reference="m-fp32", object_class="person", iou=0.5, frames=200, matched=95, extra=3, missed=5,
                          precision=0.9694, recall=0.95, f1=0.9596)
    int8 = int8.model_copy(update={"agreement": agreement})
    head = headline([fp32, int8])
    assert head is not None
    assert head.fp32 is fp32.configs[1] and head.int8 is int8.configs[0]
    text = "\n".join(head.lines())
    assert "int8 / fp32 pipeline FPS: 1.33x" in text
    assert "= 50% of the GEMM peak" in text and "p95 60.0 ms" in text
    assert "int8 detections against m-fp32: F1 0.960 (precision 0.969, recall 0.950; person, IoU 0.5, 200 frames)" in text


def test_an_emulated_device_is_labelled_so_everywhere() -> None:
    emulated = result("pi5-qemu", "fp32", T0, [config("fp32", 416, 2, 400, 2)])
    emulated = emulated.model_copy(update={"device": emulated.device.model_copy(update={"emulated": "qemu-user aarch64"})})
    doc = markdown([emulated])
    assert "| pi5-qemu (emulated) | m-fp32 |" in doc and "| pi5-qemu | m-fp32 |" not in doc
    assert "pi5-qemu (emulated: qemu-user aarch64; not the device's speed), at input 416" in doc


def test_markdown_has_every_section() -> None:
    doc = markdown([result("x86", "fp32", T0, [config("fp32", 416, 2, 40, 15)], e2e=True)])
    for section in ("## Headline", "## Devices", "## Throughput and efficiency", "## Stages (p50 / p95 ms)", "## End to end"):
        assert section in doc
    assert "| x86 | m-fp32 | 416 | 2 | CPU | 15.0 | 25.0 | 0.60 | 13.5 |" in doc
