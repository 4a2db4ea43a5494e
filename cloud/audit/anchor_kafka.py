"""Audit anchors on Kafka: published without ever blocking the log's writer, and read back for ``citytwin audit verify``.

The topic (``kafka.topics.audit_anchors``) has one partition, is keyed by
site and log path, and is created with the deployment's retention policy
(``retention.audit_anchors_topic_days``; kept by default). Clients are
configured by ``cloud.kafka.clients``, so the deployment's transport
security applies. While Kafka cannot be reached, publishing logs one warning,
the anchor file keeps the heads, and each later anchor retries.
"""

from __future__ import annotations

import logging
import threading

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer

from cloud.audit.anchor import Anchor, Found, parse
from cloud.audit.settings import RetentionSettings
from cloud.kafka.clients import producer_config, reader_config
from cloud.kafka.reading import ranges, read_ranges
from cloud.kafka.settings import KafkaSettings
from cloud.kafka.topics import RETENTION_MS, TopicError, anchor_topic, create_and_align

log = logging.getLogger(__name__)

ENSURE_TIMEOUT_S = 10.0


def describe(exc: Exception) -> str:
    """What went wrong, in librdkafka's words when it has some."""
    error = exc.args[0] if exc.args else None
    return error.str() if isinstance(error, KafkaError) else str(exc)


class KafkaAnchors:
    """Publishes anchors to the topic; every call returns at once or after at most ``ENSURE_TIMEOUT_S``."""

    def __init__(self, kafka: KafkaSettings, retention: RetentionSettings, client_id: str) -> None:
        self.kafka = kafka
        self.retention = retention
        self.client_id = client_id
        self.topic = kafka.topics.audit_anchors
        self.ready = False  # the topic exists with its policy
        self.delivered: tuple[int, str] | None = None
        self._pending: tuple[int, str] | None = None
        self._producer: Producer | None = None
        self._failing = False
        self._lock = threading.Lock()

    def _warn(self, what: str) -> None:
        if not self._failing:
            log.warning("audit: cannot anchor to Kafka topic %s at %s (%s); anchoring to the file meanwhile and "
                        "retrying with every anchor", self.topic, self.kafka.bootstrap, what)
        self._failing = True

    def _on_delivery(self, error: KafkaError | None, _msg: Message, head: tuple[int, str]) -> None:
        with self._lock:
            if self._pending == head:
                self._pending = None
            if error is not None:
                self._warn(error.str())
                return
            self.delivered = head
            if self._failing:
                log.info("audit: anchoring to Kafka topic %s again (seq %d)", self.topic, head[0])
            self._failing = False

    def offer(self, anchor: Anchor) -> None:
        """Publish ``anchor`` unless it is already on its way or delivered; problems are logged, never raised."""
        head = (anchor.seq, anchor.hash)
        try:
            if self._producer is not None:
                self._producer.poll(0)  # serve earlier deliveries
            if head in (self.delivered, self._pending):
                return
            if not self.ready:
                create_and_align(self.kafka, [anchor_topic(self.kafka, self.retention)], self.client_id,
                                 align=(RETENTION_MS,), timeout_s=ENSURE_TIMEOUT_S)
                self.ready = True
            if self._producer is None:
                self._producer = Producer(producer_config(self.kafka, self.client_id, linger_ms=0))
            self._pending = head
            self._producer.produce(self.topic, anchor.line().rstrip(b"\n"), anchor.key.encode(),
                                   on_delivery=lambda e, m: self._on_delivery(e, m, head))
            self._producer.poll(0)
        except (KafkaException, TopicError, BufferError) as exc:
            self._pending = None
            self._warn(describe(exc))

    def close(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for what is in flight; True when every anchor offered was delivered."""
        if self._producer is None:
            return self._pending is None
        left = self._producer.flush(timeout_s)
        if left:
            self._producer.purge()  # undeliverable now; the file has them
            self._producer.flush(0)
        return left == 0 and self._pending is None


def read(kafka: KafkaSettings, client_id: str, timeout_s: float = 10.0) -> Found:
    """Every anchor on the topic, oldest first; raises ``KafkaException`` when the brokers do not answer."""
    topic = kafka.topics.audit_anchors
    # The caller reports a broker that does not answer in one line; librdkafka's own line per retry would bury it.
    consumer = Consumer({**reader_config(kafka, client_id), "log_level": 2})
    found = Found()
    try:
        for msg in read_ranges(consumer, topic, ranges(consumer, topic, timeout_s), timeout_s):
            anchor = parse(msg.value() or b"", f"kafka://{kafka.bootstrap}/{topic}")
            if anchor is None:
                found.unreadable += 1
            else:
                found.anchors.append(anchor)
        return found
    finally:
        consumer.close()
