"""End-to-end latency counts only events the endpoint really saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.bench.e2e import Endpoint, measure_end_to_end
from edge.bench.measure import Point
from edge.bench.models import gflop_at, load_model
from tests.support.brokers import MqttBroker

pytestmark = pytest.mark.mqtt


class Blind(Endpoint):
    """An endpoint that never sees anything, as a twin that is down would."""

    name = "twin"
    description = "nothing arrives"

    def __init__(self) -> None:
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def seen(self) -> dict[str, float]:
        return {}

    def stop(self) -> None:
        self.stopped = True


def test_unseen_events_are_counted_not_timed(tmp_path: Path, mqtt_broker: MqttBroker, vtest_path: Path) -> None:
    model = load_model("nanodet-g-416-int8")
    point = Point(model, 320, 2, "CPUExecutionProvider", gflop_at(model, 320))
    blind = Blind()
    result = measure_end_to_end(
        point, vtest_path, frames=3, broker=(mqtt_broker.host, mqtt_broker.port), site="benchblind", scratch=tmp_path,
        endpoint=blind, realtime=False, timeout_s=0.3,
    )
    assert blind.started and blind.stopped
    assert result is not None and result.endpoint == "twin"
    assert result.events_published > 0 and result.events_seen == 0 and result.latency.samples == 0
