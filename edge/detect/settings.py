"""The detector settings of the deployment file (``edge.detector``): one config per plugin, discriminated by ``type``.

Pure data: the plugins that run them are looked up by ``type`` in
``edge.detect.registry``, so reading the deployment never loads a model runtime.

Example:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(DetectorConfig).validate_python({"type": "yolo", "model": "yolo11n.onnx"}).iou_threshold
    0.7
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class DetectorSettings(BaseModel):
    """Settings common to every ONNX detector; plugins add a ``type`` and their own."""

    model_config = ConfigDict(extra="forbid")

    model: Path = Field(title="Model", description="ONNX file, absolute or relative to the models folder")
    score_threshold: float = Field(0.4, gt=0, lt=1, title="Score threshold", description="lowest confidence kept for any class")
    class_thresholds: dict[str, float] = Field(
        default_factory=lambda: {"person": 0.45},
        title="Per-class thresholds",
        description="confidence thresholds by class name that override the score threshold",
    )
    classes: list[str] | None = Field(
        None, title="Class filter", description="class names to keep; all classes when unset"
    )
    iou_threshold: float = Field(0.6, gt=0, le=1, title="NMS IoU", description="overlap above which a lower-scored box of the same class is suppressed")
    threads: int | None = Field(None, ge=1, title="Threads", description="onnxruntime intra-op threads; default: one per core")
    spin: bool = Field(
        False, title="Spin-wait",
        description=("onnxruntime's idle threads busy-wait for the next operator instead of sleeping: slightly faster on cores "
                     "nothing else uses, but it takes the CPU the node's decode and back-half threads (and other processes) need"),
    )
    providers: list[str] | None = Field(
        None,
        title="Execution providers",
        description="onnxruntime providers in order of preference; default: the best available (TensorRT, CUDA, CPU)",
    )

    @field_validator("class_thresholds")
    @classmethod
    def _in_range(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 < v < 1}
        if bad:
            raise ValueError(f"thresholds must be between 0 and 1, got {bad}")
        return value


class NanoDetConfig(DetectorSettings):
    """NanoDet-g (the default model) or another NanoDet export with the same outputs."""

    type: Literal["nanodet"] = Field("nanodet", title="Type", description="NanoDet ONNX detector")
    model: Path = Field(Path("nanodet-g-416.onnx"), title="Model", description="ONNX file, absolute or relative to the models folder")


class YoloConfig(DetectorSettings):
    """An Ultralytics YOLOv8/YOLO11 detection export."""

    type: Literal["yolo"] = Field("yolo", title="Type", description="Ultralytics YOLOv8/YOLO11 ONNX export")
    model: Path = Field(title="Model", description="ONNX file exported with 'yolo export format=onnx'")
    labels: Path | None = Field(
        None,
        title="Labels file",
        description="one class name per line; default: the names stored in the export, else COCO-80",
    )
    score_threshold: float = Field(0.25, gt=0, lt=1, title="Score threshold", description="lowest confidence kept for any class")
    iou_threshold: float = Field(0.7, gt=0, le=1, title="NMS IoU", description="overlap above which a lower-scored box of the same class is suppressed")


DetectorConfig = Annotated[NanoDetConfig | YoloConfig, Field(discriminator="type")]
