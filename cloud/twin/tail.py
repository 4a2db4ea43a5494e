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
import pyarrow.compute as pc

from cloud.kafka.security import kafka_python_security
from cloud.kafka.settings import KafkaSasl, KafkaTls
from cloud.sink.schema import SCHEMA as SINK_SCHEMA
from cloud.sink.schema import to_table
from cloud.twin.lake import lake_rows
from contract.model import Event
from contract.wire import Decoded, decode

log = logging.getLogger(__name__)


class TailBuffer:
    """Thread-safe, bounded buffer of the events that arrived within ``window``.

    Each payload is converted to the lake's columns once: ``table`` keeps what it made and converts only what
    arrived since, so a refresh costs the new events, not the whole buffer.
    """

    def __init__(self, max_events: int = 50_000, window: timedelta = timedelta(minutes=10)) -> None:
        self.window = window
        self._events: deque[tuple[datetime, bytes]] = deque(maxlen=max_events)
        self._added = 0  # events ever added: the deque holds numbers [_added - len, _added)
        self._lock = threading.Lock()
        self._converting = threading.Lock()
        self._made = SINK_SCHEMA.empty_table()  # converted rows, numbered in their kafka_offset column
        self._made_up_to = 0  # every event numbered below this has been converted (or refused)
        self.rejected = 0

    def add_raw(self, payload: bytes | None) -> None:
        """Add one wire payload; invalid ones are counted and dropped (the bridge dead-letters them)."""
        if not isinstance(decode(payload or b""), Decoded):
            self.rejected += 1
            return
        self._append(payload or b"")

    def add(self, event: Event) -> None:
        self._append(event.to_json())

    def _append(self, payload: bytes) -> None:
        with self._lock:
            self._events.append((datetime.now(timezone.utc), payload))
            self._added += 1

    def __len__(self) -> int:
        return len(self._events)

    def table(self) -> pa.Table:
        """The buffered events inside the window, as the lake's ``SCHEMA`` (envelope, ``date``, ``hour``)."""
        horizon = datetime.now(timezone.utc) - self.window
        with self._converting:
            with self._lock:
                # By arrival, not capture time: a replay of old video is still fresh news.
                while self._events and self._events[0][0] < horizon:
                    self._events.popleft()
                first, end = self._added - len(self._events), self._added
                start = max(first, self._made_up_to)
                fresh = [payload for _, payload in list(self._events)[start - first:]]
            table, bad = to_table(0, list(range(start, end)), fresh, [0] * len(fresh))
            if bad:  # kept in the buffer, never converted again: it is behind _made_up_to from now on
                self.rejected += len(bad)
                log.warning("twin tail: dropped %d events the lake cannot hold, e.g.: %s", len(bad), bad[0].reason)
            kept = self._made.filter(pc.greater_equal(self._made.column("kafka_offset"), first))
            self._made = pa.concat_tables([kept, table]) if table.num_rows else kept
            self._made_up_to = end
            return lake_rows(self._made)


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
