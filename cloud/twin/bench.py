"""``make bench-twin``: what opening a twin costs, and how fast it answers, over a synthetic lake.

    python -m cloud.twin.bench [--events N] [--days D] [--cameras C] [--runs R] [--only lake|history]
    make bench-twin EVENTS=100000000

The synthetic lake (10M events, 30 days, 50 cameras by default) is generated
once into the cache and reused; generating takes about 27 s per 10M events
and 20 MB of disk per million. Its rollups are then made once by the
reconciler, as the sink keeps them in a deployment (about 80 s per 10M
events), so the queries below read what the cockpit would read. Prints:

- the open time and peak RSS of ``Twin()`` in a fresh process, and of
  ``citytwin query -c site.yaml "SELECT count(*) FROM events"`` as its own
  process (peak RSS from the kernel's accounting of that child);
- p50/p95 per named query over random windows, ``state_at`` at random
  instants, the cockpit's ``/api/range`` answer, and typed SQL through the
  sandbox (the cockpit console's path) over one day;
- p50/p95 of history windows of a day, a week, a month and a year over a
  year of rollups for 1,000 cameras (``bench_history.py``; generated once
  into the cache), each at the bucket its chart draws, through the
  cockpit's reader; then the time of ``Twin.refresh`` over that year of
  hourly partitions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import yaml

from citytwin.paths import cache_dir
from cloud.rollup import tables as rollup_tables
from cloud.rollup.reconcile import Reconciler
from cloud.twin import bench_history
from cloud.twin.listing import LakeFiles, Verdicts, verdict_file
from cloud.twin.named import QUERIES
from cloud.twin.rollup_synth import RollupShape
from cloud.twin.settings import TwinSettings
from cloud.twin.synth import CityShape, generate
from cloud.twin.twin import Twin
from contract.site import CameraSpec, SiteSpec

# Typed SQL over all history is slow by nature: the measurement lets it run and spill past the defaults.
_COUNT_SQL = {"timeout_s": 600.0, "max_spill_mb": 32_768}
# What the cached rollups were made by: the layout's version, and record 2 (minute files say whether their hour's
# files hold each event once), so rollups made before either are made again.
_ROLLUPS_MADE = {"version": rollup_tables.VERSION, "record": 2}


def ensure_lake(shape: CityShape) -> Path:
    # v2: the files carry the sink's mark, as the sink's own do (``listing.judge``); v3: they hold their events by
    # capture time in row groups of ``cloud.sink.writer.ROW_GROUP_ROWS``, as the sink writes them.
    lake = cache_dir() / f"bench-lake-v3-{shape.events}-{shape.days}d-{shape.cameras}c"
    marker = lake / "_complete.json"
    if not marker.exists():
        print(f"generating {shape.events:,} events over {shape.days} days, {shape.cameras} cameras into {lake} ...", flush=True)
        start = time.perf_counter()
        rows = generate(lake, shape)
        marker.write_text(json.dumps({"rows": rows}))
        print(f"  {rows:,} rows in {time.perf_counter() - start:.0f} s", flush=True)
    return lake


def ensure_rollups(lake: Path) -> None:
    """The lake's rollups, as the sink's reconciler keeps them, made once into the cached lake."""
    marker = lake / "_rollups.json"
    if marker.exists() and json.loads(marker.read_text()) == _ROLLUPS_MADE:
        return
    print(f"making the rollups of {lake} (once) ...", flush=True)
    start = time.perf_counter()
    settings = TwinSettings()
    files = LakeFiles(lake, Verdicts(verdict_file(settings.state_dir, lake)))
    reconciler = Reconciler(lake, files, settings)
    try:
        report = reconciler.run(force=True, progress=lambda line: print(f"  {line}", flush=True))
    finally:
        reconciler.close()
    if report.failed:
        raise RuntimeError(f"rollups not made for {len(report.failed)} hours of {lake}: {report.failed[:3]}")
    marker.write_text(json.dumps(_ROLLUPS_MADE))
    print(f"  {report.line()} in {time.perf_counter() - start:.0f} s", flush=True)


def _city(shape: CityShape) -> tuple[SiteSpec, list[CameraSpec]]:
    site = SiteSpec(id=shape.site, name="bench city", width_m=1000, height_m=1000)
    cameras = [CameraSpec.model_validate({"id": f"cam-{i}", "map": {"x_m": i, "y_m": i}}) for i in range(shape.cameras)]
    return site, cameras


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def open_once(shape: CityShape) -> None:
    """In a fresh process: open a twin, print its open time and this process's peak RSS as JSON."""
    lake = ensure_lake(shape)
    site, cameras = _city(shape)
    start = time.perf_counter()
    twin = Twin(lake, site, cameras)
    opened = time.perf_counter() - start
    files = len(twin.files.list())
    twin.close()
    print(json.dumps({"open_s": opened, "files": files, "peak_rss_mb": _peak_rss_mb()}))


def _child_rss(command: list[str]) -> tuple[str, float, float]:
    """Run ``command``; its stdout, wall time and peak RSS (MiB), reaped with ``wait4`` to read that one child's."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {err.strip()[-500:]}")
    return out, elapsed, usage.ru_maxrss / 1024


def measure_processes(shape: CityShape, lake: Path) -> None:
    """Open time and peak RSS of ``Twin()`` (twice: the second finds the verdicts) and of one ``citytwin query``."""
    args = ["--events", str(shape.events), "--days", str(shape.days), "--cameras", str(shape.cameras)]
    for _ in range(2):
        out, _, rss = _child_rss([sys.executable, "-m", "cloud.twin.bench", "--open-once", *args])
        opened = json.loads(out.strip().splitlines()[-1])
        print(f"Twin() in a fresh process: open {opened['open_s']:.2f} s over {opened['files']} files, "
              f"peak RSS {rss:.0f} MiB (target < 2 s, < 1024 MiB)", flush=True)
    site, cameras = _city(shape)
    with tempfile.TemporaryDirectory(prefix="citytwin-bench-") as scratch:
        config = Path(scratch) / "site.yaml"
        config.write_text(yaml.safe_dump({
            "site": site.model_dump(mode="json"), "lake": {"path": str(lake)},
            "cameras": [c.model_dump(mode="json") for c in cameras],
            "cloud": {"sql": _COUNT_SQL}, "audit": {"path": str(Path(scratch) / "audit.jsonl")},
        }))
        sql = "SELECT count(*) FROM events"
        command = [sys.executable, "-m", "citytwin.cli", "query", "-c", str(config), "--format", "json", sql]
        try:
            out, elapsed, rss = _child_rss(command)
            print(f"citytwin query {sql!r}: {elapsed:.2f} s, peak RSS {rss:.0f} MiB, answer {out.strip()}", flush=True)
        except RuntimeError as exc:
            print(f"citytwin query {sql!r} did not answer: {exc}", flush=True)


def latencies(shape: CityShape, lake: Path, runs: int) -> None:
    """p50/p95 of the named queries, ``state_at``, the range and one day of typed SQL, in this process."""
    site, cameras = _city(shape)
    twin = Twin(lake, site, cameras)
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
        "span (/api/range)": twin.span,
        "typed SQL, sandbox (1 day)": lambda: twin.query(typed_day()),
    }
    print(f"{'query':<34} {'runs':>5} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for name, call in cases.items():
        t = time.perf_counter()
        call()  # the first call pays for file metadata, DuckDB's caches and the per-day answers
        first = (time.perf_counter() - t) * 1000
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            call()
            times.append((time.perf_counter() - t) * 1000)
        p50, p95 = float(np.percentile(times, 50)), float(np.percentile(times, 95))
        worst = max(worst, p95) if name.split()[0] in QUERIES or name.startswith("state_at") else worst
        print(f"{name:<34} {runs:>5} {first:>9.1f} {p50:>8.1f} {p95:>8.1f}", flush=True)
    print(f"worst named-query / state_at p95: {worst:.1f} ms (target < 200 ms); one-day typed SQL target p95 < 1000 ms")
    print(f"peak RSS of this process: {_peak_rss_mb():.0f} MiB")
    twin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--cameras", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", choices=["lake", "history"], help="one part: the raw lake, or history over rollups")
    parser.add_argument("--history-cameras", type=int, default=1000, help="cameras of the rollups (default: %(default)s)")
    parser.add_argument("--history-days", type=int, default=365, help="days of rollups (default: %(default)s)")
    parser.add_argument("--minute-days", type=int, default=7, help="newest days with minute rollups (default: %(default)s)")
    parser.add_argument("--open-once", action="store_true", help=argparse.SUPPRESS)  # the child of measure_processes
    args = parser.parse_args(argv)
    shape = CityShape(events=args.events, days=args.days, cameras=args.cameras)
    if args.open_once:
        open_once(shape)
        return 0
    if args.only != "history":
        lake = ensure_lake(shape)
        ensure_rollups(lake)
        measure_processes(shape, lake)
        latencies(shape, lake, args.runs)
    if args.only != "lake":
        rollups = RollupShape(cameras=args.history_cameras, days=args.history_days, minute_days=args.minute_days)
        bench_history.run(rollups, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
