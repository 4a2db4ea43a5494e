"""The device's own compute peak, measured with a float32 matrix-multiply probe.

Each thread count runs in a child process, because BLAS libraries read their
thread count from the environment once, when they load. The child inherits
everything else (``OPENBLAS_CORETYPE`` included), so the probe sees the same
BLAS the rest of the benchmark does.

    python -m hardware.gemm --size 1024 --runs 10   # one probe, JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time

import numpy as np

from hardware.result import GemmPeak, GemmPoint

log = logging.getLogger(__name__)

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def gemm_gflops(size: int, runs: int) -> float:
    """Median GFLOP/s of ``runs`` float32 ``size``x``size`` matrix products, after one warm-up."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - start)
    return 2.0 * size**3 / float(np.median(times)) / 1e9


def blas_name() -> str:
    """The BLAS numpy was built against, e.g. ``scipy-openblas 0.3.31``."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except (KeyError, TypeError, AttributeError):
        return "unknown"


def probe_threads(threads: int, size: int, runs: int, timeout_s: float = 300.0) -> float:
    """GFLOP/s with BLAS limited to ``threads``, measured in a child process."""
    env = {**os.environ, **{name: str(threads) for name in THREAD_VARIABLES}}
    done = subprocess.run(
        [sys.executable, "-m", "hardware.gemm", "--size", str(size), "--runs", str(runs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"GEMM probe with {threads} threads failed (exit {done.returncode}): {done.stderr.strip()}")
    return float(json.loads(done.stdout)["gflops"])


def probe(thread_counts: list[int], size: int, runs: int) -> GemmPeak:
    """The GEMM peak at each thread count the matrix uses."""
    points = []
    for threads in sorted(set(thread_counts)):
        gflops = probe_threads(threads, size, runs)
        log.info("GEMM %dx%d float32 with %d threads: %.1f GFLOP/s", size, size, threads, gflops)
        points.append(GemmPoint(threads=threads, gflops=round(gflops, 2)))
    return GemmPeak(size=size, runs=runs, blas=blas_name(), points=points)


def best_of(probes: list[GemmPeak]) -> GemmPeak:
    """The highest figure per thread count over several probes of the same size.

    Load from elsewhere only ever slows a probe down, so the best probe is the
    closest to the device's real peak.
    """
    best: dict[int, float] = {}
    for peak in probes:
        for point in peak.points:
            best[point.threads] = max(best.get(point.threads, 0.0), point.gflops)
    first = probes[0]
    points = [GemmPoint(threads=t, gflops=g) for t, g in sorted(best.items())]
    return GemmPeak(size=first.size, runs=first.runs, probes=len(probes), blas=first.blas, points=points)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1024, help="matrix side (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=10, help="timed products; the median is kept (default: %(default)s)")
    args = parser.parse_args(argv)
    print(json.dumps({"size": args.size, "runs": args.runs, "gflops": gemm_gflops(args.size, args.runs)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
