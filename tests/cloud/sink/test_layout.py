"""Lake file names and folders."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cloud.sink.layout import FileRange, file_name, hour_dir, lake_files, parse_name


@pytest.mark.parametrize(
    ("topic", "partition", "first", "last"),
    [("citytwin.events", 2, 1200, 1699), ("ct-test_x-1a2b.events", 0, 0, 0), ("t-p1-o2", 11, 10**12 - 1, 10**13)],
)
def test_names_round_trip(topic: str, partition: int, first: int, last: int) -> None:
    name = file_name(topic, partition, first, last)
    assert parse_name(name) == FileRange(topic, partition, first, last)


def test_names_sort_by_offset() -> None:
    names = [file_name("t", 0, first, first + 9) for first in (5, 100, 20, 1000)]
    assert [parse_name(n).first for n in sorted(names)] == [5, 20, 100, 1000]  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["x.parquet", ".t-p0-o000000000000-o000000000009.parquet.1.tmp", "t-p0-o1-o2.parquet"])
def test_other_files_are_not_lake_files(name: str) -> None:
    assert parse_name(name) is None


def test_hour_dir_uses_utc() -> None:
    local = datetime(2026, 3, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert hour_dir(Path("/lake"), local) == Path("/lake/date=2026-02-28/hour=23")


def test_lake_files_filters_topic_and_partition(tmp_path: Path) -> None:
    folder = tmp_path / "date=2026-01-01" / "hour=05"
    folder.mkdir(parents=True)
    for name in (file_name("a", 0, 0, 9), file_name("a", 1, 0, 9), file_name("ab", 0, 0, 9), "notes.txt"):
        (folder / name).touch()
    assert sorted(r.partition for _, r in lake_files(tmp_path, "a")) == [0, 1]
    assert [r for _, r in lake_files(tmp_path, "a", 1)] == [FileRange("a", 1, 0, 9)]
