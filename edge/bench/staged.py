"""Detector plugins split into their three stages, so each can be timed on its own.

The adapters call the plugins' own preprocessing, inference session and
decoding (with NMS), in the order their ``detect`` does; nothing is
re-implemented, so the figures are those of the code the edge node runs.
"""

from __future__ import annotations

import abc
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.bench.models import BenchModel
from edge.detect.nanodet import NanoDet
from edge.detect.settings import NanoDetConfig, YoloConfig
from edge.detect.yolo import Yolo
from edge.types import Detections

log = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"


@dataclass(frozen=True)
class Prepared:
    """A network input and what decoding needs to map boxes back to the image."""

    blob: np.ndarray
    width: int
    height: int
    scale: float = 1.0
    pad: tuple[float, float] = (0.0, 0.0)


class StagedDetector(abc.ABC):
    """preprocess -> infer -> postprocess, as the plugin's ``detect`` runs them."""

    labels: list[str]

    @abc.abstractmethod
    def preprocess(self, image: np.ndarray) -> Prepared:
        """Resize and normalise ``image`` into the network input."""

    @abc.abstractmethod
    def infer(self, prepared: Prepared) -> list[np.ndarray]:
        """Run the inference session."""

    @abc.abstractmethod
    def postprocess(self, outputs: list[np.ndarray], prepared: Prepared) -> Detections:
        """Decode the raw outputs and run NMS."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the session."""

    def detect(self, image: np.ndarray) -> Detections:
        prepared = self.preprocess(image)
        return self.postprocess(self.infer(prepared), prepared)


class StagedNanoDet(StagedDetector):
    """The NanoDet plugin, one stage at a time."""

    def __init__(self, detector: NanoDet) -> None:
        self.detector = detector
        self.labels = detector.labels

    def preprocess(self, image: np.ndarray) -> Prepared:
        return Prepared(self.detector.preprocess(image), width=image.shape[1], height=image.shape[0])

    def infer(self, prepared: Prepared) -> list[np.ndarray]:
        return self.detector.infer(prepared.blob)

    def postprocess(self, outputs: list[np.ndarray], prepared: Prepared) -> Detections:
        return self.detector.postprocess(outputs, prepared.width, prepared.height)

    def close(self) -> None:
        self.detector.close()


class StagedYolo(StagedDetector):
    """The YOLO plugin, one stage at a time."""

    def __init__(self, detector: Yolo) -> None:
        self.detector = detector
        self.labels = detector.labels

    def preprocess(self, image: np.ndarray) -> Prepared:
        blob, scale, pad = self.detector.preprocess(image)
        return Prepared(blob, width=image.shape[1], height=image.shape[0], scale=scale, pad=pad)

    def infer(self, prepared: Prepared) -> list[np.ndarray]:
        return list(self.detector.session.run(None, {self.detector.input: prepared.blob})[:1])

    def postprocess(self, outputs: list[np.ndarray], prepared: Prepared) -> Detections:
        return self.detector.postprocess(outputs[0], prepared.scale, prepared.pad, prepared.width, prepared.height)

    def close(self) -> None:
        self.detector.close()


def providers_for(provider: str) -> list[str]:
    """The provider list for a session: accelerators fall back to the CPU (TensorRT to CUDA first) for unsupported ops."""
    if provider == CPU:
        return [CPU]
    if provider == "TensorrtExecutionProvider":
        return [provider, "CUDAExecutionProvider", CPU]
    return [provider, CPU]


def open_staged(model: BenchModel, path: Path, threads: int, provider: str) -> StagedDetector:
    """The model's plugin loaded from ``path`` (the model file, or a resized copy of it)."""
    providers = providers_for(provider)
    if model.plugin == "nanodet":
        return StagedNanoDet(NanoDet(NanoDetConfig(model=path, threads=threads, providers=providers)))
    try:
        return StagedYolo(Yolo(YoloConfig(model=path, threads=threads, providers=providers)))
    except ValueError as exc:
        # The default per-class thresholds name COCO classes; a custom export may have none of them.
        log.info("%s: %s; measuring with the plain score threshold", path.name, exc)
        return StagedYolo(Yolo(YoloConfig(model=path, threads=threads, providers=providers, class_thresholds={})))
