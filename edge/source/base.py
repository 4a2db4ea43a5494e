"""The video source interface shared by every source plugin."""

from __future__ import annotations

import abc
from collections.abc import Iterator

from citytwin.errors import CitytwinError
from edge.types import Frame


class SourceError(CitytwinError, RuntimeError):
    """A source cannot be opened or read; the message says which and why."""


class VideoSource(abc.ABC):
    """Yields frames in capture order until the source ends or ``close()`` is called."""

    name: str

    @abc.abstractmethod
    def frames(self) -> Iterator[Frame]:
        """Iterate over frames; raises ``SourceError`` when the source is unusable."""

    @property
    def dropped(self) -> int:
        """Frames the source read but could not hand on (decode errors, reconnects)."""
        return 0

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
