"""CPU, memory, temperature and power of the benchmark process while it measures.

Temperature comes from the kernel's thermal zones (Pi, Jetson, most laptops).
Power comes from the first source the device offers: Intel/AMD RAPL package
energy counters, or hwmon/INA3221 power rails (Jetson). Devices without either
report null rather than a guess.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from hardware.result import Resources
from edge.runtime.health import soc_temperature_c

log = logging.getLogger(__name__)

POWERCAP = Path("/sys/class/powercap")
HWMON = Path("/sys/class/hwmon")
IIO = Path("/sys/bus/iio/devices")


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def rapl_counters() -> list[Path]:
    """Package-level RAPL energy counters (microjoules) that this process can read."""
    found = []
    for zone in sorted(POWERCAP.glob("intel-rapl:*")):
        if zone.name.count(":") == 1 and _read_int(zone / "energy_uj") is not None:
            found.append(zone / "energy_uj")
    return found


def rail_power_files() -> list[tuple[Path, float]]:
    """Instantaneous power inputs and their scale to watts: hwmon (microwatts), Jetson INA3221 (milliwatts)."""
    files: list[tuple[Path, float]] = [(p, 1e-6) for p in sorted(HWMON.glob("hwmon*/power*_input"))]
    files += [(p, 1e-3) for p in sorted(IIO.glob("iio:device*/in_power*_input"))]
    return [(p, scale) for p, scale in files if _read_int(p) is not None]


@dataclass
class _Samples:
    rss_peak: int = 0
    temperature_max: float | None = None
    rail_watts: float = 0.0
    rail_count: int = 0


class ResourceSampler:
    """Samples the process in a background thread between ``start()`` and ``stop()``.

    Example:
        >>> sampler = ResourceSampler(interval_s=0.05).start()
        >>> sum(range(10**5)) > 0
        True
        >>> sampler.stop().rss_mb_peak > 0
        True
    """

    def __init__(self, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)
        self._samples = _Samples()
        self._rapl = rapl_counters()
        self._rails = [] if self._rapl else rail_power_files()
        self._wall = 0.0
        self._cpu = 0.0
        self._energy: list[int] = []

    def _cpu_seconds(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def _energy_now(self) -> list[int]:
        return [_read_int(p) or 0 for p in self._rapl]

    def _sample(self) -> None:
        s = self._samples
        s.rss_peak = max(s.rss_peak, self._process.memory_info().rss)
        temperature = soc_temperature_c()
        if temperature is not None:
            s.temperature_max = temperature if s.temperature_max is None else max(s.temperature_max, temperature)
        if self._rails:
            s.rail_watts += sum((_read_int(p) or 0) * scale for p, scale in self._rails)
            s.rail_count += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def start(self) -> ResourceSampler:
        self._wall = time.perf_counter()
        self._cpu = self._cpu_seconds()
        self._energy = self._energy_now()
        self._sample()
        self._thread.start()
        return self

    def _power(self, wall: float) -> tuple[float | None, str | None]:
        if self._rapl:
            # Counters wrap at max_energy_range_uj; a wrapped reading is dropped rather than guessed.
            deltas = [after - before for before, after in zip(self._energy, self._energy_now())]
            if wall > 0 and all(d >= 0 for d in deltas):
                return round(sum(deltas) / 1e6 / wall, 2), "rapl"
            return None, None
        s = self._samples
        if s.rail_count:
            return round(s.rail_watts / s.rail_count, 2), "hwmon"
        return None, None

    def stop(self) -> Resources:
        """Stop sampling; returns what the process used since ``start()``."""
        self._stop.set()
        self._thread.join()
        self._sample()
        wall = time.perf_counter() - self._wall
        cpu = self._cpu_seconds() - self._cpu
        power, source = self._power(wall)
        s = self._samples
        return Resources(
            cpu_percent=round(100.0 * cpu / wall, 1) if wall > 0 else 0.0,
            rss_mb_peak=round(s.rss_peak / 2**20, 1),
            temperature_c_max=s.temperature_max,
            power_w=power,
            power_source=source,
        )


def pooled(measured: list[tuple[Resources, float]]) -> Resources:
    """Resources of several spans, each with its wall time: CPU and power weighted by it, peaks as peaks."""
    wall = sum(w for _, w in measured) or 1.0
    temperatures = [r.temperature_c_max for r, _ in measured if r.temperature_c_max is not None]
    powered = [(r, w) for r, w in measured if r.power_w is not None]
    power = sum((r.power_w or 0.0) * w for r, w in powered) / (sum(w for _, w in powered) or 1.0)
    return Resources(
        cpu_percent=round(sum(r.cpu_percent * w for r, w in measured) / wall, 1),
        rss_mb_peak=max(r.rss_mb_peak for r, _ in measured),
        temperature_c_max=max(temperatures) if temperatures else None,
        power_w=round(power, 2) if powered else None,
        power_source=powered[0][0].power_source if powered else None,
    )
