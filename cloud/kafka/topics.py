"""Create the topics the cloud services need, if they do not exist yet.

Brokers run with ``auto.create.topics.enable=false``, so the services create
their topics explicitly at start-up: the events topic with the configured
partitions (the most sinks that can share the work), the dead-letter topic,
the compacted status topic keyed by camera, and the rules' alerts topic when
asked for. Given the deployment's retention policy, the events, dead-letter
and alerts topics are created with its ``retention.ms``, and existing topics
whose ``retention.ms`` differs are altered to match (incremental alter
configs, so their other settings stay); every change is logged. The regional
twin creates its own topics the same way (``create_and_align``).
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import AlterConfigOpType, ConfigEntry, ConfigResource  # re-exported without __all__
from confluent_kafka.admin._resource import ResourceType
from confluent_kafka.cimpl import NewTopic

from citytwin.errors import CitytwinError
from cloud.audit.settings import RetentionSettings, TopicRole
from cloud.kafka.clients import admin_config
from cloud.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)

TIMEOUT_S = 30.0
_NEW_TOPIC_GRACE_S = 10.0
RETENTION_MS = "retention.ms"


class TopicError(CitytwinError, RuntimeError):
    """A topic could not be created; the message names it and the broker's reason."""


def wanted_topics(
    kafka: KafkaSettings, retention: RetentionSettings | None = None, alerts_topic: str | None = None
) -> list[NewTopic]:
    """The topics of a deployment, with their partitions and settings.

    Without ``retention`` the topics get the broker's default retention, so a
    service that does not know the policy never overrides it.
    """
    size = {"max.message.bytes": str(kafka.max_message_bytes)}
    rf = kafka.replication_factor

    def kept(role: TopicRole) -> dict[str, str]:
        return {} if retention is None else {RETENTION_MS: str(retention.kafka_retention_ms(role))}

    topics = [
        NewTopic(kafka.topics.events, num_partitions=kafka.partitions, replication_factor=rf, config={**size, **kept("events")}),
        NewTopic(kafka.topics.dlq, num_partitions=1, replication_factor=rf, config={**size, **kept("dlq")}),
        NewTopic(
            kafka.topics.status,
            num_partitions=1,
            replication_factor=rf,
            config={**size, "cleanup.policy": "compact"},
        ),
    ]
    if alerts_topic is not None:
        topics.append(NewTopic(alerts_topic, num_partitions=1, replication_factor=rf, config={**size, **kept("alerts")}))
    return topics


def topic_configs(admin: AdminClient, names: list[str], timeout_s: float = TIMEOUT_S) -> dict[str, dict[str, str]]:
    """The current settings of existing topics, by name; raises ``KafkaException`` when the broker fails.

    A topic created a moment ago may not be known to the broker that answers
    yet; that is retried for a few seconds rather than reported.
    """
    if not names:
        return {}
    deadline = time.monotonic() + _NEW_TOPIC_GRACE_S
    while True:
        resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
        futures = admin.describe_configs(resources, request_timeout=timeout_s)
        try:
            return {
                resource.name: {key: entry.value for key, entry in future.result().items() if entry.value is not None}
                for resource, future in futures.items()
            }
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def align_config(admin: AdminClient, wanted: list[NewTopic], name: str, kafka: KafkaSettings) -> list[str]:
    """Set setting ``name`` on each wanted topic that asks for it and has another value; returns the names altered."""
    target = {t.topic: value for t in wanted if (value := (t.config or {}).get(name)) is not None}
    current = topic_configs(admin, sorted(target))
    changes = {topic: value for topic, value in target.items() if current.get(topic, {}).get(name) != value}
    if not changes:
        return []
    resources = [
        ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
            ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)
        ])
        for topic, value in changes.items()
    ]
    for resource, future in admin.incremental_alter_configs(resources, request_timeout=TIMEOUT_S).items():
        try:
            future.result()
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            raise TopicError(f"could not set {name} of Kafka topic {resource.name!r} on {kafka.bootstrap}: {error.str()}") from None
        log.info("set %s of Kafka topic %s from %s to %s", name, resource.name,
                 current.get(resource.name, {}).get(name), changes[resource.name])
    return sorted(changes)


def align_retention(admin: AdminClient, wanted: list[NewTopic], kafka: KafkaSettings) -> list[str]:
    """Set ``retention.ms`` on each wanted topic whose current value differs; returns the names altered."""
    return align_config(admin, wanted, RETENTION_MS, kafka)


def create_and_align(
    kafka: KafkaSettings, wanted: list[NewTopic], client_id: str, align: tuple[str, ...] = (), timeout_s: float = TIMEOUT_S
) -> list[str]:
    """Create the missing topics of ``wanted`` and set the ``align`` settings on the others; returns the names created."""
    admin = AdminClient(admin_config(kafka, client_id))
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    created = _create(admin, [topic for topic in wanted if topic.topic not in existing], kafka)
    # Includes topics another service created meanwhile, possibly without the settings.
    for name in align:
        align_config(admin, [topic for topic in wanted if topic.topic not in created], name, kafka)
    return created


def anchor_topic(kafka: KafkaSettings, retention: RetentionSettings) -> NewTopic:
    """The audit anchors topic: one partition, so each log's anchors stay in order, kept as the policy says."""
    return NewTopic(kafka.topics.audit_anchors, num_partitions=1, replication_factor=kafka.replication_factor,
                    config={RETENTION_MS: str(retention.kafka_retention_ms("audit_anchors"))})


def ensure_topics(
    kafka: KafkaSettings,
    client_id: str = "citytwin-admin",
    retention: RetentionSettings | None = None,
    alerts_topic: str | None = None,
) -> list[str]:
    """Create the deployment's missing topics and, given ``retention``, align existing ones; returns the names created."""
    align = (RETENTION_MS,) if retention is not None else ()
    return create_and_align(kafka, wanted_topics(kafka, retention, alerts_topic), client_id, align)


def _create(admin: AdminClient, missing: list[NewTopic], kafka: KafkaSettings) -> list[str]:
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
