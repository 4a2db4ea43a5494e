"""Keyed produce/consume, group offsets and resume against the live test Kafka."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import OffsetSpec
from kafka.serializer import DefaultSerializer

from tests.support.brokers import KafkaBroker, unique_name

pytestmark = pytest.mark.kafka

PARTITIONS = 3
KEYS = [f"node-{i:02d}" for i in range(8)]
MESSAGES_PER_KEY = 25
POLL_DEADLINE_S = 60.0


def _producer(broker: KafkaBroker) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=broker.bootstrap,
        acks="all",
        linger_ms=5,
        key_serializer=DefaultSerializer(),
        value_serializer=DefaultSerializer(),
    )


def _consumer(broker: KafkaBroker, topic: str, group: str) -> KafkaConsumer:
    return KafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        key_deserializer=DefaultSerializer(),
        value_deserializer=DefaultSerializer(),
    )


def _poll_until(consumer: KafkaConsumer, count: int, deadline_s: float = POLL_DEADLINE_S) -> list[Any]:
    """Poll until COUNT records arrived or the deadline passed; return them in order."""
    records: list[Any] = []
    deadline = time.monotonic() + deadline_s
    while len(records) < count and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    return records


def _send_all(producer: KafkaProducer, topic: str, messages: list[tuple[str, str]]) -> dict[str, set[int]]:
    """Send (key, value) pairs, wait for every ack; return the partitions seen per key."""
    futures = [(key, producer.send(topic, key=key, value=value)) for key, value in messages]
    producer.flush(timeout=30)
    partitions: dict[str, set[int]] = defaultdict(set)
    for key, future in futures:
        partitions[key].add(future.get(timeout=30).partition)
    return partitions


def test_topic_has_three_partitions(kafka_admin: Any, kafka_topic: str) -> None:
    (topic,) = kafka_admin.describe_topics([kafka_topic])
    assert topic["error_code"] == 0
    assert sorted(p["partition_index"] for p in topic["partitions"]) == list(range(PARTITIONS))


def test_keyed_messages_group_offsets_and_resume(
    kafka_broker: KafkaBroker, kafka_admin: Any, kafka_topic: str, request: pytest.FixtureRequest
) -> None:
    group = unique_name(request.node.name, prefix="group")
    messages = [(key, f"{key}:{seq}") for seq in range(MESSAGES_PER_KEY) for key in KEYS]

    producer = _producer(kafka_broker)
    try:
        acked = _send_all(producer, kafka_topic, messages)
    finally:
        producer.close()
    assert all(len(parts) == 1 for parts in acked.values()), acked
    assert len({p for parts in acked.values() for p in parts}) > 1, "all keys hashed to one partition"

    consumer = _consumer(kafka_broker, kafka_topic, group)
    try:
        records = _poll_until(consumer, len(messages))
        consumer.commit()
    finally:
        consumer.close()

    received = [(r.key, r.value) for r in records]
    assert sorted(received) == sorted(messages), "lost or duplicated messages"
    by_key: dict[str, list[Any]] = defaultdict(list)
    for record in records:
        by_key[record.key].append(record)
    for key, key_records in by_key.items():
        assert {r.partition for r in key_records} == acked[key], key
        assert [r.value for r in key_records] == [f"{key}:{seq}" for seq in range(MESSAGES_PER_KEY)]

    partitions = [TopicPartition(kafka_topic, p) for p in range(PARTITIONS)]
    end_offsets = kafka_admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in partitions})
    committed = kafka_admin.list_group_offsets({group: None})[group]
    assert {tp: o.offset for tp, o in committed.items()} == {tp: o.offset for tp, o in end_offsets.items()}
    assert sum(o.offset for o in end_offsets.values()) == len(messages)

    # A new member of the same group starts at the committed offsets: it sees
    # only what was produced after the commit.
    fresh = [(key, f"{key}:fresh") for key in KEYS[:3]]
    producer = _producer(kafka_broker)
    try:
        _send_all(producer, kafka_topic, fresh)
    finally:
        producer.close()
    resumed = _consumer(kafka_broker, kafka_topic, group)
    try:
        records = _poll_until(resumed, len(fresh))
        # Give any stale record a chance to show up before judging.
        records += _poll_until(resumed, 1, deadline_s=1.0)
    finally:
        resumed.close()
    assert sorted((r.key, r.value) for r in records) == sorted(fresh)
