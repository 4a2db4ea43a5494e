"""A regional sink and one signed count cell for the tests of the federation link, and reading a regional topic back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from cloud.federation.region_config import RegionDeployment, keyring
from cloud.federation.regional import RegionalSink
from tests.cloud.federation.support import cell, key_environ, region_doc, signed_by
from tests.support.brokers import unique_name


def region_sink(bootstrap: str, topic: str, lake: Path, **kafka: Any) -> RegionalSink:
    """A regional sink for ghent's test key that creates ``topic``; ``kafka`` adds settings such as tls or sasl."""
    doc = region_doc(bootstrap, topic, lake, ["ghent"])
    doc["kafka"].update(kafka)
    cfg = RegionDeployment.model_validate(doc)
    return RegionalSink(cfg, keyring(cfg, key_environ()))


def signed_cell(value: int = 40) -> tuple[bytes, bytes]:
    """Key and value of one valid cell of ghent, signed with its test key, as a city sends it."""
    doc = cell(value=value)
    key = f"ghent|{doc['camera']}|{doc['kind']}|{doc['subject']}|{doc['bucket_start']}"
    return key.encode(), signed_by("ghent", doc)


def drain(sink: RegionalSink, polls: int = 20) -> int:
    """Poll ``sink`` until it writes something (or ``polls`` half-second polls pass), close it; the cells written."""
    written = 0
    for _ in range(polls):
        written += sink.step(500)
        if written:
            break
    sink.close()
    return written


def read_all(bootstrap: str, topic: str) -> list[Any]:
    """Every record of ``topic``, from the start of each partition to its end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique_name("reader"), "enable.auto.commit": False})
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        if meta.error is not None:  # no such topic: nothing was sent to it
            return []
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in meta.partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in ends])
        found: list[Any] = []
        deadline = time.monotonic() + 30
        while sum(ends.values()) > len(found) and time.monotonic() < deadline:
            found.extend(m for m in consumer.consume(500, 0.5) if m.error() is None)
        return found
    finally:
        consumer.close()
