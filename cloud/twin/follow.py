"""Following the events topic for a twin, when Kafka is there to follow.

A twin works from the lake alone; a live tail on ``citytwin.events`` only
makes it fresher. ``Follower`` starts the tail when Kafka and the topic
answer and, until they do, tries again at most every ``retry_s``, so a
service started before the broker or the bridge catches up by itself. Each
attempt runs in a thread of its own: an absent broker can take half a minute
to say so, and no query or evaluation waits for that.
"""

from __future__ import annotations

import logging
import threading
import time

from cloud.kafka.settings import KafkaSasl, KafkaTls
from cloud.twin.tail import KafkaTail, TailBuffer

log = logging.getLogger(__name__)


class Follower:
    """A ``TailBuffer`` for the twin, fed by a ``KafkaTail`` once one can start."""

    def __init__(
        self, bootstrap: str | None, topic: str, retry_s: float = 30.0, tls: KafkaTls | None = None,
        sasl: KafkaSasl | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.retry_s = retry_s
        self.tls = tls
        self.sasl = sasl
        self.buffer = TailBuffer()
        self.tail: KafkaTail | None = None
        self._next_try = 0.0
        self._attempt: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self.ensure()

    def ensure(self) -> bool:
        """Start an attempt if the tail is not running and a retry is due; True while it runs. Never blocks."""
        with self._lock:
            if self.tail is not None or not self.bootstrap or self._stopped:
                return self.tail is not None
            now = time.monotonic()
            if now < self._next_try or (self._attempt is not None and self._attempt.is_alive()):
                return False
            self._next_try = now + self.retry_s
            self._attempt = threading.Thread(target=self._try, name="twin-follow", daemon=True)
            self._attempt.start()
            return False

    def _try(self) -> None:
        assert self.bootstrap is not None
        try:
            tail = KafkaTail(self.buffer, self.bootstrap, self.topic, tls=self.tls, sasl=self.sasl)
        except Exception as exc:  # the lake still serves; the next retry may find Kafka
            log.warning("no live Kafka tail yet (%s); following the lake, retrying in %.0f s", exc, self.retry_s)
            return
        with self._lock:
            if self._stopped:
                tail.consumer.close()
                return
            self.tail = tail.start()
        log.info("live tail follows %s at %s", self.topic, self.bootstrap)

    def wait(self, timeout: float) -> bool:
        """Wait for the current attempt; True once the tail runs."""
        attempt = self._attempt
        if attempt is not None:
            attempt.join(timeout)
        return self.tail is not None

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            tail, self.tail = self.tail, None
        if tail is not None:
            tail.stop()
