"""Resource sampling: CPU and memory always, temperature and power where the device reports them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hardware import sensors
from hardware.sensors import ResourceSampler


def busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(range(1000))


def test_cpu_and_memory_of_a_busy_process() -> None:
    sampler = ResourceSampler(interval_s=0.02).start()
    busy(0.3)
    used = sampler.stop()
    assert 30 < used.cpu_percent < 250
    assert used.rss_mb_peak > 10


def test_rapl_energy_becomes_mean_power(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zone = tmp_path / "intel-rapl:0"
    zone.mkdir()
    (tmp_path / "intel-rapl:0:0").mkdir()  # a sub-domain (cores): not counted twice
    (tmp_path / "intel-rapl:0:0" / "energy_uj").write_text("5\n")
    counter = zone / "energy_uj"
    counter.write_text("1000000\n")
    monkeypatch.setattr(sensors, "POWERCAP", tmp_path)
    sampler = ResourceSampler(interval_s=0.05).start()
    time.sleep(0.2)
    counter.write_text("3000000\n")  # 2 J
    used = sampler.stop()
    assert used.power_source == "rapl"
    assert used.power_w is not None and 4.0 < used.power_w < 11.0  # 2 J over about 0.2 s


def test_hwmon_rails_are_averaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hwmon0").mkdir()
    (tmp_path / "hwmon0" / "power1_input").write_text("4500000\n")  # microwatts
    monkeypatch.setattr(sensors, "POWERCAP", tmp_path / "none")
    monkeypatch.setattr(sensors, "HWMON", tmp_path)
    monkeypatch.setattr(sensors, "IIO", tmp_path / "none")
    sampler = ResourceSampler(interval_s=0.02).start()
    time.sleep(0.1)
    used = sampler.stop()
    assert (used.power_w, used.power_source) == (4.5, "hwmon")


def test_no_sensor_means_null_not_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POWERCAP", "HWMON", "IIO"):
        monkeypatch.setattr(sensors, name, tmp_path / "none")
    monkeypatch.setattr(sensors, "soc_temperature_c", lambda: None)
    used = ResourceSampler(interval_s=0.02).start().stop()
    assert used.power_w is None and used.power_source is None and used.temperature_c_max is None
