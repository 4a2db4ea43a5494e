"""The benchmark's result file: typed, versioned, and published as a JSON Schema.

One file holds one model's results from one run on one device:
``hardware/results/<device>/<date>-<model>.json``. Latencies are in
milliseconds and summarised by percentiles, never means, because lab machines
are shared and noisy.

Version 2 names the stages as the edge node does (``contract.vocab``).
Version 1 files, whose stages were called ``inference`` and ``tracking``,
load as version 2 with those two renamed; every figure stays as measured.
Version 3 adds the frame cycle (the interval between finished frames, which
pipeline FPS now comes from, since decoding overlaps the network), the
detection agreement of an int8 model with its fp32 original, and whether
the device was emulated. Older files load as version 3: their frames ran one
after another, so their cycle is their frame latency, and they carry no
agreement and ran on real devices. ``schema-v1.json`` and ``schema-v2.json``
in ``hardware/results/`` keep the older schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contract.vocab import Stage

RESULT_VERSION = 3
V1_STAGE_NAMES = {"inference": "infer", "tracking": "track"}


def _v1_to_v2(document: dict[str, Any]) -> dict[str, Any]:
    def stage(entry: Any) -> Any:
        if isinstance(entry, dict) and isinstance(entry.get("stage"), str):
            return {**entry, "stage": V1_STAGE_NAMES.get(entry["stage"], entry["stage"])}
        return entry

    configs = [
        {**c, "stages": [stage(e) for e in c["stages"]]} if isinstance(c, dict) and isinstance(c.get("stages"), list) else c
        for c in document["configs"]
    ]
    return {**document, "result_version": 2, "configs": configs}


def _v2_to_v3(document: dict[str, Any]) -> dict[str, Any]:
    configs = [
        {**c, "frame_cycle": c["frame_latency"]} if isinstance(c, dict) and "frame_latency" in c and "frame_cycle" not in c else c
        for c in document["configs"]
    ]
    return {**document, "result_version": 3, "configs": configs}


def upgraded(document: Any) -> Any:
    """A version-1 or version-2 result document in version 3's terms; anything else as it is.

    Example:
        >>> doc = {"result_version": 1, "configs": [{"stages": [{"stage": "inference"}], "frame_latency": {"p50_ms": 9}}]}
        >>> new = upgraded(doc)
        >>> new["configs"][0]["stages"], new["configs"][0]["frame_cycle"], new["result_version"]
        ([{'stage': 'infer'}], {'p50_ms': 9}, 3)
    """
    if not isinstance(document, dict) or document.get("result_version") not in (1, 2) or not isinstance(document.get("configs"), list):
        return document
    if document["result_version"] == 1:
        document = _v1_to_v2(document)
    return _v2_to_v3(document)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Latency(_Model):
    """Percentiles of a latency sample, in milliseconds."""

    p50_ms: float = Field(title="p50", description="median, milliseconds")
    p95_ms: float = Field(title="p95", description="95th percentile, milliseconds")
    p99_ms: float = Field(title="p99", description="99th percentile, milliseconds")
    samples: int = Field(ge=0, title="Samples", description="number of measurements summarised")

    @classmethod
    def of(cls, samples: Sequence[float]) -> Latency:
        """p50/p95/p99 of ``samples`` (milliseconds).

        Example:
            >>> Latency.of([1.0, 2.0, 3.0, 4.0]).p50_ms
            2.5
        """
        if not samples:
            return cls(p50_ms=0.0, p95_ms=0.0, p99_ms=0.0, samples=0)
        p50, p95, p99 = np.percentile(np.asarray(samples, np.float64), [50, 95, 99])
        return cls(p50_ms=round(float(p50), 3), p95_ms=round(float(p95), 3), p99_ms=round(float(p99), 3), samples=len(samples))


class StageResult(_Model):
    """One stage of the edge path under one configuration."""

    stage: Stage = Field(
        title="Stage",
        description="a stage of the edge node, named as its node_health reports it: decode, preprocess, infer, postprocess "
        "(decoding with NMS, and the class filter), track, analytics or publish (serialise and spool/send)",
    )
    latency: Latency = Field(title="Latency", description="per-frame latency of the stage")
    fps: float = Field(ge=0, title="FPS", description="frames per second the stage alone sustains, 1000 / p50")


class Resources(_Model):
    """What the process used while the measured frames ran."""

    cpu_percent: float = Field(ge=0, title="CPU", description="process CPU time over wall time, percent of one core (200 = two cores busy)")
    rss_mb_peak: float = Field(ge=0, title="Peak RSS", description="largest resident set size sampled, MiB")
    temperature_c_max: float | None = Field(None, title="Temperature", description="hottest thermal-zone reading sampled, Celsius; null where the device reports none")
    power_w: float | None = Field(None, title="Power", description="mean power over the run, watts; null where the device reports none")
    power_source: str | None = Field(None, title="Power source", description="where power was read from (RAPL, hwmon)")


class RunConfig(_Model):
    """One point of the matrix: model, input size, threads, execution provider."""

    model: str = Field(title="Model", description="model name (file name without .onnx)")
    precision: str = Field(title="Precision", description="fp32, int8, or as declared for a user model")
    input_size: int = Field(gt=0, title="Input size", description="square network input side, pixels")
    threads: int = Field(ge=1, title="Threads", description="onnxruntime intra-op threads")
    provider: str = Field(title="Execution provider", description="onnxruntime execution provider, e.g. CPUExecutionProvider")

    @property
    def label(self) -> str:
        """Short label for tables and plots, e.g. ``int8 416 t2 CPU``."""
        provider = self.provider.removesuffix("ExecutionProvider")
        return f"{self.precision} {self.input_size} t{self.threads} {provider}"


class ConfigResult(_Model):
    """Everything measured for one configuration."""

    config: RunConfig = Field(title="Configuration", description="the matrix point measured")
    warmup_frames: int = Field(ge=0, title="Warm-up frames", description="frames run before measuring, in the first round (later rounds warm up briefly)")
    frames: int = Field(ge=1, title="Frames", description="frames measured, over all rounds")
    rounds: int = Field(ge=1, title="Rounds", description="interleaved rounds the frames were measured in; each round reloads the model and warms it up")
    stages: list[StageResult] = Field(title="Stages", description="per-stage latency of every stage the node timed, in pipeline order")
    frame_latency: Latency = Field(title="Frame latency", description="one frame from the start of its decode to the end of its publish, waiting for the loop included")
    frame_cycle: Latency = Field(title="Frame cycle", description="interval between one finished frame and the next (the loop's period); shorter than the frame latency where decoding overlaps the network")
    pipeline_fps: float = Field(ge=0, title="Pipeline FPS", description="1000 / p50 of the frame cycle: what the whole path sustains, every stage included")
    wall_fps: float = Field(ge=0, title="Wall-clock FPS", description="measured frames over the wall time they took; a mean, so load from elsewhere on the machine shows here first")
    inference_fps: float = Field(ge=0, title="Inference-only FPS", description="1000 / p50 of the infer stage")
    pipeline_ratio: float = Field(ge=0, title="Pipeline over inference", description="pipeline FPS / inference-only FPS; 1.0 means the other stages cost nothing")
    gflop: float = Field(ge=0, title="GFLOP per frame", description="model FLOPs at this input size counted from the ONNX graph, 1e9")
    achieved_gflops: float = Field(ge=0, title="Achieved GFLOP/s", description="gflop / p50 seconds of the infer stage")
    efficiency: float | None = Field(None, ge=0, title="Efficiency", description="achieved GFLOP/s over the float32 GEMM peak at the same thread count (int8 kernels can exceed 1.0); null for accelerator providers, which the CPU GEMM probe does not measure")
    objects_per_frame: float = Field(ge=0, title="Objects per frame", description="median detections kept per frame (a sanity check across precisions and sizes)")
    resources: Resources = Field(title="Resources", description="CPU, memory, temperature and power during the measured frames")


class GemmPoint(_Model):
    """Peak of the GEMM probe at one thread count."""

    threads: int = Field(ge=1, title="Threads", description="BLAS threads")
    gflops: float = Field(ge=0, title="GFLOP/s", description="median over the runs")


class GemmPeak(_Model):
    """The device's own compute limit, measured by a float32 matrix-multiply probe."""

    size: int = Field(gt=0, title="Matrix size", description="side of the square float32 matrices multiplied")
    runs: int = Field(ge=1, title="Runs", description="timed multiplications per probe; a probe's figure is their median")
    probes: int = Field(1, ge=1, title="Probes", description="probes per thread count (before and after the matrix); the highest is the peak")
    blas: str = Field(title="BLAS", description="BLAS library numpy uses")
    points: list[GemmPoint] = Field(title="Peaks", description="GFLOP/s by thread count")

    def at(self, threads: int) -> float | None:
        """Peak GFLOP/s at ``threads``, or at the nearest thread count measured."""
        if not self.points:
            return None
        return min(self.points, key=lambda p: (abs(p.threads - threads), -p.threads)).gflops


class ModelFacts(_Model):
    """The model measured."""

    name: str = Field(title="Name", description="file name without .onnx")
    file: str = Field(title="File", description="path as given (models-folder relative for shipped models)")
    sha256: str = Field(title="SHA-256", description="checksum of the ONNX file")
    plugin: Literal["nanodet", "yolo"] = Field(title="Plugin", description="detector plugin that decodes it")
    precision: str = Field(title="Precision", description="fp32 or int8")
    native_input_size: int = Field(gt=0, title="Native input size", description="input side declared in the file")
    sizes_note: str = Field(title="Input sizes", description="which input sizes the model can be measured at, and how")


class DeviceFacts(_Model):
    """The device the benchmark ran on."""

    name: str = Field(title="Device name", description="results folder name, e.g. ci-x86, raspberry-pi-5")
    board: str | None = Field(None, title="Board", description="device-tree model (Pi, Jetson), if any")
    cpu_model: str = Field(title="CPU model", description="as the kernel reports it")
    architecture: str = Field(title="Architecture", description="machine architecture, e.g. x86_64, aarch64")
    cores_logical: int = Field(ge=1, title="Logical cores", description="CPUs the OS schedules on")
    cores_physical: int | None = Field(None, ge=1, title="Physical cores", description="physical cores, where known")
    memory_gb: float = Field(gt=0, title="Memory", description="total RAM, GiB")
    os: str = Field(title="OS", description="distribution name and version")
    kernel: str = Field(title="Kernel", description="kernel release")
    python: str = Field(title="Python", description="Python version")
    numpy: str = Field(title="numpy", description="numpy version")
    onnxruntime: str = Field(title="onnxruntime", description="onnxruntime version")
    providers: list[str] = Field(title="Available providers", description="execution providers this onnxruntime build offers")
    emulated: str | None = Field(
        None, title="Emulated",
        description="how the device was emulated (e.g. qemu-user aarch64 on x86-64): its timings are the emulator's, not the device's; null on real hardware",
    )


class SourceFacts(_Model):
    """The frames the benchmark ran on."""

    video: str = Field(title="Video", description="file name of the recorded video")
    width: int = Field(gt=0, title="Width", description="frame width, pixels")
    height: int = Field(gt=0, title="Height", description="frame height, pixels")
    fps: float = Field(gt=0, title="Native FPS", description="frame rate the file declares")


class EndToEnd(_Model):
    """Latency from frame capture until its event is visible at an endpoint, through real brokers."""

    endpoint: Literal["mqtt", "kafka", "twin"] = Field(
        title="Endpoint",
        description="where an event counted as visible: mqtt (an MQTT subscriber received it), kafka, or twin (queryable in the DuckDB twin)",
    )
    description: str = Field(title="Description", description="the path measured, in words")
    config: RunConfig = Field(title="Configuration", description="the pipeline configuration used")
    realtime: bool = Field(title="Real time", description="frames paced at the video's native rate, as a camera delivers them")
    frames: int = Field(ge=1, title="Frames", description="frames run through the pipeline")
    events_published: int = Field(ge=0, title="Events published", description="events the pipeline published")
    events_seen: int = Field(ge=0, title="Events seen", description="events that arrived at the endpoint before the timeout")
    latency: Latency = Field(title="Latency", description="capture to visible, per event")


class Agreement(_Model):
    """How closely a model's detections match those of its reference (an int8 model's fp32 original) on the same frames."""

    reference: str = Field(title="Reference", description="name of the model compared against")
    object_class: str = Field(title="Class", description="the class compared (COCO name)")
    iou: float = Field(gt=0, le=1, title="IoU", description="intersection over union at which two boxes match (one-to-one, highest score first)")
    frames: int = Field(ge=1, title="Frames", description="frames compared, from the first frame of the video")
    matched: int = Field(ge=0, title="Matched", description="detections of the model matched to one of the reference")
    extra: int = Field(ge=0, title="Extra", description="detections of the model that match none of the reference (false positives against it)")
    missed: int = Field(ge=0, title="Missed", description="detections of the reference the model did not find (false negatives against it)")
    precision: float = Field(ge=0, le=1, title="Precision", description="matched / (matched + extra); 1.0 where neither found anything")
    recall: float = Field(ge=0, le=1, title="Recall", description="matched / (matched + missed); 1.0 where neither found anything")
    f1: float = Field(ge=0, le=1, title="F1", description="harmonic mean of precision and recall")


class BenchResult(_Model):
    """One model's benchmark on one device: ``hardware/results/<device>/<date>-<model>.json``."""

    result_version: Literal[3] = Field(3, title="Result version", description="version of this file format; version 1 and 2 files load upgraded")
    run_id: str = Field(title="Run id", description="shared by every file one 'citytwin bench' run wrote")
    created: AwareDatetime = Field(title="Created", description="when the run started, UTC")
    citytwin: str = Field(title="citytwin version", description="version of the benchmark code")
    quick: bool = Field(title="Quick", description="a short run (CI smoke test): figures are indicative only")
    device: DeviceFacts = Field(title="Device", description="what ran the benchmark")
    model: ModelFacts = Field(title="Model", description="the model measured")
    source: SourceFacts = Field(title="Source", description="the frames measured")
    publish_target: str = Field(title="Publish target", description="what the publish stage wrote to: the on-disk spool, and the broker if one was reachable")
    gemm: GemmPeak = Field(title="GEMM peak", description="the device's measured compute limit")
    configs: list[ConfigResult] = Field(min_length=1, title="Configurations", description="one entry per matrix point of this model")
    end_to_end: EndToEnd | None = Field(None, title="End to end", description="capture-to-visible latency, in the file of the model it used; null otherwise")
    agreement: Agreement | None = Field(
        None, title="Agreement", description="detections compared with the fp32 original, for every int8 model that has one; null otherwise"
    )
    notes: list[str] = Field(default_factory=list, title="Notes", description="what was skipped or restricted, and why")

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        return upgraded(data)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a result file."""
    schema = BenchResult.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://citytwin.example/schema/bench-result-v{RESULT_VERSION}.json"
    return schema
