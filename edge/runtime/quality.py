"""Scene quality: cheap statistics of frames already decoded, so operators know when a camera's counts are unreliable.

Every ``every_frames`` frames the node samples the frame at 320 px wide:
mean luma (dark), mean colour saturation (grey pictures, as infrared
cameras give at night), the standard deviation of luma (low contrast: fog,
glare, a covered lens) and the variance of its Laplacian over the variance
of luma (blur: focus, dirt, rain on the lens). Detection confidences are averaged too: the first
``baseline_detections`` set a baseline, and a health interval whose mean
falls ``confidence_drop`` below it flags the detector as drifting. Each
``node_health`` carries the means since the previous one and the flags.

Example:
    >>> import numpy as np
    >>> quality = SceneQuality(SceneQualitySettings(every_frames=1))
    >>> quality.sample(np.full((240, 320, 3), 10, np.uint8))
    >>> quality.report()["flags"]
    ['dark', 'infrared', 'low_contrast', 'blur']
"""

from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from contract.vocab import SceneFlag
from edge.runtime.settings import SceneQualitySettings
from edge.types import Detections

log = logging.getLogger(__name__)

SAMPLE_WIDTH = 320
# The Laplacian's variance is at most 20 times the image's (white noise); the contract's bound leaves room.
MAX_SHARPNESS = 1000.0
_STATS = ("brightness", "colour", "contrast", "sharpness")


def frame_statistics(image: NDArray[np.uint8]) -> dict[str, float]:
    """Mean luma, mean saturation, luma standard deviation and relative Laplacian variance of a BGR frame at 320 px wide."""
    height, width = image.shape[:2]
    small = image if width <= SAMPLE_WIDTH else cv2.resize(
        image, (SAMPLE_WIDTH, max(1, round(height * SAMPLE_WIDTH / width))), interpolation=cv2.INTER_AREA
    )
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    saturation = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)[:, :, 1]
    mean, std = cv2.meanStdDev(gray)
    variance = float(std[0, 0]) ** 2
    # Edges over contrast: fog and darkness lower both, so only blur lowers their ratio.
    sharpness = float(cv2.Laplacian(gray, cv2.CV_64F).var()) / variance if variance > 1e-6 else 0.0
    return {
        "brightness": float(mean[0, 0]),
        "colour": float(saturation.mean()),
        "contrast": float(std[0, 0]),
        "sharpness": min(sharpness, MAX_SHARPNESS),
    }


class SceneQuality:
    """Accumulates frame samples and detection confidences between two health reports."""

    def __init__(self, settings: SceneQualitySettings) -> None:
        self.settings = settings
        self._sums = dict.fromkeys(_STATS, 0.0)
        self._samples = 0
        self._confidence = [0.0, 0]  # sum and count since the last report
        self._baseline = [0.0, 0]  # sum and count of the first baseline_detections

    def due(self, frame_index: int) -> bool:
        return frame_index % self.settings.every_frames == 0

    def sample(self, image: NDArray[np.uint8]) -> None:
        """Add the statistics of one decoded frame."""
        for name, value in frame_statistics(image).items():
            self._sums[name] += value
        self._samples += 1

    def detections(self, found: Detections) -> None:
        """Add the confidences of one detection run."""
        if not len(found):
            return
        scores = found.confidence.astype(np.float64)
        self._confidence[0] += float(scores.sum())
        self._confidence[1] += len(scores)
        room = self.settings.baseline_detections - int(self._baseline[1])
        if room > 0:
            self._baseline[0] += float(scores[:room].sum())
            self._baseline[1] += min(room, len(scores))

    def report(self) -> dict[str, Any] | None:
        """The ``scene`` of a health body, and a fresh start; None before the first sample."""
        if not self._samples:
            return None
        means = {name: round(total / self._samples, 2) for name, total in self._sums.items()}
        confidence = round(self._confidence[0] / self._confidence[1], 3) if self._confidence[1] >= self.settings.min_detections else None
        baseline = round(self._baseline[0] / self._baseline[1], 3) if self._baseline[1] >= self.settings.baseline_detections else None
        flags = self._flags(means, confidence, baseline)
        if flags:
            log.info("scene flagged %s (brightness %.1f, colour %.1f, contrast %.1f, sharpness %.1f)", ",".join(flags),
                     means["brightness"], means["colour"], means["contrast"], means["sharpness"])
        self._sums = dict.fromkeys(_STATS, 0.0)
        self._samples = 0
        self._confidence = [0.0, 0]
        return {**means, "confidence": confidence, "confidence_baseline": baseline, "flags": flags, "reliable": not flags}

    def _flags(self, means: dict[str, float], confidence: float | None, baseline: float | None) -> list[SceneFlag]:
        s = self.settings
        flags: list[SceneFlag] = []
        if means["brightness"] < s.dark_below:
            flags.append("dark")
        if means["colour"] < s.infrared_below:
            flags.append("infrared")
        if means["contrast"] < s.low_contrast_below:
            flags.append("low_contrast")
        if means["sharpness"] < s.blur_below:
            flags.append("blur")
        if confidence is not None and baseline is not None and baseline - confidence > s.confidence_drop:
            flags.append("confidence_drift")
        return flags
