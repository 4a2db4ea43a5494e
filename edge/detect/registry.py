"""Explicit registry of detector plugins, keyed by the config's ``type``.

A new detector adds its config class to ``edge.detect.settings.DetectorConfig``
(a union discriminated by ``type``) and one entry to ``DETECTORS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from edge.detect.base import Detector
from edge.detect.nanodet import NanoDet
from edge.detect.settings import NanoDetConfig, YoloConfig
from edge.detect.yolo import Yolo

DETECTORS: dict[str, tuple[type[BaseModel], Callable[[Any], Detector]]] = {
    "nanodet": (NanoDetConfig, NanoDet),
    "yolo": (YoloConfig, Yolo),
}


def build_detector(config: NanoDetConfig | YoloConfig) -> Detector:
    """The detector a config describes; loads its model."""
    config_class, factory = DETECTORS[config.type]
    if not isinstance(config, config_class):
        raise TypeError(f"detector {config.type!r} needs a {config_class.__name__}, got {type(config).__name__}")
    return factory(config)
