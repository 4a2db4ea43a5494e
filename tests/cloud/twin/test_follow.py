"""The twin's Kafka follower: never blocks, starts the tail once Kafka and the topic answer."""

from __future__ import annotations

import time

import pytest

from cloud.twin.follow import Follower
from tests.support.brokers import KafkaBroker


def test_an_absent_broker_blocks_nobody() -> None:
    started = time.monotonic()
    follower = Follower("127.0.0.1:1", "citytwin.events", retry_s=60)
    assert follower.ensure() is False and follower.ensure() is False
    assert time.monotonic() - started < 1.0
    follower.stop()


def test_without_a_bootstrap_there_is_nothing_to_follow() -> None:
    follower = Follower(None, "citytwin.events")
    assert follower.ensure() is False and follower.wait(0.1) is False


@pytest.mark.kafka
def test_the_tail_starts_once_the_topic_exists(kafka_broker: KafkaBroker, kafka_topic: str) -> None:
    follower = Follower(kafka_broker.bootstrap, kafka_topic)
    try:
        assert follower.wait(60) is True
        assert follower.ensure() is True
    finally:
        follower.stop()
