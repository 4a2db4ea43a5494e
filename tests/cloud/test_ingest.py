"""The whole ingest path against live Mosquitto and Kafka: simulated nodes -> bridge -> Kafka -> sink -> lake.

Every test publishes from 20 simulated nodes and checks that the distinct
event ids in the lake equal the ids published: nothing lost, whatever fault
is injected. Rows beyond the distinct ids are duplicates, allowed by the
at-least-once contract (the twin keeps one row per ``event_id``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from cloud.bench.nodes import SimulatedNodes
from tests.cloud.ingest_support import (  # noqa: F401 (fixtures)
    Ingest,
    MakeIngest,
    in_background,
    ingest,
    make_ingest,
    wait_for_lake,
)
from tests.support.brokers import KafkaBroker, MqttBroker
from tests.support.services import ServiceProcess

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt]

NODES = 20
OUTAGE_S = 15.0


def _start_pipeline(setup: Ingest) -> tuple[ServiceProcess, ServiceProcess]:
    bridge = setup.service("bridge")
    sink = setup.service("sink")
    bridge.wait_for_log("subscribed to")
    sink.wait_for_log("assigned")
    return bridge, sink


def _nodes(setup: Ingest, mqtt: MqttBroker) -> SimulatedNodes:
    return SimulatedNodes(mqtt.host, mqtt.port, site=setup.site, count=NODES, prefix=setup.prefix, client_prefix=setup.prefix).start()


def _assert_lake_matches(setup: Ingest, published: list[str], timeout_s: float) -> int:
    expected = set(published)
    assert len(expected) == len(published)
    rows, ids = wait_for_lake(setup.lake, expected, timeout_s)
    missing = expected - ids
    extra = ids - expected
    assert not missing, f"{len(missing)} of {len(expected)} events never reached the lake, e.g. {sorted(missing)[:5]}"
    assert not extra, f"the lake holds ids that were never published: {sorted(extra)[:5]}"
    return rows - len(expected)


@pytest.mark.slow
def test_100k_events_from_20_nodes_reach_the_lake(ingest: Ingest, mqtt_broker: MqttBroker) -> None:
    bridge, sink = _start_pipeline(ingest)
    nodes = _nodes(ingest, mqtt_broker)
    try:
        published = nodes.publish(100_000)
        assert nodes.wait_acked(120), f"{nodes.unacked} events were never acknowledged by Mosquitto"
        duplicates = _assert_lake_matches(ingest, published, timeout_s=120)
    finally:
        nodes.stop()
        assert bridge.stop() == 0 and sink.stop() == 0
    assert duplicates == 0, "no fault was injected, so no event may be written twice"


def _run_with_fault(setup: Ingest, mqtt: MqttBroker, total: int, rate: float, fault: Callable[[], None]) -> list[str]:
    nodes = _nodes(setup, mqtt)
    try:
        thread, result = in_background(lambda: nodes.publish(total, rate_per_s=rate))
        fault()
        thread.join()
        assert nodes.wait_acked(120), f"{nodes.unacked} events were never acknowledged by Mosquitto"
        published: list[str] = result[0]
        return published
    finally:
        nodes.stop()


@pytest.mark.slow
def test_sink_killed_mid_batch_loses_nothing(make_ingest: MakeIngest, mqtt_broker: MqttBroker) -> None:
    # Long batches so that the kill surely lands while records are held and uncommitted.
    setup = make_ingest(sink={"batch_max_wait_s": 3.0, "batch_max_records": 6000})
    bridge, sink = _start_pipeline(setup)
    restarted: list[ServiceProcess] = []

    def kill_and_restart() -> None:
        deadline = time.monotonic() + 30
        while not any(setup.lake.glob("date=*/hour=*/*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # records keep arriving: the next batch is being held now
        sink.kill()
        time.sleep(1.0)
        restarted.append(setup.service("sink", "t2"))
        restarted[0].wait_for_log("assigned")

    published = _run_with_fault(setup, mqtt_broker, total=20_000, rate=4000, fault=kill_and_restart)
    try:
        duplicates = _assert_lake_matches(setup, published, timeout_s=90)
        log = restarted[0].text()
        assert "already in the lake; rewriting them in place" in log or duplicates == 0
    finally:
        assert bridge.stop() == 0 and restarted[0].stop() == 0
    assert duplicates == 0, "a re-run after a crash must rewrite the same files, not add rows"


@pytest.mark.slow
def test_kafka_away_for_15_s_loses_nothing(ingest: Ingest, mqtt_broker: MqttBroker, kafka_broker: KafkaBroker) -> None:
    bridge, sink = _start_pipeline(ingest)

    def outage() -> None:
        time.sleep(3.0)
        kafka_broker.stop()
        time.sleep(OUTAGE_S)
        kafka_broker.start()

    published = _run_with_fault(ingest, mqtt_broker, total=24_000, rate=1200, fault=outage)
    try:
        _assert_lake_matches(ingest, published, timeout_s=120)
        assert bridge.running() and sink.running()
    finally:
        assert bridge.stop() == 0 and sink.stop() == 0


@pytest.mark.slow
def test_mosquitto_away_for_15_s_loses_nothing(ingest: Ingest, mqtt_broker: MqttBroker) -> None:
    bridge, sink = _start_pipeline(ingest)

    def outage() -> None:
        time.sleep(3.0)
        mqtt_broker.stop()
        time.sleep(OUTAGE_S)
        mqtt_broker.start()

    published = _run_with_fault(ingest, mqtt_broker, total=24_000, rate=1200, fault=outage)
    try:
        _assert_lake_matches(ingest, published, timeout_s=90)
        assert bridge.running() and sink.running()
    finally:
        assert bridge.stop() == 0 and sink.stop() == 0
