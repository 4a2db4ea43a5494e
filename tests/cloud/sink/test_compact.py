"""Compaction merges small files without losing or duplicating rows, and cleans up after a crash."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloud.sink.compact import compact
from cloud.sink.layout import file_name
from cloud.sink.settings import CompactionSettings
from cloud.sink.writer import write_atomic
from tests.cloud.sink.lakefiles import START, TOPIC, table, values, write

SETTINGS = CompactionSettings(min_age_s=0, min_files=2, target_mb=64)
HOUR = "date=2026-01-01/hour=10"


def _files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.parquet"))


def _offsets(root: Path) -> list[int]:
    out: list[int] = []
    for path in root.rglob("*.parquet"):
        out.extend(pq.read_table(path, columns=["kafka_offset"]).column(0).to_pylist())
    return sorted(out)


def _small_files(root: Path, batches: int, size: int = 20) -> None:
    for n in range(batches):
        write(root, n * size, values(size, node=f"campus-cam-{n}"))


def test_committed_files_are_merged_into_one(tmp_path: Path) -> None:
    _small_files(tmp_path, 6)
    stats = compact(tmp_path, TOPIC, {0: 120}, SETTINGS, zstd_level=3)
    assert (stats.merged_files, stats.written_files, stats.rows) == (6, 1, 120)
    assert _files(tmp_path) == [file_name(TOPIC, 0, 0, 119)]
    assert _offsets(tmp_path) == list(range(120))
    merged = pq.read_table(tmp_path / HOUR / file_name(TOPIC, 0, 0, 119))
    assert pc.count_distinct(merged.column("event_id")).as_py() == 120


def test_uncommitted_young_and_foreign_files_are_left_alone(tmp_path: Path) -> None:
    _small_files(tmp_path, 4)
    write(tmp_path, 0, values(20), partition=1)
    compact(tmp_path, TOPIC, {0: 40}, SETTINGS, zstd_level=3)  # only 0..39 committed, partition 1 not ours
    assert _files(tmp_path) == sorted(
        [file_name(TOPIC, 0, 0, 39), file_name(TOPIC, 0, 40, 59), file_name(TOPIC, 0, 60, 79), file_name(TOPIC, 1, 0, 19)]
    )
    young = CompactionSettings(min_age_s=3600, min_files=2)
    assert compact(tmp_path, TOPIC, {0: 80}, young, zstd_level=3).merged_files == 0


def test_a_crash_after_the_merge_is_cleaned_up_without_loss(tmp_path: Path) -> None:
    _small_files(tmp_path, 3)
    # The merged file is in place but the inputs were not deleted yet.
    merged = table(0, [v for n in range(3) for v in values(20, node=f"campus-cam-{n}")])
    write_atomic(merged, tmp_path / HOUR / file_name(TOPIC, 0, 0, 59), zstd_level=3)
    stats = compact(tmp_path, TOPIC, {0: 60}, SETTINGS, zstd_level=3)
    assert stats.leftovers_removed == 3
    assert _files(tmp_path) == [file_name(TOPIC, 0, 0, 59)]
    assert _offsets(tmp_path) == list(range(60))


def test_a_file_with_rows_the_larger_one_lacks_is_kept(tmp_path: Path) -> None:
    write(tmp_path, 0, values(10))
    partial = table(0, values(5))
    write_atomic(partial, tmp_path / HOUR / file_name(TOPIC, 0, 0, 20), zstd_level=3)
    compact(tmp_path, TOPIC, {0: 21}, CompactionSettings(min_age_s=0, min_files=5), zstd_level=3)
    assert len(_files(tmp_path)) == 2


def test_duplicate_offsets_collapse_and_stale_temp_files_go(tmp_path: Path) -> None:
    write(tmp_path, 0, values(10))
    # The same offsets written twice under overlapping names, as after a rebalance race.
    write_atomic(table(5, values(15)[5:]), tmp_path / HOUR / file_name(TOPIC, 0, 5, 14), zstd_level=3)
    write(tmp_path, 15, values(5, node="campus-cam-9"))
    stale = tmp_path / HOUR / ".x.parquet.123.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    compact(tmp_path, TOPIC, {0: 20}, SETTINGS, zstd_level=3)
    assert _offsets(tmp_path) == list(range(20))
    assert not stale.exists()


def test_a_merged_file_holds_its_events_by_capture_time(tmp_path: Path) -> None:
    # Offsets and capture times run opposite ways: the later batch holds the earlier events.
    write(tmp_path, 0, values(20, start=START + timedelta(seconds=30)))
    write(tmp_path, 20, values(20, start=START))
    compact(tmp_path, TOPIC, {0: 40}, SETTINGS, zstd_level=3)
    merged = pq.read_table(tmp_path / HOUR / file_name(TOPIC, 0, 0, 39))
    ts = merged.column("ts").to_pylist()
    assert ts == sorted(ts) and sorted(merged.column("kafka_offset").to_pylist()) == list(range(40))


def test_a_merged_file_waits_for_files_of_its_own_size(tmp_path: Path) -> None:
    """Files merge only with consecutive files of their size tier: a run reads what arrived, not the hour so far."""
    from cloud.sink.compact import TIER_BASE, _groups, tier
    from cloud.sink.layout import parse_name

    assert [tier(n, 4) for n in (0, TIER_BASE - 1, TIER_BASE, 4 * TIER_BASE - 1, 4 * TIER_BASE)] == [0, 0, 1, 1, 2]
    sizes = [5 * TIER_BASE, TIER_BASE, TIER_BASE, 2 * TIER_BASE, 3 * TIER_BASE] + [1000] * 6 + [TIER_BASE + 1]
    files = []
    for n, size in enumerate(sizes):
        path = tmp_path / file_name(TOPIC, 0, 10 * n, 10 * n + 9)
        path.write_bytes(b"x" * size)
        found = parse_name(path.name)
        assert found is not None
        files.append((path, found))
    groups = _groups(files, target_bytes=64 * 2**20, min_files=4)
    # The tier-2 file waits; the four tier-1 files merge; the six small ones merge without the tier-1 files around them.
    assert [[p.name for p, _ in g] for g in groups] == [[p.name for p, _ in files[1:5]], [p.name for p, _ in files[5:11]]]
    assert _groups(files[:4], target_bytes=64 * 2**20, min_files=4) == []
