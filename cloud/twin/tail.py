"""The live tail: events the sink has not written to Parquet yet.

A ``TailBuffer`` holds the most recent events (bounded) as they arrive from
Kafka, so the cockpit sees them within a second instead of after the sink's
next batch. Once a lake file covers an event, deduplication hides the tail's
copy, and the buffer forgets events older than its window.

The tail reads the same records as the sink and converts them the same way
(``cloud.sink.schema.to_table``), so what the lake can hold the tail can too,
and a record that neither can hold is counted in ``rejected`` and dropped:
``add_raw`` and ``table`` never raise on any payload.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime, timedelta, timezone

import pyarrow as pa

from cloud.kafka.security import kafka_python_security
from cloud.kafka.settings import KafkaSasl, KafkaTls
from cloud.sink.schema import to_table
from cloud.twin.lake import lake_rows
from contract.model import Event
from contract.wire import Decoded, decode

log = logging.getLogger(__name__)


class TailBuffer:
    """Thread-safe, bounded buffer of the events that arrived within ``window``."""

    def __init__(self, max_events: int = 50_000, window: timedelta = timedelta(minutes=10)) -> None:
        self.window = window
        self._events: deque[tuple[datetime, bytes]] = deque(maxlen=max_events)
        self._lock = threading.Lock()
        self.rejected = 0

    def add_raw(self, payload: bytes | None) -> None:
        """Add one wire payload; invalid ones are counted and dropped (the bridge dead-letters them)."""
        if not isinstance(decode(payload or b""), Decoded):
            self.rejected += 1
            return
        with self._lock:
            self._events.append((datetime.now(timezone.utc), payload or b""))

    def add(self, event: Event) -> None:
        with self._lock:
            self._events.append((datetime.now(timezone.utc), event.to_json()))

    def __len__(self) -> int:
        return len(self._events)

    def table(self) -> pa.Table:
        """The buffered events inside the window, as the lake's ``SCHEMA`` (envelope, ``date``, ``hour``)."""
        horizon = datetime.now(timezone.utc) - self.window
        with self._lock:
            # By arrival, not capture time: a replay of old video is still fresh news.
            while self._events and self._events[0][0] < horizon:
                self._events.popleft()
            payloads = [payload for _, payload in self._events]
        table, bad = to_table(0, list(range(len(payloads))), payloads, [0] * len(payloads))
        if bad:
            self._forget({record.value for record in bad}, bad[0].reason)
        return lake_rows(table)

    def _forget(self, payloads: set[bytes], reason: str) -> None:
        """Drop payloads the lake's columns cannot hold, so they are judged once."""
        with self._lock:
            kept = [(at, p) for at, p in self._events if p not in payloads]
            self.rejected += len(self._events) - len(kept)
            self._events = deque(kept, maxlen=self._events.maxlen)
        log.warning("twin tail: dropped %d events the lake cannot hold, e.g.: %s", len(payloads), reason)


class KafkaTail:
    """Feeds a ``TailBuffer`` from the events topic, starting at the newest offsets.

    It joins no consumer group and commits nothing: it only looks, so it can
    never disturb the sink's offsets. ``tls`` and ``sasl`` are the deployment's ``kafka.tls`` and ``kafka.sasl``.
    """

    def __init__(
        self, buffer: TailBuffer, bootstrap: str, topic: str = "citytwin.events", *,
        tls: KafkaTls | None = None, sasl: KafkaSasl | None = None,
    ) -> None:
        from kafka import KafkaConsumer, TopicPartition  # only needed when a tail is wanted

        self.buffer = buffer
        self.topic = topic
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            client_id="citytwin-twin-tail",
            **kafka_python_security(tls, sasl),
        )
        partitions = self.consumer.partitions_for_topic(topic)
        if not partitions:
            self.consumer.close()
            raise RuntimeError(f"Kafka topic {topic!r} not found at {bootstrap}; start the bridge (it creates it) first")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        self.consumer.assign(assigned)
        self.consumer.seek_to_end(*assigned)
        for tp in assigned:
            self.consumer.position(tp)  # resolve "end" now, so nothing sent after start is missed
        self._stop = threading.Event()
        self.assigned = threading.Event()
        self.assigned.set()
        self._thread = threading.Thread(target=self._loop, name="twin-tail", daemon=True)

    def start(self) -> KafkaTail:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                batches = self.consumer.poll(timeout_ms=200, max_records=5000)
            except Exception:  # a broker outage must not end the tail; the next poll retries
                log.warning("twin tail: poll failed; retrying", exc_info=True)
                self._stop.wait(1.0)
                continue
            for records in batches.values():
                for record in records:
                    self.buffer.add_raw(record.value)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.consumer.close()
