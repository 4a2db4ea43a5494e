"""The detector interface and the settings every detector plugin shares."""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from edge.detect.settings import DetectorSettings
from edge.types import Detections


@dataclass(frozen=True)
class Prepared:
    """A network input, with what decoding needs to map its boxes back onto the image."""

    blob: np.ndarray
    width: int
    height: int
    scale: float = 1.0
    pad: tuple[float, float] = (0.0, 0.0)


Outputs = list[np.ndarray]


class Detector(abc.ABC):
    """Finds objects in a BGR image, in three stages that a node and the benchmark time apart.

    ``detect`` runs ``preprocess`` (resize and normalise), ``infer`` (the
    network) and ``postprocess`` (decoding, thresholds, NMS) in that order.
    A node preprocesses a frame on its decode thread while the network runs
    on the one before, and postprocesses a frame on a third thread while the
    network runs on the next: each ``preprocess`` returns an input of its
    own, and ``postprocess`` reads nothing but its arguments.
    """

    labels: list[str]

    @abc.abstractmethod
    def preprocess(self, image: np.ndarray) -> Prepared:
        """``image`` (HxWx3 uint8 BGR) as the network's input."""

    @abc.abstractmethod
    def infer(self, prepared: Prepared) -> Outputs:
        """The network's raw outputs for ``prepared``."""

    @abc.abstractmethod
    def postprocess(self, outputs: Outputs, prepared: Prepared) -> Detections:
        """Objects decoded from ``outputs``, boxes in the pixels of the image ``prepared`` came from."""

    def detect(self, image: np.ndarray) -> Detections:
        """Objects in ``image`` (HxWx3 uint8 BGR), boxes in its pixels."""
        prepared = self.preprocess(image)
        return self.postprocess(self.infer(prepared), prepared)

    def close(self) -> None:
        """Release the inference session."""


class Thresholds:
    """Turns the threshold and class-filter settings into per-class arrays."""

    def __init__(self, settings: DetectorSettings, labels: list[str]) -> None:
        thresholds = settings.class_thresholds
        if "class_thresholds" not in settings.model_fields_set:
            # The default names COCO classes; a model without them keeps the plain score threshold.
            thresholds = {name: value for name, value in thresholds.items() if name in labels}
        unknown = sorted(set(thresholds) | set(settings.classes or []))
        unknown = [name for name in unknown if name not in labels]
        if unknown:
            raise ValueError(f"unknown class names {unknown}; the model's labels are {', '.join(labels)}")
        self.per_class = np.full(len(labels), settings.score_threshold, np.float32)
        for name, value in thresholds.items():
            self.per_class[labels.index(name)] = value
        self.allowed = np.ones(len(labels), bool)
        if settings.classes is not None:
            self.allowed[:] = False
            self.allowed[[labels.index(n) for n in settings.classes]] = True
        self.floor = float(self.per_class[self.allowed].min()) if self.allowed.any() else 1.0

    def keep(self, scores: np.ndarray, class_id: np.ndarray) -> np.ndarray:
        """Mask of candidates above their class threshold and in the filter."""
        mask: np.ndarray = (scores >= self.per_class[class_id]) & self.allowed[class_id]
        return mask
