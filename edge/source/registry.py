"""Explicit registry of source plugins, keyed by the config's ``type``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, Field

from edge.source.base import VideoSource
from edge.source.file import FileSource, FileSourceConfig
from edge.source.stream import StreamSource, StreamSourceConfig

SourceConfig = Annotated[FileSourceConfig | StreamSourceConfig, Field(discriminator="type")]


SOURCES: dict[str, tuple[type[BaseModel], Callable[[Any, str], VideoSource]]] = {
    "file": (FileSourceConfig, FileSource),
    "stream": (StreamSourceConfig, StreamSource),
}


def build_source(config: FileSourceConfig | StreamSourceConfig, name: str) -> VideoSource:
    """The source a config describes."""
    _, factory = SOURCES[config.type]
    return factory(config, name)
