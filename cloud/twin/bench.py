"""``make bench-twin``: latency of the named queries over 10M events, 30 days, 50 cameras.

    python -m cloud.twin.bench [--events N] [--days D] [--cameras C] [--runs R]

The synthetic lake is generated once into the cache and reused. Prints
p50/p95 per named query over random windows, the state_at latency, and
typed SQL through the sandbox (the cockpit console's path) over one day.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import timedelta
from collections.abc import Callable
from pathlib import Path

import numpy as np

from citytwin.paths import cache_dir
from cloud.twin.named import QUERIES
from cloud.twin.synth import CityShape, generate
from cloud.twin.twin import Twin
from contract.site import CameraSpec, SiteSpec


def ensure_lake(shape: CityShape) -> Path:
    lake = cache_dir() / f"bench-lake-{shape.events}-{shape.days}d-{shape.cameras}c"
    marker = lake / "_complete.json"
    if not marker.exists():
        print(f"generating {shape.events:,} events over {shape.days} days, {shape.cameras} cameras into {lake} ...", flush=True)
        start = time.perf_counter()
        rows = generate(lake, shape)
        marker.write_text(json.dumps({"rows": rows}))
        print(f"  {rows:,} rows in {time.perf_counter() - start:.0f} s", flush=True)
    return lake


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--cameras", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    shape = CityShape(events=args.events, days=args.days, cameras=args.cameras)
    lake = ensure_lake(shape)
    site = SiteSpec(id=shape.site, name="bench city", width_m=1000, height_m=1000)
    cameras = [CameraSpec.model_validate({"id": f"cam-{i}", "map": {"x_m": i, "y_m": i}}) for i in range(shape.cameras)]
    start = time.perf_counter()
    twin = Twin(lake, site, cameras)
    print(f"twin opened over {len(twin.files.list())} files in {time.perf_counter() - start:.2f} s")
    rng = random.Random(3)
    span = shape.days * 86_400 - 86_400

    def window(hours: int) -> dict[str, object]:
        t1 = shape.start + timedelta(seconds=rng.uniform(0, span))
        return {"t1": t1, "t2": t1 + timedelta(hours=hours)}

    def typed_day() -> str:
        """What someone types into the console: one day's crossings per line, deduplicated, from the lake."""
        day = (shape.start + timedelta(seconds=rng.uniform(0, span))).date().isoformat()
        return (f"SELECT camera, line, direction, count(*) AS crossings FROM crossings WHERE date = DATE '{day}' "
                "GROUP BY ALL ORDER BY crossings DESC")

    cases: dict[str, Callable[[], object]] = {
        "flow_per_line_per_hour (1 day)": lambda: twin.named("flow_per_line_per_hour", **window(24)),
        "busiest_zones (1 day)": lambda: twin.named("busiest_zones", **window(24)),
        "nodes_offline (now)": lambda: twin.named(
            "nodes_offline", now=shape.start + timedelta(seconds=rng.uniform(86_400, span)), after_s=60
        ),
        "people_entering_zone (4 h)": lambda: twin.named("people_entering_zone", zone="zone-0", **window(4)),
        "state_at (random instant)": lambda: twin.state_at(shape.start + timedelta(seconds=rng.uniform(0, span))),
        "typed SQL, sandbox (1 day)": lambda: twin.query(typed_day()),
    }
    print(f"{'query':<34} {'runs':>5} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for name, call in cases.items():
        call()  # warm-up: file metadata and DuckDB caches
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            call()
            times.append((time.perf_counter() - t) * 1000)
        p50, p95 = float(np.percentile(times, 50)), float(np.percentile(times, 95))
        worst = max(worst, p95) if name.split()[0] in QUERIES else worst
        print(f"{name:<34} {args.runs:>5} {p50:>8.1f} {p95:>8.1f}", flush=True)
    print(f"worst named-query p95: {worst:.1f} ms (target < 200 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
