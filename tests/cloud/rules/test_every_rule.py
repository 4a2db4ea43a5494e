"""Every event-driven rule type against the same two checks: hysteresis stops flapping, acknowledgement stops reminders.

Each case says how to make one evaluation step *bad* (the condition holds at
its end) or *good*. The stream then alternates bad and good steps, which
without hysteresis would fire and clear on every other step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from cloud.rules.engine import RuleEngine
from cloud.rules.settings import BorderCrossing, LineFlow, LongDwell, NodeDegraded, NodeOffline, PortArrival, RuleSettings, WrongWay, ZoneCapacity
from tests.cloud.rules.test_rules import T0, Stream

STEP = 60  # seconds between evaluations
Emit = Callable[[Stream, datetime, bool], None]  # (stream, end of the step, bad?)


def _occupancy(s: Stream, end: datetime, bad: bool) -> None:
    s.occupancy(end - timedelta(seconds=1), 9 if bad else 2)


def _flow(s: Stream, end: datetime, bad: bool) -> None:
    for i in range(3 if bad else 1):
        s.crossing(end - timedelta(seconds=1 + i), "quay")


def _wrong_way(s: Stream, end: datetime, bad: bool) -> None:
    s.crossing(end - timedelta(seconds=1), "oneway", "out" if bad else "in")


def _boat(s: Stream, end: datetime, bad: bool) -> None:
    s.crossing(end - timedelta(seconds=1), "quay", "in", "boat" if bad else "person")


def _car(s: Stream, end: datetime, bad: bool) -> None:
    s.crossing(end - timedelta(seconds=1), "quay", "in", "car" if bad else "person")


def _silence(s: Stream, end: datetime, bad: bool) -> None:
    # Last heard a whole step ago (longer than silent_s), or just now.
    s.health(end - timedelta(seconds=STEP if bad else 1))


def _fps(s: Stream, end: datetime, bad: bool) -> None:
    s.health(end - timedelta(seconds=1), fps=2.0 if bad else 9.0)


def _stay(s: Stream, end: datetime, bad: bool) -> None:
    s.add("dwell", end - timedelta(seconds=1), zone="plaza", object_class="person", track_id=3,
          entered=end - timedelta(seconds=300), seconds=250.0 if bad else 20.0)


CASES: list[tuple[type[RuleSettings], dict[str, Any], Emit]] = [
    (ZoneCapacity, {}, _occupancy),
    (LineFlow, {"line": "quay", "window_s": STEP, "above": 2}, _flow),
    (WrongWay, {"period_s": STEP}, _wrong_way),
    (PortArrival, {"line": "quay", "period_s": STEP}, _boat),
    (BorderCrossing, {"line": "quay", "opens": time(13, 0), "closes": time(14, 0), "period_s": STEP}, _car),  # T0 is 12:00
    (NodeOffline, {"silent_s": STEP - 10}, _silence),
    (NodeDegraded, {"fps_floor": 5.0}, _fps),
    (LongDwell, {"zone": "plaza", "max_s": 100, "period_s": STEP}, _stay),
]
IDS = [cls.model_fields["type"].default for cls, _, _ in CASES]


def _steps(stream: Stream, engine: RuleEngine, emit: Emit, pattern: list[bool],
           on_step: Callable[[int], None] = lambda _i: None) -> list[tuple[int, str]]:
    out = []
    for i, bad in enumerate(pattern):
        end = T0 + timedelta(seconds=STEP * (i + 1))
        emit(stream, end, bad)
        on_step(i)
        out += [(i, n.kind) for n in engine.evaluate(end)]
    return out


def test_every_event_driven_rule_type_is_covered() -> None:
    from cloud.rules.registry import RULES

    assert set(RULES) - set(IDS) == {"forecast_anomaly", "forecast_capacity"}  # those have tests of their own


@pytest.mark.parametrize(("cls", "options", "emit"), CASES, ids=IDS)
def test_alternating_condition_fires_once_and_does_not_flap(stream: Stream, cls: type[RuleSettings], options: dict[str, Any],
                                                           emit: Emit) -> None:
    rule = cls(name="r", clear_s=2 * STEP, renotify_s=10_000, **options)
    notices = _steps(stream, RuleEngine(stream.twin, [rule]), emit, [True, False] * 5)
    assert notices == [(0, "fired")]


@pytest.mark.parametrize(("cls", "options", "emit"), CASES, ids=IDS)
def test_without_hysteresis_the_same_stream_would_flap(stream: Stream, cls: type[RuleSettings], options: dict[str, Any],
                                                      emit: Emit) -> None:
    rule = cls(name="r", clear_s=0, renotify_s=10_000, **options)
    notices = _steps(stream, RuleEngine(stream.twin, [rule]), emit, [True, False] * 3)
    assert [kind for _, kind in notices] == ["fired", "resolved"] * 3  # what the hold times above prevent


@pytest.mark.parametrize(("cls", "options", "emit"), CASES, ids=IDS)
def test_acknowledgement_stops_reminders(stream: Stream, cls: type[RuleSettings], options: dict[str, Any], emit: Emit) -> None:
    rule = cls(name="r", renotify_s=2 * STEP, **options)
    engine = RuleEngine(stream.twin, [rule])

    def ack_after_the_first_reminder(i: int) -> None:
        if i == 3:
            engine.manager.acknowledge(engine.manager.active()[0].alert_id, "olga")

    notices = _steps(stream, engine, emit, [True] * 8, ack_after_the_first_reminder)
    assert notices == [(0, "fired"), (2, "renotify")]
    assert engine.manager.active()[0].acked_by == "olga"


@pytest.fixture
def stream(tmp_path) -> Stream:  # type: ignore[no-untyped-def]
    return Stream(tmp_path)
