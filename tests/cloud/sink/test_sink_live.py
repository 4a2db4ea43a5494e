"""The sink against live Kafka: drain on stop, dead letters, and a crash between writing and committing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from citytwin.deployment import Deployment
from cloud.kafka.clients import consumer_config, producer_config, reader_config
from cloud.kafka.topics import ensure_topics
from cloud.sink import commit
from cloud.sink.service import Sink
from tests.cloud.ingest_support import Ingest, MakeIngest, lake_ids, make_ingest  # noqa: F401 (fixtures)
from tests.cloud.sink.lakefiles import values

pytestmark = pytest.mark.kafka

WAIT_S = 60.0


def _produce(cfg: Deployment, payloads: list[bytes]) -> None:
    ensure_topics(cfg.kafka)
    producer = Producer(producer_config(cfg.kafka, "citytwin-tests"))
    for n, payload in enumerate(payloads):
        producer.produce(cfg.kafka.topics.events, payload, f"campus/cam-{n % 20}".encode())
    assert producer.flush(30) == 0


def _committed(cfg: Deployment) -> dict[int, int]:
    consumer = Consumer(consumer_config(cfg.kafka, cfg.cloud.sink.group, "citytwin-tests"))
    try:
        topic = cfg.kafka.topics.events
        wanted = [TopicPartition(topic, p) for p in range(cfg.kafka.partitions)]
        return {tp.partition: tp.offset for tp in consumer.committed(wanted, timeout=10) if tp.offset >= 0}
    finally:
        consumer.close()


class RunningSink:
    """A ``Sink`` serving on a thread of the test process."""

    def __init__(self, cfg: Deployment, instance: str) -> None:
        self.sink = Sink(cfg, instance)
        self.sink.start()
        self.status: list[int] = []
        self.thread = threading.Thread(target=lambda: self.status.append(self.sink.run()), daemon=True)
        self.thread.start()

    def wait_consumed(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.sink.meter.consumed < count and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.05)
        assert self.sink.meter.consumed >= count, f"consumed {self.sink.meter.consumed} of {count}"

    def stop(self) -> int:
        self.sink.stopping.set()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive()
        return self.status[0]


@pytest.fixture
def patient(make_ingest: MakeIngest) -> Iterator[Ingest]:
    """A deployment whose sink holds records for a minute unless stopped."""
    yield make_ingest(sink={"batch_max_wait_s": 60.0, "batch_max_records": 100_000})


def test_stop_writes_what_is_held_and_commits_it(patient: Ingest) -> None:
    payloads = values(300)
    _produce(patient.cfg, payloads)
    running = RunningSink(patient.cfg, "drain")
    running.wait_consumed(300)
    assert lake_ids(patient.lake) == (0, set())
    assert running.stop() == 0
    rows, ids = lake_ids(patient.lake)
    assert rows == 300 and len(ids) == 300
    assert sum(_committed(patient.cfg).values()) == 300


def test_invalid_records_become_dead_letters_and_the_rest_is_written(patient: Ingest) -> None:
    good = values(20)
    _produce(patient.cfg, good[:10] + [b'{"schema_version": 1, "type": "dwell"}'] + good[10:])
    running = RunningSink(patient.cfg, "dlq")
    running.wait_consumed(21)
    assert running.stop() == 0
    assert lake_ids(patient.lake)[0] == 20
    reader = Consumer(reader_config(patient.cfg.kafka, "citytwin-tests"))
    try:
        reader.assign([TopicPartition(patient.cfg.kafka.topics.dlq, 0, 0)])
        letters = []
        deadline = time.monotonic() + WAIT_S
        while not letters and time.monotonic() < deadline:
            letters = [m for m in reader.consume(10, 0.5) if m.error() is None]
    finally:
        reader.close()
    assert len(letters) == 1
    headers = dict(letters[0].headers() or [])
    assert headers["source"] == b"kafka" and headers["error"] == b"schema"
    assert headers["source_topic"] == patient.cfg.kafka.topics.events.encode()


class Crash(Exception):
    """Stands in for the process dying between the rename and the commit."""


def test_a_crash_between_write_and_commit_is_rewritten_in_place(patient: Ingest, monkeypatch: pytest.MonkeyPatch) -> None:
    # Dying exactly between the rename and the commit cannot be timed with a real kill; the commit stands in.
    payloads = values(500)
    _produce(patient.cfg, payloads)

    def crash(_self: object, _offsets: object) -> bool:
        raise Crash

    patient.cfg.cloud.sink.batch_max_records = 120  # the first sink crashes after its first, small batch
    with monkeypatch.context() as patched:
        patched.setattr(commit.OffsetCommitter, "commit", crash)
        first = RunningSink(patient.cfg, "crashing")
        first.wait_consumed(120)
        assert first.stop() == 1  # the write succeeded, the commit "crashed"
    written = {p.relative_to(patient.lake): p.stat().st_mtime_ns for p in patient.lake.rglob("*.parquet")}
    assert written and _committed(patient.cfg) == {}
    crashed_rows = lake_ids(patient.lake)[0]
    assert 0 < crashed_rows < 500

    patient.cfg.cloud.sink.batch_max_records = 100_000  # without a plan, the re-run would cut other batches
    second = RunningSink(patient.cfg, "recovered")
    second.wait_consumed(500)
    assert second.stop() == 0
    after = {p.relative_to(patient.lake): p.stat().st_mtime_ns for p in patient.lake.rglob("*.parquet")}
    assert set(written) <= set(after)
    assert all(after[name] > mtime for name, mtime in written.items()), "the crashed batch's files are rewritten"
    rows, ids = lake_ids(patient.lake)
    assert (rows, len(ids)) == (500, 500)
    assert sum(_committed(patient.cfg).values()) == 500


def test_two_sinks_split_the_partitions_and_hand_over_without_loss(make_ingest: MakeIngest) -> None:
    setup = make_ingest(sink={"batch_max_wait_s": 0.5})
    first_half, second_half = values(1500), values(1500, node="campus-cam-2")
    one, two = RunningSink(setup.cfg, "one"), RunningSink(setup.cfg, "two")
    deadline = time.monotonic() + WAIT_S
    while not (one.sink.owned and two.sink.owned) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert one.sink.owned | two.sink.owned == {0, 1, 2} and not one.sink.owned & two.sink.owned
    _produce(setup.cfg, first_half)
    while lake_ids(setup.lake)[0] < 1500 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert one.sink.meter.rows > 0 and two.sink.meter.rows > 0, "each sink should own some partitions"
    assert one.stop() == 0  # its partitions move to the other sink
    _produce(setup.cfg, second_half)
    deadline = time.monotonic() + WAIT_S
    while lake_ids(setup.lake)[0] < 3000 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert two.stop() == 0
    rows, ids = lake_ids(setup.lake)
    assert (rows, len(ids)) == (3000, 3000)
