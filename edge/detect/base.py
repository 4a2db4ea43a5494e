"""The detector interface; the settings every plugin shares are in ``edge.detect.settings``."""

from __future__ import annotations

import abc
import numpy as np

from edge.detect.settings import DetectorSettings
from edge.types import Detections


class Detector(abc.ABC):
    """Finds objects in a BGR image."""

    labels: list[str]

    @abc.abstractmethod
    def detect(self, image: np.ndarray) -> Detections:
        """Objects in ``image`` (HxWx3 uint8 BGR), boxes in its pixels."""

    def close(self) -> None:
        """Release the inference session."""


class Thresholds:
    """Turns the threshold and class-filter settings into per-class arrays."""

    def __init__(self, settings: DetectorSettings, labels: list[str]) -> None:
        unknown = sorted(set(settings.class_thresholds) | set(settings.classes or [])) 
        unknown = [name for name in unknown if name not in labels]
        if unknown:
            raise ValueError(f"unknown class names {unknown}; the model's labels are {', '.join(labels)}")
        self.per_class = np.full(len(labels), settings.score_threshold, np.float32)
        for name, value in settings.class_thresholds.items():
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
