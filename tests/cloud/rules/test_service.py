"""The rule service: alerts into the log, operators' decisions back from it, and restarts that repeat nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from citytwin.deployment import Deployment
from cloud.cockpit.alerts import AlertBoard
from cloud.rules.service import RuleService
from edge.events.factory import EventFactory
from tests.cloud.rules.test_rules import CAMERA, SITE, T0


def deployment(lake: Path) -> Deployment:
    return Deployment.model_validate({
        "site": SITE.model_dump(), "lake": {"path": str(lake)}, "cameras": [CAMERA.model_dump()],
        "kafka": {"bootstrap": ""},  # no live tail: the test feeds the service's buffer itself
        "rules": {"mqtt": False, "kafka": False, "rules": [
            {"type": "zone_capacity", "name": "plaza-full", "renotify_s": 20, "action": "dispatch steward to {zone}"}]},
    })


class Service:
    def __init__(self, lake: Path) -> None:
        self.service = RuleService(deployment(lake))
        self.factory = EventFactory("port", "cam-1", "port-cam-1")

    def occupancy(self, at: datetime, total: int) -> None:
        self.service.follower.buffer.add(self.factory.make("zone_occupancy", at, {"zone": "plaza", "total": total, "by_class": {}}))

    def kinds(self, seconds: range) -> list[str]:
        return [kind for s in seconds for kind in self._step(T0 + timedelta(seconds=s))]

    def _step(self, at: datetime) -> list[str]:
        before = len(self.service.store.records())
        self.service.step(at)
        return [r["kind"] for r in self.service.store.records()[before:]]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


def test_acknowledged_in_the_cockpit_stops_reminders(lake: Path) -> None:
    svc = Service(lake)
    svc.occupancy(T0, 9)
    assert svc.kinds(range(0, 25, 5)) == ["fired", "renotify"]
    board = AlertBoard(lake)
    (alert,) = board.recent()
    board.act(alert.id, "ack", "olga")
    assert svc.kinds(range(25, 100, 5)) == []
    assert svc.service.engine.manager.active()[0].acked_by == "olga"


def test_false_alarms_are_counted_per_rule_across_restarts(lake: Path) -> None:
    svc = Service(lake)
    svc.occupancy(T0, 9)
    svc.kinds(range(0, 1))
    board = AlertBoard(lake)
    board.act(board.recent()[0].id, "false_alarm", "olga")
    svc.kinds(range(5, 6))
    assert svc.service.engine.manager.false_alarms == {"plaza-full": 1}
    svc.service.close()
    again = Service(lake)
    assert again.service.engine.manager.false_alarms == {"plaza-full": 1}


def test_a_restart_takes_up_firing_alerts_without_firing_them_again(lake: Path) -> None:
    svc = Service(lake)
    svc.occupancy(T0, 9)
    assert svc.kinds(range(0, 1)) == ["fired"]
    svc.service.close()
    again = Service(lake)
    again.occupancy(T0, 9)
    assert again.kinds(range(5, 10, 5)) == []  # still firing: no second "fired"
    again.occupancy(T0 + timedelta(seconds=30), 1)
    assert again.kinds(range(30, 35, 5)) == ["resolved"]


def test_resolved_by_hand_re_arms_the_rule(lake: Path) -> None:
    svc = Service(lake)
    svc.occupancy(T0, 9)
    svc.kinds(range(0, 1))
    board = AlertBoard(lake)
    first = board.recent()[0].id
    board.act(first, "resolve", "olga")
    # The zone is still over capacity, so the re-armed rule fires a new alert.
    assert svc.kinds(range(5, 6)) == ["fired"]
    assert {a.id for a in board.recent() if a.state == "firing"} != {first}


def test_an_absent_kafka_never_holds_up_the_rules(lake: Path) -> None:
    import time

    cfg = deployment(lake).model_copy(deep=True)
    cfg.kafka.bootstrap = "127.0.0.1:1"  # nothing listens there
    cfg.rules.kafka = True
    service = RuleService(cfg)
    svc = Service.__new__(Service)
    svc.service, svc.factory = service, EventFactory("port", "cam-1", "port-cam-1")
    svc.occupancy(T0, 9)
    started = time.monotonic()
    assert svc.kinds(range(0, 1)) == ["fired"]
    assert time.monotonic() - started < 5
    assert service.kafka_outlet is None
    service.close()
