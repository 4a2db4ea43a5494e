"""History windows and refresh over a year of rollups for a city: ``make bench-twin``'s second part.

The lake (``rollup_synth``: a raw file per hour for a year, quarter, hour
and day tables for the year, the newest week of minute tables, for 1,000
cameras by default) is generated once into the cache. A ``Twin`` over it answers each
window (a day, a week, a month and a year, each at the bucket a chart of it
draws) through ``history.chart``, the cockpit's own reader, at random
positions: p50/p95 per window and kind, the site's total and one camera's.
Then ``Twin.refresh`` over that year of hourly partitions: with nothing new,
after a file in the newest hour, and after a late file into an old one.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from citytwin.paths import cache_dir
from cloud.rollup.tables import VERSION
from cloud.twin.history import chart, resolutions
from cloud.twin.rollup_synth import RollupShape, raw_hour, write
from cloud.twin.twin import Twin
from contract.site import CameraSpec, SiteSpec

TARGET_MS = 300.0
# Each window with the bucket its chart draws: the screen's 15 minutes over a day and a day over a month.
WINDOWS: dict[str, tuple[timedelta, timedelta]] = {
    "day": (timedelta(days=1), timedelta(minutes=15)), "week": (timedelta(days=7), timedelta(hours=1)),
    "month": (timedelta(days=30), timedelta(days=1)), "year": (timedelta(days=365), timedelta(days=1)),
}
_KINDS: tuple[tuple[str, dict[str, str]], ...] = (("crossings", {}), ("crossings", {"camera": "cam-7"}), ("occupancy", {}))


def ensure_rollups(shape: RollupShape) -> Path:
    """The cached lake of ``shape``, written on first use."""
    # r2: with a raw file per hour and the listings the rollups were made from, so a twin finds them exact;
    # r3: with the quarter (15-minute) tables.
    root = cache_dir() / f"bench-rollups-v{VERSION}r3-{shape.cameras}c-{shape.days}d-{shape.minute_days}md"
    marker = root / "_complete.json"
    if not marker.exists():
        print(f"generating rollups of {shape.cameras} cameras over {shape.days} days "
              f"(minutes for the newest {shape.minute_days}) into {root} ...", flush=True)
        shutil.rmtree(root, ignore_errors=True)
        start = time.perf_counter()
        rows = write(root, shape)
        marker.write_text(json.dumps({"rows": rows}))
        print(f"  {rows:,} rows in {time.perf_counter() - start:.0f} s", flush=True)
    return root


def open_twin(shape: RollupShape, root: Path) -> Twin:
    site = SiteSpec(id=shape.site, name="bench city", width_m=1000, height_m=1000)
    cameras = [CameraSpec.model_validate({"id": f"cam-{i}", "map": {"x_m": i % 1000, "y_m": i % 1000}})
               for i in range(shape.cameras)]
    return Twin(root, site, cameras)


def _position(shape: RollupShape, window: timedelta, size: timedelta, rng: random.Random) -> datetime:
    """A random start for ``window``: anywhere it fits, within the minute tables' days when minutes answer it."""
    first = shape.end - timedelta(days=shape.minute_days) if resolutions(size)[0] == "minute" else shape.start
    span = (shape.end - window - first).total_seconds()
    return first + timedelta(seconds=rng.uniform(0, max(span, 0)))


def latencies(shape: RollupShape, twin: Twin, runs: int) -> float:
    """Print p50/p95 per window and kind; returns the worst p95 (ms)."""
    rng = random.Random(5)
    worst = 0.0
    print(f"{'history window':<34} {'bucket':>8} {'reads':>14} {'runs':>5} {'points':>7} {'first ms':>9} "
          f"{'p50 ms':>8} {'p95 ms':>8}")
    for label, (window, size) in WINDOWS.items():
        for kind, where in _KINDS:
            tables: set[str] = set()

            def once() -> int:
                start = _position(shape, window, size, rng)
                got = chart(twin, kind, start, start + window, size, **where)
                tables.update(t.rpartition("_")[2] for t in got.tables)
                return len(got.rows)
            first, points, times = _measure(once, runs)
            p50, p95 = float(np.percentile(times, 50)), float(np.percentile(times, 95))
            worst = max(worst, p95)
            name = f"{kind} ({label}{', one camera' if where else ''})"
            bucket = f"{size.total_seconds() / 60:.0f} min" if size < timedelta(hours=1) else f"{size / timedelta(hours=1):.0f} h"
            print(f"{name:<34} {bucket:>8} {'+'.join(sorted(tables)) or 'raw':>14} {runs:>5} {points:>7} {first:>9.1f} "
                  f"{p50:>8.1f} {p95:>8.1f}", flush=True)
    print(f"worst history p95: {worst:.1f} ms (target < {TARGET_MS:.0f} ms)")
    return worst


def refresh_times(shape: RollupShape, twin: Twin, root: Path, runs: int) -> None:
    """p50/p95 of ``Twin.refresh`` over the lake's hourly partitions: nothing new, a new file now, a late file."""
    newest, old = shape.end - timedelta(hours=1), shape.start + timedelta(days=shape.days // 3, hours=5)
    cases: dict[str, datetime | None] = {"nothing new": None, "a file in the newest hour": newest,
                                         "a late file, an old hour": old}
    hours = len(twin.slots())
    print(f"{'Twin.refresh (' + str(hours) + ' hourly partitions)':<40} {'runs':>5} {'p50 ms':>8} {'p95 ms':>8}")
    for name, hour in cases.items():
        times = []
        for _ in range(runs):
            if hour is not None:
                raw_hour(root, shape, hour, 10**9, name="bench-extra.parquet")
            t = time.perf_counter()
            twin.refresh()
            times.append((time.perf_counter() - t) * 1000)
            if hour is not None:  # the hour's listing no longer is the rollups': it is read from raw until it is again
                assert not _held(twin, hour), f"refresh missed the new file in {hour:%Y-%m-%d %H}:00"
                (root / f"date={hour:%Y-%m-%d}" / f"hour={hour:%H}" / "bench-extra.parquet").unlink()
                twin.refresh()
                assert _held(twin, hour), f"refresh missed the removal in {hour:%Y-%m-%d %H}:00"
        print(f"{name:<40} {runs:>5} {float(np.percentile(times, 50)):>8.1f} {float(np.percentile(times, 95)):>8.1f}",
              flush=True)


def _held(twin: Twin, hour: datetime) -> bool:
    """Whether the hour table holds ``hour`` exactly for the lake as the twin last listed it."""
    return bool(twin.exact("crossings_hour", hour, hour + timedelta(hours=1)))


def _measure(call: Callable[[], int], runs: int) -> tuple[float, int, list[float]]:
    """The first call's time (file metadata, caches), the points of the last call, and each later call's time (ms)."""
    t = time.perf_counter()
    points = call()
    first = (time.perf_counter() - t) * 1000
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        points = call()
        times.append((time.perf_counter() - t) * 1000)
    return first, points, times


def run(shape: RollupShape, runs: int) -> None:
    """The history part of the benchmark: open the cached lake, history latencies, refresh times."""
    root = ensure_rollups(shape)
    t = time.perf_counter()
    twin = open_twin(shape, root)
    print(f"Twin() over {len(twin.slots())} hourly partitions and their rollups: {time.perf_counter() - t:.2f} s",
          flush=True)
    try:
        latencies(shape, twin, runs)
        refresh_times(shape, twin, root, max(5, runs // 3))
    finally:
        twin.close()
