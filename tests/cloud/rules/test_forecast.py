"""Forecast backtest: 14 days of seasonal counts with injected anomalies."""

from __future__ import annotations

import numpy as np
import pytest

from cloud.rules.forecast import SeasonalNaive, anomalies, will_exceed

PER_DAY = 96  # 15-minute buckets


def seasonal_days(days: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(days * PER_DAY)
    daily = 20 + 120 * np.exp(-(((t % PER_DAY) - 34) ** 2) / 60) + 90 * np.exp(-(((t % PER_DAY) - 70) ** 2) / 80)
    weekend = np.where((t // PER_DAY) % 7 >= 5, 0.8, 1.0)
    return rng.poisson(daily * weekend).astype(float)


def inject(series: np.ndarray, count: int, rng: np.random.Generator, after: int) -> np.ndarray:
    where = np.sort(rng.choice(np.arange(after, len(series)), count, replace=False))
    for i in where:
        series[i] = series[i] * 3 + 30 if rng.random() < 0.5 else series[i] * 0.15
    return where


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backtest_precision_and_recall(seed: int) -> None:
    rng = np.random.default_rng(seed)
    series = seasonal_days(14, rng)
    truth = inject(series, 25, rng, after=7 * PER_DAY)
    model = SeasonalNaive(period=PER_DAY, seasons=7, z=4.0)
    flagged = anomalies(series, model)
    flagged = flagged[flagged >= 7 * PER_DAY]
    hits = len(np.intersect1d(flagged, truth))
    precision = hits / max(len(flagged), 1)
    recall = hits / len(truth)
    print(f"seed {seed}: precision {precision:.2f}, recall {recall:.2f} ({hits} of {len(truth)}, {len(flagged)} flagged)")
    assert precision >= 0.8 and recall >= 0.8


def test_interval_contains_ordinary_days() -> None:
    rng = np.random.default_rng(9)
    series = seasonal_days(8, rng)
    f = SeasonalNaive(period=PER_DAY).forecast(series[: 7 * PER_DAY], PER_DAY)
    inside = (series[7 * PER_DAY :] >= f.low) & (series[7 * PER_DAY :] <= f.high)
    assert inside.mean() >= 0.99


def test_capacity_forecast() -> None:
    history = np.array([1, 2, 8, 3] * 7, float)
    model = SeasonalNaive(period=4)
    assert will_exceed(history, model, horizon=4, limit=5) == 3
    assert will_exceed(history, model, horizon=2, limit=5) is None


def test_too_little_history_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one season"):
        SeasonalNaive(period=96).forecast(np.zeros(10), 1)
