"""Motion gate: detect only when the scene changed since the last detection."""

from __future__ import annotations

import cv2
import numpy as np


class MotionGate:
    """Compares a small grey copy of each frame with the one last sent to the detector.

    Example:
        >>> gate = MotionGate(threshold=0.01, max_skip=5)
        >>> still = np.zeros((90, 160, 3), np.uint8)
        >>> [gate.should_detect(still) for _ in range(3)]
        [True, False, False]
    """

    def __init__(self, threshold: float = 0.002, max_skip: int = 25, width: int = 160, pixel_delta: int = 25) -> None:
        self.threshold = threshold
        self.max_skip = max_skip
        self.width = width
        self.pixel_delta = pixel_delta
        self._reference: np.ndarray | None = None
        self._skipped = 0

    def _small(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        size = (self.width, max(1, round(h * self.width / w)))
        grey = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        return cv2.GaussianBlur(grey, (5, 5), 0)

    def should_detect(self, image: np.ndarray) -> bool:
        small = self._small(image)
        ref = self._reference
        if ref is None or ref.shape != small.shape or self._skipped >= self.max_skip:
            changed = True
        else:
            moved = cv2.absdiff(small, ref) > self.pixel_delta
            changed = float(moved.mean()) >= self.threshold
        if changed:
            self._reference = small
            self._skipped = 0
        else:
            self._skipped += 1
        return changed
