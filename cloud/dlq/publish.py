"""Send dead letters to the DLQ topic and wait until Kafka holds them.

Used where a rejection must be durable before the service moves on, like the
sink, which commits the offsets of rejected records only after their dead
letters are acknowledged. (The bridge sends its dead letters through its own
producer, tied to MQTT acknowledgements.)
"""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError, Message, Producer

from citytwin.errors import CitytwinError
from cloud.dlq.records import DeadLetter
from cloud.kafka.clients import producer_config
from cloud.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)


class DeadLetterError(CitytwinError, RuntimeError):
    """Kafka did not acknowledge a dead letter; whatever depends on it must not be committed."""


class DeadLetterPublisher:
    """Produces dead letters; ``flush`` raises unless every one sent so far is acknowledged."""

    def __init__(self, kafka: KafkaSettings, client_id: str) -> None:
        self.topic = kafka.topics.dlq
        self.producer = Producer(producer_config(kafka, client_id, linger_ms=5))
        self.sent = 0
        self._failures: list[str] = []

    def send(self, letter: DeadLetter) -> None:
        def report(error: KafkaError | None, _msg: Message) -> None:
            if error is not None:
                self._failures.append(error.str())

        self.producer.produce(self.topic, letter.raw, letter.key, headers=letter.headers(), on_delivery=report)
        self.sent += 1

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait for every dead letter sent so far; raises ``DeadLetterError`` if any is not in Kafka."""
        left = self.producer.flush(timeout_s)
        failures, self._failures = self._failures, []
        if left or failures:
            detail = failures[0] if failures else f"{left} still unacknowledged after {timeout_s:.0f}s"
            raise DeadLetterError(f"dead letters to {self.topic} were not acknowledged: {detail}")
