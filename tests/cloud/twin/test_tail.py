"""Freshness: events on Kafka show in the twin before any Parquet file holds them."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from kafka import KafkaProducer

from cloud.twin.twin import Twin
from cloud.twin.tail import KafkaTail, TailBuffer
from edge.events.factory import EventFactory
from tests.cloud.twin.conftest import CAMERAS, SITE
from tests.support.brokers import KafkaBroker

pytestmark = pytest.mark.kafka


def test_tail_events_are_visible_before_the_sink_writes(tmp_path: Path, kafka_broker: KafkaBroker, kafka_topic: str) -> None:
    buffer = TailBuffer()
    tail = KafkaTail(buffer, kafka_broker.bootstrap, kafka_topic).start()
    twin = Twin(tmp_path / "lake", SITE, CAMERAS, tail=buffer)
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    try:
        factory = EventFactory("city", "cam-1", "city-cam-1")
        now = datetime.now(timezone.utc)
        for total in (1, 2, 3):
            event = factory.make("zone_occupancy", now, {"zone": "zone-0", "total": total, "by_class": {"person": total}})
            producer.send(kafka_topic, key=b"city/cam-1", value=event.to_json())
        producer.send(kafka_topic, value=b"not an event")
        producer.flush()
        start = time.monotonic()
        while len(buffer) < 3 and time.monotonic() - start < 10:
            time.sleep(0.02)
        latency = time.monotonic() - start
        twin.refresh()
        rows = twin.query("SELECT total FROM occupancy ORDER BY total").rows
    finally:
        producer.close()
        tail.stop()
    assert (len(buffer), buffer.rejected) == (3, 1)
    assert rows == [(1,), (2,), (3,)]
    assert buffer.rejected == 1
    assert latency < 5.0
