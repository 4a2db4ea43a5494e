"""History windows over a year of rollups for a city: ``make bench-twin``'s second part.

The rollups (``rollup_synth``: a year of hour and day tables, the newest
week of minute tables, for 1,000 cameras by default) are generated once into
the cache. Each window (a day, a week, a month, a year) is read at the
resolution ``resolution_for`` picks, through ``rollup_read.history`` on a
connection that reaches no file, at random positions; p50/p95 per window and
kind, the site's total and one camera's.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

from citytwin.paths import cache_dir
from cloud.rollup.tables import VERSION, resolution_for
from cloud.twin.rollup_read import history
from cloud.twin.rollup_synth import RollupShape, write
from cloud.twin.sandbox import locked_config, private_folder
from cloud.twin.settings import TwinSettings

TARGET_MS = 300.0
WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30),
           "year": timedelta(days=365)}


def ensure_rollups(shape: RollupShape) -> Path:
    """The cached rollups of ``shape``, written on first use (a folder laid out as a lake)."""
    root = cache_dir() / (f"bench-rollups-v{VERSION}-{shape.cameras}c-{shape.days}d-{shape.minute_days}md")
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


def _position(shape: RollupShape, window: timedelta, rng: random.Random) -> datetime:
    """A random start for ``window``: anywhere it fits, within the minute tables' days for minute windows."""
    first = shape.end - timedelta(days=shape.minute_days) if resolution_for(window) == "minute" else shape.start
    span = (shape.end - window - first).total_seconds()
    return first + timedelta(seconds=rng.uniform(0, max(span, 0)))


def latencies(shape: RollupShape, root: Path, runs: int) -> float:
    """Print p50/p95 per window and kind; returns the worst p95 (ms)."""
    settings = TwinSettings()
    spill = private_folder(settings.spill_dir, root, "cloud.twin.spill_dir", "citytwin-bench-")
    con = duckdb.connect(":memory:", config=locked_config(settings.memory_limit_mb, settings.threads, spill,
                                                          settings.max_spill_mb))
    rng = random.Random(5)
    worst = 0.0
    print(f"{'history window':<34} {'resolution':>10} {'runs':>5} {'rows':>7} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}")
    try:
        for label, window in WINDOWS.items():
            for kind, where in (("crossings", {}), ("crossings", {"camera": "cam-7"}), ("occupancy", {})):
                def once() -> int:
                    start = _position(shape, window, rng)
                    return len(history(con, root, kind, start, start + window, **where)[1])
                first, rows, times = _measure(once, runs)
                p50, p95 = float(np.percentile(times, 50)), float(np.percentile(times, 95))
                worst = max(worst, p95)
                name = f"{kind} ({label}{', one camera' if where else ''})"
                print(f"{name:<34} {resolution_for(window):>10} {runs:>5} {rows:>7} {first:>9.1f} {p50:>8.1f} {p95:>8.1f}",
                      flush=True)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    print(f"worst history p95: {worst:.1f} ms (target < {TARGET_MS:.0f} ms)")
    return worst


def _measure(call: Callable[[], int], runs: int) -> tuple[float, int, list[float]]:
    """The first call's time (file metadata, caches), the rows of the last call, and each later call's time (ms)."""
    t = time.perf_counter()
    rows = call()
    first = (time.perf_counter() - t) * 1000
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        rows = call()
        times.append((time.perf_counter() - t) * 1000)
    return first, rows, times
