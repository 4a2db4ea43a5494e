"""Live sources: RTSP/HTTP streams and V4L2/USB cameras, reconnecting with backoff."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timezone

import cv2
import numpy as np

from edge.source.base import VideoSource
from edge.source.settings import StreamSourceConfig
from edge.types import Frame

log = logging.getLogger(__name__)


class StreamSource(VideoSource):
    """Read a live source; a lost stream is reopened with exponential backoff."""

    def __init__(self, config: StreamSourceConfig, name: str = "stream") -> None:
        self.config = config
        self.name = name
        self._stop = threading.Event()
        self._dropped = 0
        self.reconnects = 0

    @property
    def dropped(self) -> int:
        return self._dropped

    def _target(self) -> str | int:
        url = self.config.url
        return int(url) if url.isdigit() else url

    def _open(self) -> cv2.VideoCapture | None:
        cap = cv2.VideoCapture(self._target())
        if cap.isOpened():
            return cap
        cap.release()
        return None

    def frames(self) -> Iterator[Frame]:
        index = 0
        delay = self.config.reconnect_initial_s
        failures = 0
        while not self._stop.is_set():
            cap = self._open()
            if cap is None:
                failures += 1
                if self.config.max_failures and failures >= self.config.max_failures:
                    log.error("source %s: %s unreachable after %d attempts; giving up", self.name, self.config.url, failures)
                    return
                log.warning("source %s: cannot open %s; retrying in %.1f s", self.name, self.config.url, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, self.config.reconnect_max_s)
                continue
            if failures or self.reconnects:
                log.info("source %s: connected to %s", self.name, self.config.url)
            failures = 0
            delay = self.config.reconnect_initial_s
            try:
                while not self._stop.is_set():
                    ok, image = cap.read()
                    if not ok or image is None:
                        self._dropped += 1
                        log.warning("source %s: stream %s lost; reconnecting", self.name, self.config.url)
                        break
                    yield Frame(index=index, ts=datetime.now(timezone.utc), image=np.asarray(image, dtype=np.uint8), source=self.name)
                    index += 1
            finally:
                cap.release()
            self.reconnects += 1

    def close(self) -> None:
        self._stop.set()
