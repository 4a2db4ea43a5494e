"""Where the sink commits Kafka offsets: only ever for records whose lake files are durable.

``OffsetCommitter.commit`` is called after a batch's files are renamed into
place and synced. The committed value is the next offset to read. A commit
that fails (broker away, group rebalancing) is kept and retried; if the
partition moves to another sink meanwhile, that sink re-reads from the older
commit and rewrites the same files (see ``cloud.sink.recover``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping

from confluent_kafka import Consumer, KafkaException, TopicPartition

log = logging.getLogger(__name__)


class OffsetCommitter:
    """Commits per-partition offsets synchronously and remembers what Kafka accepted."""

    def __init__(self, consumer: Consumer, topic: str) -> None:
        self.consumer = consumer
        self.topic = topic
        self._pending: dict[int, int] = {}
        self._committed: dict[int, int] = {}
        self._lock = threading.Lock()

    def commit(self, next_offsets: Mapping[int, int]) -> bool:
        """Commit ``partition -> next offset to read``; returns whether everything pending is committed."""
        for partition, offset in next_offsets.items():
            self._pending[partition] = max(offset, self._pending.get(partition, offset))
        return self.retry()

    def retry(self) -> bool:
        """Try the pending commits again; returns whether none is left."""
        if not self._pending:
            return True
        wanted = [TopicPartition(self.topic, p, o) for p, o in sorted(self._pending.items())]
        try:
            result = self.consumer.commit(offsets=wanted, asynchronous=False)
        except KafkaException as exc:
            log.warning("could not commit offsets %s: %s; will retry", self._describe(), exc.args[0])
            return False
        for tp in result or wanted:
            if tp.error is not None:
                log.warning("could not commit %s partition %d at %d: %s; will retry", self.topic, tp.partition, tp.offset, tp.error)
                continue
            if self._pending.get(tp.partition) == tp.offset:
                del self._pending[tp.partition]
            with self._lock:
                self._committed[tp.partition] = tp.offset
        return not self._pending

    def forget(self, partitions: Iterable[int]) -> None:
        """Drop state of partitions this sink no longer owns."""
        with self._lock:
            for partition in partitions:
                self._pending.pop(partition, None)
                self._committed.pop(partition, None)

    def committed(self) -> dict[int, int]:
        """A copy of ``partition -> committed next offset`` for partitions owned now; thread-safe."""
        with self._lock:
            return dict(self._committed)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _describe(self) -> str:
        return ", ".join(f"p{p}@{o}" for p, o in sorted(self._pending.items()))
