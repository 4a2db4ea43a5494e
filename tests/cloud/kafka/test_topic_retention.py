"""Kafka topic retention follows the deployment's policy, on the live broker: at creation and on existing topics."""

from __future__ import annotations

from collections.abc import Iterator
import time
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from cloud.audit.settings import RetentionSettings
from cloud.kafka.clients import admin_config
from cloud.kafka.settings import KafkaSettings
from cloud.kafka.topics import align_retention, ensure_topics, topic_configs, wanted_topics
from cloud.residency.model import TopicState
from cloud.residency.probe import topic_states
from tests.support.brokers import KafkaBroker, unique_name

pytestmark = pytest.mark.kafka


@pytest.fixture
def kafka(kafka_broker: KafkaBroker, request: pytest.FixtureRequest) -> Iterator[KafkaSettings]:
    name = unique_name(request.node.name, "ret")
    settings = KafkaSettings.model_validate({
        "bootstrap": kafka_broker.bootstrap, "partitions": 1,
        "topics": {"events": f"{name}-events", "dlq": f"{name}-dlq", "status": f"{name}-status"},
    })
    yield settings
    admin = AdminClient(admin_config(settings, "citytwin-tests"))
    names = [t.topic for t in wanted_topics(settings, alerts_topic=f"{name}-alerts")]
    for future in admin.delete_topics(names, operation_timeout=30).values():
        try:
            future.result()
        except Exception:  # a topic the test never created
            pass


def _states(kafka: KafkaSettings, wanted: dict[str, int | None]) -> dict[str, TopicState]:
    """The topics' states once the broker's metadata lists them all (creation propagates within moments)."""
    deadline = time.monotonic() + 10
    while True:
        status, states = topic_states(kafka, wanted)
        assert "answered" in status
        if all(state.exists for state in states.values()) or time.monotonic() > deadline:
            return states
        time.sleep(0.2)


def _retention_ms(kafka: KafkaSettings, *names: str) -> list[str | None]:
    configs = topic_configs(AdminClient(admin_config(kafka, "citytwin-tests")), list(names))
    return [configs[n].get("retention.ms") for n in names]


def test_topics_are_created_with_the_policy(kafka: KafkaSettings) -> None:
    policy = RetentionSettings(events_topic_hours=2, dlq_topic_days=3, alerts_topic_days=4)
    alerts = kafka.topics.events.replace("-events", "-alerts")
    created = ensure_topics(kafka, retention=policy, alerts_topic=alerts)
    assert set(created) == {kafka.topics.events, kafka.topics.dlq, kafka.topics.status, alerts}
    assert _retention_ms(kafka, kafka.topics.events, kafka.topics.dlq, alerts) == [
        str(2 * 3_600_000), str(3 * 86_400_000), str(4 * 86_400_000)]


def test_existing_topics_are_altered_to_match_and_the_manifest_sees_it(kafka: KafkaSettings) -> None:
    ensure_topics(kafka)  # the broker's default retention, as an older bridge created them
    policy = RetentionSettings(events_topic_hours=1)
    wanted: dict[str, int | None] = {kafka.topics.events: policy.kafka_retention_ms("events"), kafka.topics.status: None}
    before = _states(kafka, wanted)
    assert before[kafka.topics.events].mismatch and before[kafka.topics.events].exists
    assert not before[kafka.topics.status].mismatch and before[kafka.topics.status].cleanup_policy == "compact"

    assert ensure_topics(kafka, retention=policy) == []  # nothing to create, only to align
    assert _retention_ms(kafka, kafka.topics.events) == [str(3_600_000)]
    after = _states(kafka, wanted)
    assert not after[kafka.topics.events].mismatch and after[kafka.topics.events].retention_ms == 3_600_000


def test_aligned_topics_are_left_alone(kafka: KafkaSettings) -> None:
    policy = RetentionSettings()
    ensure_topics(kafka, retention=policy)
    admin: Any = AdminClient(admin_config(kafka, "citytwin-tests"))
    assert align_retention(admin, wanted_topics(kafka, policy), kafka) == []
