"""Kafka side of the bridge: an idempotent, ``acks=all`` producer and what each delivery outcome means.

Delivery reports arrive on the thread that calls ``poll``. A report is one of:

- ``OK``: Kafka holds the record; the MQTT message may be acknowledged.
- ``RESEND``: it was not delivered in time (broker away longer than the
  delivery timeout) or the producer was purged; the caller sends it again.
- ``REJECTED``: Kafka refuses this record for good (too large, invalid); the
  caller dead-letters it instead.
- ``FATAL``: the producer cannot go on (its idempotence state is lost); the
  service stops without acknowledging, and MQTT redelivers after a restart.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from typing import NamedTuple

from confluent_kafka import KafkaError, Message, Producer

from cloud.dlq.records import Headers
from cloud.kafka.clients import producer_config
from cloud.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)

_REJECTED = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError.INVALID_RECORD,
        KafkaError.INVALID_MSG,
        KafkaError.INVALID_MSG_SIZE,
        KafkaError.INVALID_TIMESTAMP,
    }
)


class Outcome(enum.Enum):
    """What a delivery report means for the message behind it."""

    OK = "ok"
    RESEND = "resend"
    REJECTED = "rejected"
    FATAL = "fatal"


def classify(error: KafkaError | None) -> Outcome:
    """Map a delivery report's error (None for success) to an ``Outcome``."""
    if error is None:
        return Outcome.OK
    if error.fatal():
        return Outcome.FATAL
    if error.code() in _REJECTED:
        return Outcome.REJECTED
    return Outcome.RESEND


class Record(NamedTuple):
    """One Kafka record to produce."""

    topic: str
    key: bytes
    value: bytes
    headers: Headers | None = None


OnResult = Callable[[Outcome, KafkaError | None], None]


class KafkaOut:
    """Produces records and reports each one's ``Outcome`` to its callback."""

    def __init__(self, kafka: KafkaSettings, client_id: str, linger_ms: float) -> None:
        self.producer = Producer(producer_config(kafka, client_id, linger_ms))

    def send(self, record: Record, on_result: OnResult) -> None:
        """Queue ``record``; ``on_result`` runs on the thread that calls ``poll``."""

        def report(error: KafkaError | None, _msg: Message) -> None:
            on_result(Outcome.OK if error is None else classify(error), error)

        while True:
            try:
                self.producer.produce(record.topic, record.value, record.key, headers=record.headers, on_delivery=report)
                return
            except BufferError:
                # The local queue is full: Kafka is slow or away. Wait for room.
                log.warning("Kafka producer queue is full; waiting")
                self.producer.poll(0.1)
                time.sleep(0.01)

    def poll(self, timeout_s: float) -> int:
        """Serve delivery reports for up to ``timeout_s``; returns how many ran."""
        return self.producer.poll(timeout_s)

    def flush(self, timeout_s: float) -> int:
        """Wait for outstanding deliveries; returns how many are still outstanding."""
        return self.producer.flush(timeout_s)

    def __len__(self) -> int:
        """Records queued or in flight."""
        return len(self.producer)
