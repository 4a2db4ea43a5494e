"""What the bridge accepts, every stage can store: no value may stall the sink, the live tail, the rules or federation.

On the code before the contract had bounds, an event with ``seq`` above int64
passed the bridge, and the sink's Arrow conversion raised on it without
committing, so after every restart it failed on the same offset for good.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from confluent_kafka import Producer

from cloud.federation.export import aggregate
from cloud.federation.settings import FederationSettings
from cloud.kafka.clients import producer_config
from cloud.kafka.topics import ensure_topics
from cloud.rules.engine import RuleEngine
from cloud.rules.registry import build_rule
from cloud.rules.settings import NodeDegraded, ZoneCapacity
from cloud.rules.settings import ForecastAnomaly
from cloud.twin.tail import TailBuffer
from cloud.twin.twin import Twin
from contract.site import CameraSpec, SiteSpec
from tests.cloud.ingest_support import MakeIngest, read_topic, wait_for_lake
from tests.security.pipeline import Pipeline, legacy_lake_file, make_ingest, pipeline, valid, wire  # noqa: F401
from tests.support.events import HOSTILE

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt]

SITE = SiteSpec(id="campus", name="Campus", width_m=100, height_m=100)


def _json(doc: dict[str, object]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def test_an_integer_beyond_int64_is_dead_lettered_and_later_events_still_arrive(pipeline: Pipeline) -> None:
    topic = pipeline.topic("cam-1")
    before, after = [valid("cam-1", n) for n in range(3)], [valid("cam-1", n) for n in range(3, 8)]
    huge = _json(wire("cam-1", 2**63))
    pipeline.publish([(topic, e.to_json()) for e in before] + [(topic, huge)] + [(topic, e.to_json()) for e in after])

    expected = {e.event_id for e in before + after}
    assert pipeline.wait_for_lake(expected) >= expected, pipeline.logs()
    (letter,) = pipeline.dead_letters(1)
    assert letter.raw == huge and letter.error == "schema" and "seq" in letter.reason
    assert pipeline.running() == ["bridge", "sink"], pipeline.logs()


def test_the_sink_dead_letters_a_record_it_cannot_store_and_moves_on(make_ingest: MakeIngest) -> None:
    """A record that reached Kafka past the bridge (an older bridge, a direct write) must not stall the partition."""
    setup = make_ingest()
    ensure_topics(setup.cfg.kafka)
    good = [valid("cam-1", n) for n in range(6)]
    poison = [_json(wire("cam-1", 2**63)), _json(wire("cam-1", 9, body={"track_id": 2**64})),
              _json(wire("cam-1", 10, kind="zone_occupancy", body={"total": float("nan")}))]
    producer = Producer(producer_config(setup.cfg.kafka, "citytwin-tests"))
    for payload in [good[0].to_json(), *poison, *(e.to_json() for e in good[1:])]:
        producer.produce(setup.cfg.kafka.topics.events, payload, b"campus/cam-1")  # one partition, in this order
    assert producer.flush(30) == 0
    sink = setup.service("sink")
    try:
        expected = {e.event_id for e in good}
        assert wait_for_lake(setup.lake, expected, 60)[1] >= expected, sink.text()[-3000:]
        assert sink.running(), sink.text()[-3000:]
    finally:
        assert sink.stop() == 0, sink.text()[-3000:]
    letters = read_topic(setup.cfg, setup.cfg.kafka.topics.dlq, len(poison))
    assert sorted(m.value() or b"" for m in letters) == sorted(poison)
    assert all(dict(m.headers() or [])["source"] == b"kafka" for m in letters)


def test_the_live_tail_takes_any_payload_without_failing(tmp_path: Path) -> None:
    buffer = TailBuffer()
    twin = Twin(tmp_path / "lake", SITE, [CameraSpec(id="cam-1", map={"x_m": 1, "y_m": 1})], tail=buffer)  # type: ignore[arg-type]
    try:
        good = [valid("cam-1", n) for n in range(3)]
        for event in good:
            buffer.add(event)
        doc = json.loads(good[0].to_json())
        for name, change in sorted(HOSTILE.items()):
            buffer.add_raw(json.dumps(change(doc)).encode())
        for junk in (b"", None, b"\xff\xfe", b"[]", b'{"seq": 1e999}'):
            buffer.add_raw(junk)
        twin.refresh()
        rows = twin.query("SELECT event_id FROM events ORDER BY seq").rows
    finally:
        twin.close()
    assert [r[0] for r in rows] == [e.event_id for e in good]
    assert buffer.rejected == len(HOSTILE) + 5


def test_rules_and_federation_survive_values_that_do_not_read_as_numbers(tmp_path: Path) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    lake = tmp_path / "lake"
    legacy_lake_file(lake, 0, [
        wire("cam-1", 0, "zone_occupancy", ts=now - timedelta(minutes=5), body={"total": 2**40, "by_class": {"person": 2**40}}),
        wire("cam-1", 1, "node_health", ts=now - timedelta(minutes=5), body={"fps": "fast"}),
        wire("cam-1", 2, ts=now - timedelta(minutes=5), body={"object_class": 9}),
    ])
    camera = CameraSpec.model_validate({"id": "cam-1", "map": {"x_m": 1, "y_m": 1},
                                        "zones": [{"id": "plaza", "polygon": [[0, 0], [1, 0], [1, 1]], "capacity": 2}],
                                        "lines": [{"id": "gate", "points": [[0, 0], [1, 1]]}]})
    twin = Twin(lake, SITE, [camera])
    try:
        rules = [ZoneCapacity(name="full"), NodeDegraded(name="slow"),
                 ForecastAnomaly(name="odd", target="zone", subject="plaza", bucket_s=60, period=2, seasons=1)]
        assert RuleEngine(twin, rules).evaluate(now) == []
        # Read one by one: a value that does not read as a number is no reading at all, never an error.
        assert {rule.name: build_rule(rule).read(twin, now) for rule in rules} == {"full": [], "slow": [], "odd": []}
        settings = FederationSettings(bootstrap="127.0.0.1:1", k=1, bucket_s=900)
        export = aggregate(twin, settings, "campus", now - timedelta(hours=1), now)
    finally:
        twin.close()
    assert [c.kind for c in export.cells] == ["line"]
