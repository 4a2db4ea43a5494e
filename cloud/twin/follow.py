"""Following the events topic for a twin, when Kafka is there to follow.

A twin works from the lake alone; a live tail on ``citytwin.events`` only
makes it fresher. ``Follower`` starts the tail when Kafka and the topic
answer, retrying in the background every ``retry_s`` through the one Kafka
readiness helper (``cloud.kafka.ready.in_background``), so a service started
before the broker or the bridge catches up by itself, and no query or
evaluation ever waits for an absent broker (one can take half a minute to say so).
"""

from __future__ import annotations

import logging
import threading

from cloud.kafka.ready import in_background
from cloud.kafka.settings import KafkaSasl, KafkaTls
from cloud.twin.tail import KafkaTail, TailBuffer

log = logging.getLogger(__name__)

# The tail's client is not the services' one: whatever it raises while the brokers do not answer is worth a retry,
# and the lake serves meanwhile.
_NOT_READY: tuple[type[Exception], ...] = (Exception,)


class Follower:
    """A ``TailBuffer`` for the twin, fed by a ``KafkaTail`` once one can start."""

    def __init__(
        self, bootstrap: str | None, topic: str, retry_s: float = 30.0, tls: KafkaTls | None = None,
        sasl: KafkaSasl | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.tls = tls
        self.sasl = sasl
        self.buffer = TailBuffer()
        self.tail: KafkaTail | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._attempts: threading.Thread | None = None
        if bootstrap:
            self._attempts = in_background(self._open, self._started, bootstrap, self._stopping, "twin-follow",
                                           retry_s, _NOT_READY)

    def _open(self) -> KafkaTail:
        assert self.bootstrap is not None
        return KafkaTail(self.buffer, self.bootstrap, self.topic, tls=self.tls, sasl=self.sasl)

    def _started(self, tail: KafkaTail) -> None:
        with self._lock:
            if self._stopping.is_set():
                tail.consumer.close()
                return
            self.tail = tail.start()
        log.info("live tail follows %s at %s", self.topic, self.bootstrap)

    def ensure(self) -> bool:
        """True while the live tail runs; never blocks (the attempts to start it run in the background)."""
        return self.tail is not None

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the tail to start; True once it runs."""
        if self._attempts is not None:
            self._attempts.join(timeout)
        return self.tail is not None

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            tail, self.tail = self.tail, None
        if tail is not None:
            tail.stop()
