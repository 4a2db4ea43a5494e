"""``citytwin dlq list|show|replay`` against the live test Kafka."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from confluent_kafka import Consumer, Message, TopicPartition

from citytwin.cli import main
from citytwin.deployment import Deployment
from cloud.dlq.cli import parse_positions
from cloud.dlq.publish import DeadLetterPublisher
from cloud.dlq.records import DeadLetter
from cloud.kafka.clients import reader_config
from cloud.kafka.topics import ensure_topics
from tests.cloud.ingest_support import Ingest, ingest, make_ingest  # noqa: F401 (fixtures)
from tests.cloud.sink.lakefiles import values

pytestmark = pytest.mark.kafka

# A dead letter is replayed only if the bridge would take it now: its time inside the clock window.
RECENT = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)


def _events(cfg: Deployment, count: int) -> list[Message]:
    consumer = Consumer(reader_config(cfg.kafka, "citytwin-tests"))
    topic = cfg.kafka.topics.events
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(cfg.kafka.partitions)])
        found: list[Message] = []
        deadline = time.monotonic() + 30
        while len(found) < count and time.monotonic() < deadline:
            found.extend(m for m in consumer.consume(100, 0.5) if m.error() is None)
        return found
    finally:
        consumer.close()


@pytest.fixture
def letters(ingest: Ingest) -> Ingest:
    """A DLQ holding: a payload that is valid now, a broken one, and one that was cut."""
    ensure_topics(ingest.cfg.kafka)
    topic = f"{ingest.prefix}/campus/cam-1/events/line_crossing"
    publisher = DeadLetterPublisher(ingest.cfg.kafka, "citytwin-tests")
    publisher.send(DeadLetter.of(values(1, start=RECENT)[0], "schema", "rejected by an older schema", "mqtt", topic, "bridge-old"))
    publisher.send(DeadLetter.of(b'{"seq": "seven"', "invalid_json", "payload is not JSON: EOF", "mqtt", topic, "bridge-1"))
    publisher.send(DeadLetter.of(b"x" * 5000, "too_large", "payload is 5000 bytes", "mqtt", topic, "bridge-1", max_raw_bytes=100))
    publisher.flush()
    return ingest


def test_list_shows_one_line_per_dead_letter(letters: Ingest, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dlq", "-c", str(letters.path), "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[-1] == "3 of 3 dead letters shown"
    assert "0:1" in out[1] and "invalid_json" in out[1] and "payload is not JSON" in out[1]
    assert main(["dlq", "-c", str(letters.path), "list", "--error", "too_large"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 of 1 dead letters shown"


def test_show_prints_headers_payload_and_the_verdict_now(letters: Ingest, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dlq", "-c", str(letters.path), "show", "0:0", "0:2"]) == 0
    out = capsys.readouterr().out
    assert "reason: rejected by an older schema" in out
    assert "now: valid now (can be replayed)" in out
    assert "now: still invalid: truncated" in out and "truncated: true" in out
    assert main(["dlq", "-c", str(letters.path), "show", "0:9"]) == 1
    assert "no dead letter at 0:9" in capsys.readouterr().err


def test_replay_sends_what_is_valid_now_and_reports_the_rest(letters: Ingest, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dlq", "-c", str(letters.path), "replay", "--all"]) == 1
    out = capsys.readouterr().out
    assert "replayed 1 of 3 dead letters" in out
    assert "0:1: not replayed, still invalid: invalid_json" in out
    (event,) = _events(letters.cfg, 1)
    assert event.key() == b"campus/cam-1" and event.value() == values(1, start=RECENT)[0]
    assert main(["dlq", "-c", str(letters.path), "replay", "0:0"]) == 0


@pytest.mark.parametrize(("items", "ok"), [(["0:1", "2:30"], True), (["1"], False), (["a:1"], False), (["0:-1"], False)])
def test_positions_are_partition_colon_offset(items: list[str], ok: bool) -> None:
    if ok:
        assert parse_positions(items) == [(0, 1), (2, 30)]
    else:
        with pytest.raises(ValueError, match="PARTITION:OFFSET"):
            parse_positions(items)
