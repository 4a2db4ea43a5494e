"""Short-term forecasts with prediction intervals, and anomaly detection against them.

A robust seasonal-naive model: the forecast for a bucket is the median of the
same bucket of the season (e.g. the same quarter-hour of the day) over the
last ``seasons`` seasons. Intervals are computed on the Anscombe scale
(``2 * sqrt(x + 3/8)``), where count noise has unit variance whatever the
mean, widened by how much the seasons differ (median absolute deviation over
the whole season): so a quiet hour dropping from 20 to 3 is as visible as a
busy one tripling.
It needs no fitting, costs microseconds, and one odd day in the history
barely moves a median.

Example:
    >>> import numpy as np
    >>> model = SeasonalNaive(period=4, seasons=3)
    >>> history = np.array([10, 20, 30, 20] * 3, float)
    >>> model.forecast(history, 2).mean.tolist()
    [10.0, 20.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _anscombe(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 2.0 * np.sqrt(np.maximum(x, 0.0) + 0.375)
    return result


def _inverse(a: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.maximum((np.maximum(a, 0.0) / 2.0) ** 2 - 0.375, 0.0)
    return result


@dataclass(frozen=True)
class Forecast:
    """Point forecasts and a prediction interval per future bucket."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True)
class SeasonalNaive:
    """Median-of-seasons forecaster; ``z`` sets the interval width in standard deviations."""

    period: int
    seasons: int = 7
    z: float = 4.0

    def forecast(self, history: np.ndarray, horizon: int) -> Forecast:
        """Forecast ``horizon`` buckets after ``history`` (oldest first)."""
        if len(history) < self.period:
            raise ValueError(f"need at least one season ({self.period} buckets) of history, got {len(history)}")
        usable = min(self.seasons, len(history) // self.period)
        # Row-aligned so that column j is the bucket one season before the j-th one forecast.
        past = history[len(history) - usable * self.period :].reshape(usable, self.period)
        idx = np.arange(horizon) % self.period
        scaled = _anscombe(past)
        center_all = np.median(scaled, axis=0)
        # One noise scale for the whole season: seven samples per bucket are too few (and one odd day
        # too many) for a per-bucket spread, while on this scale the noise is alike across buckets.
        sd = max(1.0, 1.4826 * float(np.median(np.abs(scaled - center_all))))
        center = center_all[idx]
        return Forecast(np.median(past[:, idx], axis=0), _inverse(center - self.z * sd), _inverse(center + self.z * sd))


def anomalies(series: np.ndarray, model: SeasonalNaive) -> np.ndarray:
    """Indices of buckets outside the interval forecast from the buckets before them.

    The first ``period`` buckets have no history and are never flagged.
    """
    flagged = []
    for t in range(model.period, len(series)):
        f = model.forecast(series[:t], 1)
        if series[t] < f.low[0] or series[t] > f.high[0]:
            flagged.append(t)
    return np.array(flagged, dtype=np.int64)


def will_exceed(history: np.ndarray, model: SeasonalNaive, horizon: int, limit: float) -> int | None:
    """Buckets until the forecast first exceeds ``limit`` within ``horizon``, or None."""
    f = model.forecast(history, horizon)
    over = np.nonzero(f.mean > limit)[0]
    return int(over[0]) + 1 if len(over) else None
