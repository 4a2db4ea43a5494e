"""``Batcher``: when chunks are cut, by size, time and planned ranges."""

from __future__ import annotations

import pytest

from cloud.sink.batch import Batcher


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _batcher(max_records: int = 1000, max_bytes: int = 10**6, max_wait_s: float = 5.0) -> tuple[Batcher, Clock]:
    clock = Clock()
    return Batcher(max_records, max_bytes, max_wait_s, clock), clock


def _ranges(batcher: Batcher) -> list[tuple[int, int, tuple[int, int]]]:
    return [(c.partition, c.first, c.name_range) for c in batcher.take()]


@pytest.mark.parametrize(
    ("records", "max_records", "max_bytes", "due"),
    [
        (3, 4, 10**6, False),
        (4, 4, 10**6, True),
        (3, 100, 30, True),  # 3 records of 10 bytes
        (2, 100, 30, False),
    ],
)
def test_size_limits(records: int, max_records: int, max_bytes: int, due: bool) -> None:
    batcher, _ = _batcher(max_records, max_bytes)
    for offset in range(records):
        batcher.add(0, offset, b"x" * 10, 0)
    assert batcher.due() is due


def test_time_limit_counts_from_the_oldest_record() -> None:
    batcher, clock = _batcher(max_wait_s=5.0)
    batcher.add(0, 0, b"a", 0)
    clock.now = 4.0
    batcher.add(1, 0, b"b", 0)
    assert not batcher.due()
    clock.now = 5.0
    assert batcher.due()
    assert _ranges(batcher) == [(0, 0, (0, 0)), (1, 0, (0, 0))]
    assert not batcher.due() and batcher.held == 0


@pytest.mark.parametrize(
    ("plans", "offsets", "expected"),
    [
        # resume exactly at a planned batch: the same ranges again, then a free chunk
        ([(10, 14), (15, 20)], range(10, 24), [(10, (10, 14)), (15, (15, 20)), (21, (21, 23))]),
        # a gap before the planned range: a free chunk is cut where the plan starts
        ([(15, 20)], range(10, 22), [(10, (10, 14)), (15, (15, 20)), (21, (21, 21))]),
        # offsets missing inside a planned range keep the planned name
        ([(10, 20)], [10, 12, 19, 21], [(10, (10, 20)), (21, (21, 21))]),
        # plans entirely behind the resume point are ignored
        ([(0, 5)], range(6, 9), [(6, (6, 8))]),
    ],
)
def test_planned_ranges_are_reproduced(
    plans: list[tuple[int, int]], offsets: list[int], expected: list[tuple[int, tuple[int, int]]]
) -> None:
    batcher, _ = _batcher()
    batcher.plan(3, plans)
    for offset in offsets:
        batcher.add(3, offset, b"v", 0)
    assert [(first, name) for _, first, name in _ranges(batcher)] == expected


def test_a_bound_chunk_is_not_cut_by_time_and_is_dropped_at_revoke() -> None:
    batcher, clock = _batcher(max_wait_s=1.0)
    batcher.plan(0, [(0, 99)])
    for offset in range(50):
        batcher.add(0, offset, b"v", 0)
    clock.now = 10.0
    assert not batcher.due()
    assert batcher.take() == []
    assert batcher.drop([0]) == 50
    assert batcher.held == 0


def test_partitions_are_independent() -> None:
    batcher, _ = _batcher()
    batcher.plan(0, [(0, 1)])
    for offset in range(3):
        batcher.add(0, offset, b"v", 0)
        batcher.add(1, offset, b"v", 0)
    assert _ranges(batcher) == [(0, 0, (0, 1)), (0, 2, (2, 2)), (1, 0, (0, 2))]
