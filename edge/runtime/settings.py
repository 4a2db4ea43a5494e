"""The deployment's ``edge`` section: pipeline settings shared by every camera of the site."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.ids import MAX_HEATMAP_CELL_M, MIN_HEATMAP_CELL_M
from contract.vocab import ObjectClass
from edge.detect.settings import DetectorConfig, NanoDetConfig
from edge.track.settings import ByteTrackConfig, TrackerConfig

STREET_CLASSES: tuple[ObjectClass, ...] = ("person", "bicycle", "car", "motorcycle", "bus", "truck", "boat")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MotionGate(_Section):
    """Skip detection on frames without motion; the tracker coasts meanwhile."""

    enabled: bool = Field(False, title="Enabled", description="detect only when the scene changes")
    threshold: float = Field(
        0.002, gt=0, lt=1, title="Threshold", description="fraction of pixels that must change to count as motion"
    )
    max_skip: int = Field(
        25, ge=1, title="Longest skip", description="detect at least every this many frames even without motion"
    )


class SnapshotSettings(_Section):
    """Opt-in anonymised stills; off by default so that no pixels leave the node."""

    enabled: bool = Field(False, title="Enabled", description="publish anonymised snapshots")
    interval_s: float = Field(60.0, gt=0, title="Interval", description="seconds between snapshots")
    jpeg_quality: int = Field(80, ge=10, le=100, title="JPEG quality", description="encoder quality")
    face_model: Path = Field(Path("centerface.onnx"), title="Face model", description="CenterFace ONNX file, absolute or relative to the models folder")
    face_threshold: float = Field(0.3, gt=0, lt=1, title="Face threshold", description="CenterFace score that counts as a face to blur")


class SceneQualitySettings(_Section):
    """When a node flags its scene as one whose counts cannot be trusted; judged on every Nth decoded frame."""

    every_frames: int = Field(25, ge=1, le=100_000, title="Sample every", description="frames between two scene samples")
    dark_below: float = Field(40.0, ge=0, le=255, title="Dark below", description="mean luma (0-255) under which the scene is dark")
    infrared_below: float = Field(5.0, ge=0, le=255, title="Infrared below", description=(
        "mean colour saturation (0-255) under which the picture is grey, as from an infrared camera at night"))
    low_contrast_below: float = Field(18.0, ge=0, le=128, title="Low contrast below", description=(
        "standard deviation of luma under which contrast is low (fog, glare, a covered lens)"))
    blur_below: float = Field(0.05, ge=0, le=1000, title="Blur below", description=(
        "variance of the Laplacian over the variance of luma, at 320 px wide, under which the picture is blurred "
        "(focus, dirt, rain on the lens); sharp street scenes give 0.3 to 1"))
    confidence_drop: float = Field(0.12, gt=0, le=1, title="Confidence drop", description=(
        "fall of the mean detection confidence below its baseline that flags the detector as drifting"))
    baseline_detections: int = Field(200, ge=10, le=1_000_000, title="Baseline detections", description=(
        "detections from the start whose mean confidence is the baseline"))
    min_detections: int = Field(20, ge=1, le=1_000_000, title="Fewest detections", description=(
        "detections a health interval needs before its mean confidence is judged"))


class EdgeSettings(_Section):
    """Pipeline settings shared by every camera of the deployment."""

    detector: DetectorConfig = Field(default_factory=NanoDetConfig, title="Detector", description="detector plugin and its settings")
    tracker: TrackerConfig = Field(default_factory=ByteTrackConfig, title="Tracker", description="tracker plugin and its settings")
    detect_every: int = Field(1, ge=1, title="Detect every", description="run the detector on every Nth frame; the tracker coasts between")
    decode_ahead: int = Field(
        1, ge=0, le=8, title="Decode ahead",
        description=("frames a decode thread reads and preprocesses ahead of the loop, overlapping inference (each adds up to "
                     "a frame of latency); 0 decodes in the loop"),
    )
    pipelined: bool = Field(
        True, title="Pipelined",
        description=("postprocess, track, count and publish each frame on a second thread while the network runs on the "
                     "next (one frame handed over at a time, in order; the same events either way); off runs every stage in the loop"),
    )
    motion: MotionGate = Field(default_factory=MotionGate, title="Motion gate", description="skip detection on still frames")
    classes: list[ObjectClass] = Field(
        default_factory=lambda: list(STREET_CLASSES),
        title="Classes",
        description="object classes that are tracked and counted; COCO-80 names, the only ones events may carry",
    )
    anchor: Literal["bottom_center", "center"] = Field(
        "bottom_center", title="Anchor", description="point of a box that crosses lines and sits in zones"
    )
    health_interval_s: float = Field(10.0, gt=0, title="Health interval", description="seconds between node_health events")
    count_interval_s: float = Field(60.0, gt=0, title="Count interval", description="seconds of stream time per count event")
    queue_speed_px_s: float = Field(10.0, gt=0, le=10_000, title="Queue speed", description=(
        "anchor speed in image pixels per second below which an object inside a zone counts as queuing"))
    heatmap_cell_m: float = Field(
        5.0, ge=MIN_HEATMAP_CELL_M, le=MAX_HEATMAP_CELL_M, title="Heatmap cell", description=(
            "side in metres on the ground of a heatmap cell, at least 2 (coarser than a person); only calibrated "
            "cameras have a heatmap, an uncalibrated one reports none"))
    snapshots: SnapshotSettings = Field(default_factory=SnapshotSettings, title="Snapshots", description="opt-in anonymised stills")
    quality: SceneQualitySettings = Field(
        default_factory=SceneQualitySettings, title="Scene quality",
        description="when node_health flags the scene (dark, infrared, low contrast, blur, detector confidence drifting)",
    )
