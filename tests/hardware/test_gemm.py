"""The GEMM probe measures a positive, plausible peak per thread count."""

from __future__ import annotations

import pytest

from hardware.gemm import best_of, blas_name, gemm_gflops, probe
from hardware.result import GemmPeak, GemmPoint


def test_in_process_probe_is_positive() -> None:
    assert 0.1 < gemm_gflops(128, 3) < 100_000


def test_probe_runs_each_thread_count_in_a_child() -> None:
    peak = probe([1, 1], size=256, runs=3)
    assert [p.threads for p in peak.points] == [1]
    assert peak.points[0].gflops > 0.1
    assert peak.size == 256 and peak.blas == blas_name()


# A tie goes to the larger count: the higher peak keeps the efficiency conservative.
@pytest.mark.parametrize(("threads", "expected"), [(1, 10.0), (2, 18.0), (3, 30.0), (4, 30.0), (16, 30.0)])
def test_peak_at_nearest_thread_count(threads: int, expected: float) -> None:
    peak = GemmPeak(size=8, runs=1, blas="x", points=[GemmPoint(threads=t, gflops=g) for t, g in ((1, 10.0), (2, 18.0), (4, 30.0))])
    assert peak.at(threads) == expected


def test_the_best_probe_is_the_peak() -> None:
    def peak(one: float, two: float) -> GemmPeak:
        return GemmPeak(size=8, runs=3, blas="b", points=[GemmPoint(threads=1, gflops=one), GemmPoint(threads=2, gflops=two)])

    best = best_of([peak(80, 50), peak(70, 150)])
    assert [(p.threads, p.gflops) for p in best.points] == [(1, 80), (2, 150)] and best.probes == 2
