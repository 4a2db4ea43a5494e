"""The forecast rules: an anomaly when a bucket's count leaves its interval, and capacity ahead.

Both read a count per time bucket from the twin (crossings of a line, or the
highest occupancy of a zone), fill empty buckets with zero, and hand the
series to the seasonal-naive model in ``forecast``. Buckets are aligned to
the Unix epoch, so every evaluation sees the same bucket edges.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TypeVar

import numpy as np

from cloud.rules.alerts import Reading
from cloud.rules.catalog import Rule
from cloud.rules.forecast import SeasonalNaive
from cloud.rules.settings import Forecast, ForecastAnomaly, ForecastCapacity
from cloud.twin.buckets import bucket_start
from cloud.twin.twin import Twin

_SERIES_SQL = {
    "line": "SELECT time_bucket(to_seconds($bucket), ts) AS b, count(*) FROM crossings "
            "WHERE line = $id AND ts >= $start AND ts < $end AND date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE) "
            "GROUP BY b",
    "zone": "SELECT time_bucket(to_seconds($bucket), ts) AS b, max(total) FROM occupancy "
            "WHERE zone = $id AND ts >= $start AND ts < $end AND date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE) "
            "GROUP BY b",
}


def series(twin: Twin, target: str, subject: str, end: datetime, bucket_s: int, buckets: int) -> np.ndarray:
    """Counts of the ``buckets`` whole buckets before ``end`` (oldest first), zero where nothing was seen."""
    start = end - timedelta(seconds=bucket_s * buckets)
    rows = twin.read(_SERIES_SQL[target], {"bucket": float(bucket_s), "id": subject, "start": start, "end": end}).rows
    out = np.zeros(buckets)
    for at, value in rows:
        index = int((at.astimezone(timezone.utc) - start).total_seconds()) // bucket_s
        if 0 <= index < buckets and value is not None:  # a bucket whose values do not read as numbers
            out[index] = float(value)
    return out


F = TypeVar("F", bound=Forecast)


class _ForecastRule(Rule[F]):
    def model(self) -> SeasonalNaive:
        return SeasonalNaive(self.config.period, self.config.seasons, self.config.z)


class ForecastAnomalyRule(_ForecastRule[ForecastAnomaly]):
    """How far the last whole bucket's count lies outside the interval forecast from the seasons before it."""

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        c = self.config
        end = bucket_start(now, c.bucket_s)
        history = series(twin, c.target, c.subject, end, c.bucket_s, c.period * c.seasons + 1)
        if not history[:-1].any():
            return []  # no history yet: nothing to forecast from
        f = self.model().forecast(history[:-1], 1)
        observed, low, high = float(history[-1]), float(f.low[0]), float(f.high[0])
        outside = max(observed - high, low - observed)
        return [Reading(self.name, c.subject, outside, now, {
            c.target: c.subject, "bucket_start": (end - timedelta(seconds=c.bucket_s)).isoformat(),
            "observed": observed, "expected": float(f.mean[0]), "low": round(low, 2), "high": round(high, 2),
            "query": f"{c.target} counts per {c.bucket_s} s bucket, seasonal-naive over {c.seasons} seasons"})]


class ForecastCapacityRule(_ForecastRule[ForecastCapacity]):
    """How far a zone's forecast peak within the horizon exceeds its capacity."""

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        c = self.config
        capacity = twin.read("SELECT min(capacity) FROM zones WHERE zone = $id", {"id": c.subject}).rows[0][0]
        end = bucket_start(now, c.bucket_s)
        history = series(twin, "zone", c.subject, end, c.bucket_s, c.period * c.seasons)
        if capacity is None or not history.any():
            return []
        f = self.model().forecast(history, c.horizon)
        peak = int(np.argmax(f.mean))
        eta = end + timedelta(seconds=c.bucket_s * peak)
        return [Reading(self.name, c.subject, float(f.mean[peak]) - capacity, now, {
            "zone": c.subject, "capacity": capacity, "forecast_peak": float(f.mean[peak]),
            "peak_bucket": eta.isoformat(), "in_minutes": max(0.0, round((eta - now).total_seconds() / 60, 1)),
            "query": f"highest occupancy per {c.bucket_s} s bucket, seasonal-naive over {c.seasons} seasons"})]
