"""librdkafka client settings derived from the deployment's ``kafka`` section.

One place decides durability and recovery behaviour: producers are idempotent
with ``acks=all``; consumers never auto-commit (the sink commits after its
files are durable); reconnect back-off is capped at a few seconds so that a
restarted broker is picked up quickly. ``kafka.tls`` and ``kafka.sasl`` turn
on TLS and SASL/SCRAM for every client (see ``cloud.kafka.security``).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from cloud.kafka.security import librdkafka_security
from cloud.kafka.settings import KafkaSettings

# librdkafka prefixes its own log lines; route them through Python logging.
_LIBRDKAFKA_LOG = logging.getLogger("cloud.kafka.librdkafka")
# Room for the record framing and headers on top of the largest payload.
_FRAMING_BYTES = 64 * 1024


def _common(kafka: KafkaSettings, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": kafka.bootstrap,
        "client.id": client_id,
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 2000,
        "logger": _LIBRDKAFKA_LOG,
        **librdkafka_security(kafka.tls, kafka.sasl),
    }


def default_instance() -> str:
    """This host's name, the default instance name of a service."""
    return socket.gethostname() or "localhost"


def producer_config(kafka: KafkaSettings, client_id: str, linger_ms: float = 5.0) -> dict[str, Any]:
    """Idempotent producer, ``acks=all``: a record is acknowledged only once it is replicated."""
    return {
        **_common(kafka, client_id),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": linger_ms,
        "compression.type": "lz4",
        "message.max.bytes": kafka.max_message_bytes + _FRAMING_BYTES,
        "message.timeout.ms": int(kafka.delivery_timeout_s * 1000),
        "queue.buffering.max.messages": 1_000_000,
        "queue.buffering.max.kbytes": 1_048_576,
    }


def consumer_config(kafka: KafkaSettings, group: str, client_id: str) -> dict[str, Any]:
    """Group consumer that starts at the earliest record and commits only when told to."""
    return {
        **_common(kafka, client_id),
        "group.id": group,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "max.partition.fetch.bytes": kafka.max_message_bytes + _FRAMING_BYTES,
        "fetch.max.bytes": max(64 * 2**20, kafka.max_message_bytes + _FRAMING_BYTES),
        # A sink that dies unannounced hands its partitions on after this long.
        "session.timeout.ms": 10_000,
        "max.poll.interval.ms": 300_000,
    }


def reader_config(kafka: KafkaSettings, client_id: str) -> dict[str, Any]:
    """Consumer for reading assigned partitions without joining a group (the DLQ tools)."""
    config = consumer_config(kafka, group=f"{client_id}-reader", client_id=client_id)
    config["auto.offset.reset"] = "earliest"
    return config


def admin_config(kafka: KafkaSettings, client_id: str) -> dict[str, Any]:
    """Admin client for topic creation."""
    return _common(kafka, client_id)
