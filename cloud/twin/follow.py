"""Following the events topic for a twin, when Kafka is there to follow.

A twin works from the lake alone; a live tail on ``citytwin.events`` only
makes it fresher. ``Follower`` starts the tail when Kafka and the topic
answer and, until they do, tries again at most every ``retry_s``, so a
service started before the broker or the bridge catches up by itself.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from cloud.twin.tail import KafkaTail, TailBuffer

if TYPE_CHECKING:
    from cloud.config import KafkaTls

log = logging.getLogger(__name__)


class Follower:
    """A ``TailBuffer`` for the twin, fed by a ``KafkaTail`` once one can start."""

    def __init__(self, bootstrap: str | None, topic: str, retry_s: float = 30.0, tls: KafkaTls | None = None) -> None:
        self.bootstrap = bootstrap
        self.tls = tls
        self.topic = topic
        self.retry_s = retry_s
        self.buffer = TailBuffer()
        self.tail: KafkaTail | None = None
        self._next_try = 0.0
        self.ensure()

    def ensure(self) -> bool:
        """Start the tail if it is not running and a retry is due; True while it runs."""
        if self.tail is not None or not self.bootstrap:
            return self.tail is not None
        now = time.monotonic()
        if now < self._next_try:
            return False
        self._next_try = now + self.retry_s
        try:
            self.tail = KafkaTail(self.buffer, self.bootstrap, self.topic, tls=self.tls).start()
            log.info("live tail follows %s at %s", self.topic, self.bootstrap)
        except Exception as exc:  # the lake still serves; the next retry may find Kafka
            log.warning("no live Kafka tail yet (%s); following the lake, retrying in %.0f s", exc, self.retry_s)
        return self.tail is not None

    def stop(self) -> None:
        if self.tail is not None:
            self.tail.stop()
            self.tail = None
