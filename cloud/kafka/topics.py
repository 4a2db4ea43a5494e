"""Create the topics the cloud services need, if they do not exist yet.

Brokers run with ``auto.create.topics.enable=false``, so the services create
their topics explicitly at start-up: the events topic with the configured
partitions (the most sinks that can share the work), the dead-letter topic,
and the compacted status topic keyed by camera. Existing topics are left as
they are.
"""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from cloud.config import KafkaSettings
from cloud.kafka.settings import admin_config

log = logging.getLogger(__name__)

TIMEOUT_S = 30.0


class TopicError(RuntimeError):
    """A topic could not be created; the message names it and the broker's reason."""


def wanted_topics(kafka: KafkaSettings) -> list[NewTopic]:
    """The topics of a deployment, with their partitions and settings."""
    size = {"max.message.bytes": str(kafka.max_message_bytes)}
    rf = kafka.replication_factor
    return [
        NewTopic(kafka.topics.events, num_partitions=kafka.partitions, replication_factor=rf, config=size),
        NewTopic(kafka.topics.dlq, num_partitions=1, replication_factor=rf, config=size),
        NewTopic(
            kafka.topics.status,
            num_partitions=1,
            replication_factor=rf,
            config={**size, "cleanup.policy": "compact"},
        ),
    ]


def ensure_topics(kafka: KafkaSettings, client_id: str = "citytwin-admin") -> list[str]:
    """Create the deployment's missing topics; returns the names created."""
    admin = AdminClient(admin_config(kafka, client_id))
    existing = set(admin.list_topics(timeout=TIMEOUT_S).topics)
    missing = [topic for topic in wanted_topics(kafka) if topic.topic not in existing]
    if not missing:
        return []
    created = []
    futures = admin.create_topics(missing, operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue  # another service created it meanwhile
            raise TopicError(f"could not create Kafka topic {name!r} on {kafka.bootstrap}: {error.str()}") from None
        created.append(name)
        log.info("created Kafka topic %s", name)
    return created
