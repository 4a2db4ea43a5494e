"""Recorded video files, replayed at native rate or as fast as possible."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np

from edge.source.base import SourceError, VideoSource
from edge.source.settings import FileSourceConfig
from edge.types import Frame

log = logging.getLogger(__name__)


def replay_start(now: datetime, duration_s: float) -> datetime:
    """Capture time of a fast replay's first frame: midnight UTC of the day the stream would have begun to end now.

    The same on every replay of the day, so ids and bodies repeat; never so late that a stream
    of ``duration_s`` ends ahead of the clock (a looped one can still run past it).

    Example:
        >>> now = datetime(2026, 3, 2, 0, 1, tzinfo=timezone.utc)
        >>> replay_start(now, 30.0).isoformat(), replay_start(now, 600.0).isoformat()
        ('2026-03-02T00:00:00+00:00', '2026-03-01T00:00:00+00:00')
    """
    began = now - timedelta(seconds=duration_s)
    return began.replace(hour=0, minute=0, second=0, microsecond=0)


class FileSource(VideoSource):
    """Decode a video file frame by frame with OpenCV.

    Example:
        >>> src = FileSource(FileSourceConfig(path="vtest.avi"))  # doctest: +SKIP
        >>> next(iter(src.frames())).image.shape  # doctest: +SKIP
        (576, 768, 3)
    """

    def __init__(self, config: FileSourceConfig, name: str = "file") -> None:
        self.config = config
        self.name = name
        self._stop = threading.Event()
        self._dropped = 0
        path = config.path
        if not path.exists():
            raise SourceError(f"video file not found: {path}")
        if not path.is_file():
            raise SourceError(f"video path is not a file: {path}")
        if config.start_time is not None:
            self._start = config.start_time
        elif config.realtime:
            self._start = datetime.now(timezone.utc)
        else:
            self._start = replay_start(datetime.now(timezone.utc), self._duration_s())
        self._start = self._start.astimezone(timezone.utc)

    def _duration_s(self) -> float:
        """Stream seconds of one pass through the file, as its container says (0 if it says nothing)."""
        cap, fps = self._open()
        try:
            frames = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        finally:
            cap.release()
        return max(float(frames or 0.0), 0.0) / fps

    @property
    def dropped(self) -> int:
        return self._dropped

    def _open(self) -> tuple[cv2.VideoCapture, float]:
        cap = cv2.VideoCapture(str(self.config.path))
        if not cap.isOpened():
            raise SourceError(f"cannot open video file {self.config.path}: not a video OpenCV can decode")
        fps = cap.get(cv2.CAP_PROP_FPS)
        if not fps or fps <= 0 or fps > 1000:
            log.warning("video %s reports no usable frame rate (%s); assuming 25 fps", self.config.path, fps)
            fps = 25.0
        return cap, float(fps)

    def frames(self) -> Iterator[Frame]:
        index = 0
        offset = 0.0  # seconds of stream time before the current loop pass
        while not self._stop.is_set():
            cap, fps = self._open()
            pass_start = index
            wall_start = time.monotonic()
            try:
                while not self._stop.is_set():
                    ok, image = cap.read()
                    if not ok or image is None:
                        break
                    stream_s = offset + (index - pass_start) / fps
                    if self.config.realtime:
                        delay = (index - pass_start) / fps - (time.monotonic() - wall_start)
                        if delay > 0:
                            self._stop.wait(delay)
                    yield Frame(
                        index=index,
                        ts=self._start + timedelta(seconds=stream_s),
                        image=np.asarray(image, dtype=np.uint8),
                        source=self.name,
                    )
                    index += 1
            finally:
                cap.release()
            if index == pass_start:
                raise SourceError(f"video file {self.config.path} has no decodable frames (corrupt or truncated?)")
            if not self.config.loop:
                return
            offset += (index - pass_start) / fps

    def close(self) -> None:
        self._stop.set()
