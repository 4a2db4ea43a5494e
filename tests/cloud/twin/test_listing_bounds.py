"""What a long-running process keeps about lake files lasts as long as the files: compaction's churn leaves nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cloud.rollup.sources import RecordCache, Recorded
from cloud.rollup.tables import VERSION
from cloud.twin.listing import LakeFiles, Verdicts


def test_files_merged_away_are_forgotten(lake: Path, tmp_path: Path) -> None:
    files = LakeFiles(lake, Verdicts(tmp_path / "verdicts.json"))
    present = files.list()
    folder = present[0].parent
    template = shutil.copy(present[0], tmp_path / "template.parquet")
    for round_ in range(60):  # a sink's batch lands, then compaction merges the folder's files into one
        shutil.copy(template, folder / f"batch-{round_:03d}.parquet")
        files.list()
        merged = folder / f"merged-{round_:03d}.parquet"
        shutil.copy(template, merged)
        for path in folder.glob("*.parquet"):
            if path != merged:
                path.unlink()
        listed = files.list()
        on_disk = sorted(lake.glob("date=*/hour=*/*.parquet"))
        assert sorted(listed) == on_disk
        assert sorted(files._seen) == on_disk, f"round {round_}: {len(files._seen)} files known, {len(on_disk)} there"
        assert len(files.verdicts._known) == len(on_disk)


def _rollup_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({"n": [1]}).replace_schema_metadata(Recorded(VERSION, {"2026-01-01/00": "d"}).metadata())
    pq.write_table(table, path)


def test_rollup_records_of_removed_files_are_forgotten(tmp_path: Path) -> None:
    cache = RecordCache()
    for hour in range(200):  # hours come and go (retention, a rewrite under a new name)
        path = tmp_path / f"hour={hour:03d}" / "part-0.parquet"
        _rollup_file(path)
        recorded = cache.get(path)
        assert recorded is not None and recorded.hours == {"2026-01-01/00": "d"}
        shutil.rmtree(path.parent)
        assert cache.get(path) is None
        assert len(cache._kept) == 0
