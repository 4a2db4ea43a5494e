"""Reading a topic's records as they are now, from a start offset up to the end, without joining a group."""

from __future__ import annotations

import time
from collections.abc import Iterator

from confluent_kafka import Consumer, Message, TopicPartition

Ranges = dict[int, tuple[int, int]]  # partition -> (first offset to read, end offset)


def ranges(consumer: Consumer, topic: str, timeout_s: float) -> Ranges:
    """Each non-empty partition's low and high watermark; empty when the topic does not exist."""
    metadata = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return {}
    found: Ranges = {}
    for partition in metadata.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
        if high > low:
            found[partition] = (low, high)
    return found


def read_ranges(consumer: Consumer, topic: str, spans: Ranges, timeout_s: float) -> Iterator[Message]:
    """The records of ``spans``, each partition in offset order, until all are read or ``timeout_s`` has passed."""
    consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in spans.items()])
    open_partitions = set(spans)
    deadline = time.monotonic() + timeout_s
    while open_partitions and time.monotonic() < deadline:
        for msg in consumer.consume(1000, 0.5):
            partition, offset = msg.partition(), msg.offset()
            if msg.error() is not None or partition is None or offset is None:
                continue
            if offset >= spans[partition][1] - 1:
                open_partitions.discard(partition)
            yield msg
