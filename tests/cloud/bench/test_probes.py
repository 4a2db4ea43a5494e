"""The city benchmark's lake watcher counts each row once, whatever compaction does to the files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cloud.bench.probes import LakeLags
from cloud.sink.compact import compact
from cloud.sink.settings import CompactionSettings
from cloud.sink.writer import write_chunk
from tests.cloud.sink.lakefiles import START, TOPIC, table, values

BATCH = 50


def _write(root: Path, batches: int, partition: int = 0) -> None:
    for b in range(batches):  # from 10:58 on, 50 s a batch: the files lie in two hour folders
        first = b * BATCH
        rows = table(first, values(BATCH, START + timedelta(seconds=first)), partition)
        write_chunk(root, TOPIC, partition, (first, first + BATCH - 1), rows, 3)


def test_files_merged_by_compaction_are_not_counted_again(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    _write(root, 6)
    _write(root, 2, partition=1)
    watcher = LakeLags(root, live_seq=0)
    watcher._scan()
    assert watcher.rows == 8 * BATCH
    stats = compact(root, TOPIC, {0: 6 * BATCH, 1: 2 * BATCH}, CompactionSettings(min_age_s=0, min_files=2), 3)
    assert stats.written_files >= 2
    watcher._scan()
    assert (watcher.rows, watcher.merged) == (8 * BATCH, stats.written_files)
    more = 6 * BATCH  # the sink goes on: a new batch after the merged files is new rows
    write_chunk(root, TOPIC, 0, (more, more + BATCH - 1), table(more, values(BATCH, START + timedelta(hours=1)), 0), 3)
    watcher._scan()
    assert watcher.rows == 9 * BATCH
    assert len(watcher.lags()[0]) == 9 * BATCH
