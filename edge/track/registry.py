"""Explicit registry of tracker plugins, keyed by the config's ``type``.

A new tracker adds its config class to ``edge.track.settings.TrackerConfig``
(a union discriminated by ``type``) and one entry to ``TRACKERS``.

Example:
    >>> build_tracker(ByteTrackConfig(max_age=10)).config.max_age
    10
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from edge.track.base import Tracker
from edge.track.bytetrack import ByteTrack
from edge.track.settings import ByteTrackConfig

TRACKERS: dict[str, tuple[type[BaseModel], Callable[[Any], Tracker]]] = {
    "bytetrack": (ByteTrackConfig, ByteTrack),
}


def build_tracker(config: ByteTrackConfig) -> Tracker:
    """The tracker a config describes."""
    try:
        config_class, factory = TRACKERS[config.type]
    except KeyError:
        raise ValueError(f"unknown tracker type {config.type!r}; known: {', '.join(sorted(TRACKERS))}") from None
    if not isinstance(config, config_class):
        raise TypeError(f"tracker {config.type!r} needs a {config_class.__name__}, got {type(config).__name__}")
    return factory(config)
