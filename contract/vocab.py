"""The closed vocabularies of the contract: object classes and the stages a node times.

A free-form string can carry anything past ``extra="forbid"`` (plate text, an
embedding in base64), so every name an event holds comes either from the
site's configuration (ids, which the bridge checks against the deployment) or
from one of these declared sets.

- ``OBJECT_CLASSES``: the COCO-80 labels of the shipped detectors, in model
  output order; ``models/labels/coco80.txt`` is the same list, and a test
  keeps the two equal.
- ``STAGES``: the stages ``edge.runtime.node`` times and reports in
  ``node_health.stage_ms``, in the order a frame goes through them; the
  benchmark reports the same names. ``motion`` is timed only with the motion
  gate on and ``snapshot`` only with snapshots enabled.
- ``RETIRED_STAGES``: names older nodes report, still accepted from them;
  ``detect`` covered what is now ``preprocess``, ``infer`` and ``postprocess``.

Example:
    >>> OBJECT_CLASSES[:3], STAGES[:4]
    (('person', 'bicycle', 'car'), ('decode', 'motion', 'preprocess', 'infer'))
"""

from __future__ import annotations

from typing import Literal, get_args

ObjectClass = Literal[
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
]

Stage = Literal["decode", "motion", "preprocess", "infer", "postprocess", "track", "analytics", "snapshot", "publish"]
RetiredStage = Literal["detect"]
ReportedStage = Literal[Stage, RetiredStage]

# Why a camera's counts may be unreliable, as its node judges the scene (``edge.runtime.quality``).
SceneFlag = Literal["dark", "infrared", "low_contrast", "blur", "confidence_drift"]

OBJECT_CLASSES: tuple[str, ...] = get_args(ObjectClass)
SCENE_FLAGS: tuple[SceneFlag, ...] = get_args(SceneFlag)
STAGES: tuple[Stage, ...] = get_args(Stage)
RETIRED_STAGES: tuple[str, ...] = get_args(RetiredStage)
