"""How far an int8 model's detections drift from its fp32 original, on the benchmark's own frames.

Both models run through the detector plugin, on the same first frames of
the video, at the same input size. A detection of the int8 model matches a
detection of the reference of the same class when their boxes overlap by
IoU >= 0.5; matching is one-to-one, the int8 model's boxes highest score
first, each taking the best free reference box. The shipped int8 model is
calibrated on frames from 400 on, so the first 200 frames compared here are
never frames it was calibrated on.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from edge.bench.models import BenchModel, load_model, save_resized
from edge.bench.node import open_source
from edge.detect.base import Detector
from edge.track.matching import iou_matrix
from edge.types import Detections
from hardware.result import Agreement

log = logging.getLogger(__name__)

# int8 model -> the fp32 model it was quantised from
REFERENCES = {"nanodet-g-416-int8": "nanodet-g-416"}
CLASS = "person"
IOU = 0.5


def match(found: Detections, reference: Detections, iou: float = IOU) -> int:
    """How many of ``found`` match a box of ``reference`` one-to-one at ``iou`` (highest confidence first)."""
    if len(found) == 0 or len(reference) == 0:
        return 0
    overlap = iou_matrix(found.xyxy, reference.xyxy)
    free = np.ones(len(reference), bool)
    matched = 0
    for row in np.argsort(-found.confidence, kind="stable"):
        candidates = np.where(free, overlap[row], -1.0)
        best = int(np.argmax(candidates))
        if candidates[best] >= iou:
            free[best] = False
            matched += 1
    return matched


def score(matched: int, found: int, expected: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``matched`` out of ``found`` detections against ``expected`` ones (1.0 for 0 of 0).

    Example:
        >>> score(9, 10, 12)
        (0.9, 0.75, 0.8182)
    """
    precision = matched / found if found else 1.0
    recall = matched / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4)


def _people(detector: Detector, image: np.ndarray, class_id: int) -> Detections:
    return detector.detect(image).of_class(np.array([class_id]))


def measure_agreement(
    model: BenchModel, reference: BenchModel, video: Path, frames: int, size: int, threads: int, scratch: Path
) -> Agreement:
    """``model`` against ``reference`` over the first ``frames`` frames of ``video`` at input ``size``."""
    detectors = [m.detector(save_resized(m, size, scratch), threads, "CPUExecutionProvider") for m in (model, reference)]
    class_id = detectors[1].labels.index(CLASS)
    source = open_source(video)
    matched = found = expected = 0
    try:
        for frame, _ in zip(source.frames(), range(frames)):
            ours, theirs = (_people(d, frame.image, class_id) for d in detectors)
            matched += match(ours, theirs)
            found += len(ours)
            expected += len(theirs)
    finally:
        source.close()
        for detector in detectors:
            detector.close()
    precision, recall, f1 = score(matched, found, expected)
    log.info("%s against %s on %d frames: F1 %.4f (%s, IoU %.1f)", model.name, reference.name, frames, f1, CLASS, IOU)
    return Agreement(
        reference=reference.name, object_class=CLASS, iou=IOU, frames=frames, matched=matched,
        extra=found - matched, missed=expected - matched, precision=precision, recall=recall, f1=f1,
    )


def reference_of(model: BenchModel) -> BenchModel | None:
    """The fp32 model an int8 model was quantised from, where the benchmark knows it."""
    name = REFERENCES.get(model.name)
    return load_model(name) if name is not None and model.precision == "int8" else None
