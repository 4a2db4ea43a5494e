"""Explicit registry of source plugins, keyed by the config's ``type``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from edge.source.base import VideoSource
from edge.source.file import FileSource
from edge.source.settings import FileSourceConfig, StreamSourceConfig
from edge.source.stream import StreamSource

SOURCES: dict[str, tuple[type[BaseModel], Callable[[Any, str], VideoSource]]] = {
    "file": (FileSourceConfig, FileSource),
    "stream": (StreamSourceConfig, StreamSource),
}


def build_source(config: FileSourceConfig | StreamSourceConfig, name: str) -> VideoSource:
    """The source a config describes."""
    _, factory = SOURCES[config.type]
    return factory(config, name)
