"""The forecast rules: an anomaly when a bucket's count leaves its interval, and capacity ahead.

Both read a count per time bucket from the twin (crossings of a line, or the
highest occupancy of a zone), fill empty buckets with zero, and hand the
series to the seasonal-naive model in ``forecast``. Buckets are aligned to
the Unix epoch, so every evaluation sees the same bucket edges.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from cloud.rules.alerts import Reading, Thresholds
from cloud.rules.catalog import RuleBase
from cloud.rules.forecast import SeasonalNaive
from cloud.twin.buckets import bucket_start

if TYPE_CHECKING:
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


class _ForecastRule(RuleBase):
    target: Literal["line", "zone"] = Field(title="Target", description="forecast crossings of a line or occupancy of a zone")
    subject: str = Field(title="Line or zone", description="id of the line or zone forecast")
    bucket_s: int = Field(900, ge=60, title="Bucket", description="seconds per forecast bucket")
    period: int = Field(96, ge=2, title="Season", description="buckets per season, e.g. 96 quarter-hours for a daily pattern")
    seasons: int = Field(7, ge=1, title="Seasons", description="past seasons the forecast is the median of")
    z: float = Field(4.0, gt=0, title="Interval width", description="width of the prediction interval in standard deviations")

    def model(self) -> SeasonalNaive:
        return SeasonalNaive(self.period, self.seasons, self.z)


class ForecastAnomaly(_ForecastRule):
    """The last whole bucket's count lies outside the interval forecast from the seasons before it."""

    type: Literal["forecast_anomaly"] = "forecast_anomaly"

    def thresholds(self) -> Thresholds:
        return self._th(0, 0)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        end = bucket_start(now, self.bucket_s)
        history = series(twin, self.target, self.subject, end, self.bucket_s, self.period * self.seasons + 1)
        if not history[:-1].any():
            return []  # no history yet: nothing to forecast from
        f = self.model().forecast(history[:-1], 1)
        observed, low, high = float(history[-1]), float(f.low[0]), float(f.high[0])
        outside = max(observed - high, low - observed)
        return [Reading(self.name, self.subject, outside, now, {
            self.target: self.subject, "bucket_start": (end - timedelta(seconds=self.bucket_s)).isoformat(),
            "observed": observed, "expected": float(f.mean[0]), "low": round(low, 2), "high": round(high, 2),
            "query": f"{self.target} counts per {self.bucket_s} s bucket, seasonal-naive over {self.seasons} seasons"})]


class ForecastCapacity(_ForecastRule):
    """A zone's occupancy is forecast to exceed its capacity within the horizon."""

    type: Literal["forecast_capacity"] = "forecast_capacity"
    target: Literal["zone"] = Field("zone", title="Target", description="only zones have a capacity")
    horizon: int = Field(4, ge=1, title="Horizon", description="buckets ahead that are forecast")

    def thresholds(self) -> Thresholds:
        return self._th(0, 0)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        capacity = twin.read("SELECT min(capacity) FROM zones WHERE zone = $id", {"id": self.subject}).rows[0][0]
        end = bucket_start(now, self.bucket_s)
        history = series(twin, "zone", self.subject, end, self.bucket_s, self.period * self.seasons)
        if capacity is None or not history.any():
            return []
        f = self.model().forecast(history, self.horizon)
        peak = int(np.argmax(f.mean))
        eta = end + timedelta(seconds=self.bucket_s * peak)
        return [Reading(self.name, self.subject, float(f.mean[peak]) - capacity, now, {
            "zone": self.subject, "capacity": capacity, "forecast_peak": float(f.mean[peak]),
            "peak_bucket": eta.isoformat(), "in_minutes": max(0.0, round((eta - now).total_seconds() / 60, 1)),
            "query": f"highest occupancy per {self.bucket_s} s bucket, seasonal-naive over {self.seasons} seasons"})]
