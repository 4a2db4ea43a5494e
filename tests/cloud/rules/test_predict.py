"""The forecast rules on generated seasonal streams: anomalies outside the interval, capacity ahead."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from cloud.rules.engine import RuleEngine
from cloud.rules.predict import series
from cloud.rules.settings import ForecastAnomaly, ForecastCapacity
from cloud.twin.buckets import bucket_start
from tests.cloud.rules.test_rules import T0, Stream

HOUR = 3600
DAYS = 4
# A daily shape: quiet nights, a busy midday.
SHAPE = np.array([2, 1, 1, 1, 2, 4, 8, 14, 18, 16, 14, 16, 20, 18, 14, 12, 14, 18, 16, 10, 8, 6, 4, 3])


@pytest.fixture
def stream(tmp_path) -> Stream:  # type: ignore[no-untyped-def]
    return Stream(tmp_path)


def seasonal_crossings(stream: Stream, days: int, spike_hour: int | None = None, spike: int = 0) -> None:
    """``days`` of hourly crossings with Poisson noise around ``SHAPE``; an extra ``spike`` in one hour of the last day."""
    rng = np.random.default_rng(7)
    for day in range(days):
        for hour, mean in enumerate(SHAPE):
            n = int(rng.poisson(mean)) + (spike if day == days - 1 and hour == spike_hour else 0)
            start = T0 + timedelta(days=day, hours=hour)
            for i in range(n):
                stream.crossing(start + timedelta(seconds=(i * 3600) // max(n, 1)), "quay")


def anomaly_rule() -> ForecastAnomaly:
    return ForecastAnomaly(name="quay-anomaly", target="line", subject="quay", bucket_s=HOUR, period=24, seasons=3, z=4.0,
                           action="check {line}: {observed:.0f} crossings, expected about {expected:.0f}")


def test_series_fills_empty_buckets_with_zero(stream: Stream) -> None:
    stream.crossing(T0 + timedelta(minutes=5), "quay")
    stream.crossing(T0 + timedelta(hours=2, minutes=5), "quay")
    stream.crossing(T0 + timedelta(hours=2, minutes=50), "quay")
    stream.twin.refresh()
    assert series(stream.twin, "line", "quay", T0 + timedelta(hours=3), HOUR, 4).tolist() == [0, 1, 0, 2]
    assert bucket_start(T0 + timedelta(minutes=59, seconds=59), HOUR) == T0


def test_anomaly_fires_once_the_spiked_bucket_is_complete(stream: Stream) -> None:
    seasonal_crossings(stream, DAYS, spike_hour=12, spike=60)
    engine = RuleEngine(stream.twin, [anomaly_rule()])
    stream.twin.refresh()
    last_day = T0 + timedelta(days=DAYS - 1)
    notices = [(h, n.kind) for h in range(1, 24) for n in engine.evaluate(last_day + timedelta(hours=h, minutes=1), refresh=False)]
    # 12:00-13:00 is judged at 13:01, and the alert clears when 13:00-14:00 is back inside its interval.
    assert notices == [(13, "fired"), (14, "resolved")]
    fired = [n for n in engine.evaluate(last_day + timedelta(hours=13, minutes=1), refresh=False)]
    assert fired[0].alert.evidence["observed"] > fired[0].alert.evidence["high"]
    assert fired[0].alert.action.startswith("check quay: ")


def test_no_anomaly_on_an_ordinary_day(stream: Stream) -> None:
    seasonal_crossings(stream, DAYS)
    engine = RuleEngine(stream.twin, [anomaly_rule()])
    stream.twin.refresh()
    last_day = T0 + timedelta(days=DAYS - 1)
    assert [n for h in range(1, 24) for n in engine.evaluate(last_day + timedelta(hours=h, minutes=1), refresh=False)] == []


def test_no_forecast_without_history(stream: Stream) -> None:
    stream.crossing(T0 + timedelta(minutes=5), "quay")
    assert RuleEngine(stream.twin, [anomaly_rule()]).evaluate(T0 + timedelta(minutes=30)) == []


def test_capacity_forecast_warns_ahead_of_the_daily_peak(stream: Stream) -> None:
    # The plaza (capacity 5) fills to 7 every day at 12:00-13:00 and holds 2 otherwise.
    for day in range(3):
        for hour in range(24):
            stream.occupancy(T0 + timedelta(days=day, hours=hour, minutes=30), 7 if hour == 12 else 2)
    rule = ForecastCapacity(name="plaza-ahead", subject="plaza", bucket_s=HOUR, period=24, seasons=3, horizon=3,
                            renotify_s=86_400, action="open the overflow area before {peak_bucket}")
    engine = RuleEngine(stream.twin, [rule])
    stream.twin.refresh()
    day = T0 + timedelta(days=3)

    def hours(first: int, last: int) -> list[tuple[int, str]]:
        return [(h, n.kind) for h in range(first, last) for n in engine.evaluate(day + timedelta(hours=h, minutes=1), refresh=False)]

    # The 3-hour horizon first reaches 12:00 at 10:01.
    assert hours(0, 11) == [(10, "fired")]
    (active,) = engine.manager.active()
    assert active.evidence["forecast_peak"] == 7.0 and active.evidence["capacity"] == 5
    assert active.action == f"open the overflow area before {(day + timedelta(hours=12)).isoformat()}"
    # The peak leaves the horizon at 13:01, and the next day's is not in it before 10:01.
    assert hours(11, 24) == [(13, "resolved")]


def test_capacity_forecast_reminders_stop_once_acknowledged(stream: Stream) -> None:
    for day in range(3):
        for hour in range(24):
            stream.occupancy(T0 + timedelta(days=day, hours=hour, minutes=30), 7 if hour == 12 else 2)
    rule = ForecastCapacity(name="plaza-ahead", subject="plaza", bucket_s=HOUR, period=24, seasons=3, horizon=3, renotify_s=HOUR)
    engine = RuleEngine(stream.twin, [rule])
    stream.twin.refresh()
    day = T0 + timedelta(days=3)
    kinds = [n.kind for h in (10, 11) for n in engine.evaluate(day + timedelta(hours=h, minutes=1), refresh=False)]
    assert kinds == ["fired", "renotify"]
    engine.manager.acknowledge(engine.manager.active()[0].alert_id, "olga")
    later = [n.kind for h in (12, 13) for n in engine.evaluate(day + timedelta(hours=h, minutes=1), refresh=False)]
    assert later == ["resolved"]
