"""A replayed cell cannot roll a city's value back: of two signed copies, the later export wins, whenever it arrives.

A city re-exports its recent buckets on every run, and a bucket's value can
grow between runs (late events). Anyone who can write to the regional topic
can copy a city's earlier, genuinely signed record and send it again within
``region.max_delay_s``: it passes every check, and if the region kept the copy
that *arrived* last, the city's value would go back to the earlier one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from confluent_kafka import Producer

from cloud.federation.regional import RegionalSink, RegionalTwin
from tests.cloud.federation.support import cell, signed_by
from tests.support.brokers import KafkaBroker, unique_name
from tests.support.region import region_sink

pytestmark = [pytest.mark.kafka]


@pytest.fixture
def sink(kafka_broker: KafkaBroker, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[RegionalSink, str]]:
    topic = unique_name(request.node.name)
    regional = region_sink(kafka_broker.bootstrap, topic, tmp_path / "region")
    try:
        yield regional, topic
    finally:
        regional.close()


def _send(bootstrap: str, topic: str, records: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in records:  # one key, so one partition: they arrive in this order
        producer.produce(topic, key=b"ghent|cam-1|zone|plaza", value=value)
        producer.flush(30)


def _stored(sink: RegionalSink, want: int) -> None:
    written = 0
    for _ in range(40):
        written += sink.step(500)
        if written >= want:
            return
    raise AssertionError(f"the regional sink wrote {written} of {want} cells")


def test_a_replayed_earlier_export_does_not_replace_the_later_one(
    sink: tuple[RegionalSink, str], kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    regional, topic = sink
    now = datetime.now(timezone.utc)
    bucket = cell(now)["bucket_start"]  # both exports are of one bucket, even when the hour turns between them
    first = signed_by("ghent", cell(now - timedelta(seconds=300), value=40, bucket_start=bucket))
    second = signed_by("ghent", cell(now - timedelta(seconds=10), value=65, bucket_start=bucket))  # after late events
    _send(kafka_broker.bootstrap, topic, [first, second, first])  # the third: the first, copied and sent again
    _stored(regional, 3)
    twin = RegionalTwin(tmp_path / "region")
    try:
        twin.refresh()
        assert twin.query("SELECT count(*) FROM raw_cells") == [(3,)]  # all three were genuine and were kept
        assert twin.query("SELECT value FROM cells") == [(65,)], "a replay rolled the city's value back"
        assert twin.query("SELECT peak_occupancy FROM city_totals") == [(65,)]
    finally:
        twin.close()
