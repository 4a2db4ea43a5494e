"""A refresh reads again only the partition folders that changed, and still sees every late file and removal."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from cloud.twin import folders
from cloud.twin.folders import FolderTree, Fragments
from cloud.twin.twin import Twin
from tests.cloud.twin.conftest import CAMERAS, SITE, clean_lake

__all__ = ["clean_lake"]

_OLD = 10**9 * 3600  # an hour, in ns: far quieter than RACY_NS


def _age(root: Path) -> None:
    """Make every folder under ``root`` (and it) look modified an hour ago."""
    then = time.time_ns() - _OLD
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        os.utime(folder, ns=(then, then))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        for hour in ("00", "07", "23"):
            folder = tmp_path / f"date={day}" / f"hour={hour}"
            folder.mkdir(parents=True)
            (folder / "a.parquet").write_bytes(b"x" * 10)
    (tmp_path / "date=2026-01-01" / "hour=07" / ".b.parquet.tmp").write_bytes(b"half")  # being written
    _age(tmp_path)
    return tmp_path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The folders ``FolderTree`` reads (``os.scandir``), in order."""
    seen: list[str] = []
    real = os.scandir

    def scandir(path: Any) -> Any:
        seen.append(str(path))
        return real(path)
    monkeypatch.setattr(folders.os, "scandir", scandir)
    yield seen


def _tree(root: Path) -> FolderTree:
    return FolderTree(root, [lambda n: n.startswith("date="), lambda n: n.startswith("hour=")],
                      lambda n: n.endswith(".parquet") and not n.startswith("."))


def _files(leaves: dict[str, tuple[tuple[str, int, int], ...]]) -> set[str]:
    return {os.path.join(folder, name) for folder, entries in leaves.items() for name, _, _ in entries}


def test_an_unchanged_lake_is_not_read_again(tree: Path, reads: list[str]) -> None:
    listing = _tree(tree)
    leaves, changed = listing.scan()
    assert changed and len(_files(leaves)) == 9 and len(reads) == 1 + 3 + 9
    reads.clear()
    again, changed = listing.scan()
    assert not changed and again == leaves and reads == []


def test_a_late_file_in_an_old_hour_costs_that_folder_alone(tree: Path, reads: list[str]) -> None:
    listing = _tree(tree)
    listing.scan()
    reads.clear()
    late = tree / "date=2026-01-01" / "hour=07" / "late.parquet"
    late.write_bytes(b"y" * 3)
    leaves, changed = listing.scan()
    assert changed and str(late) in _files(leaves) and reads == [str(late.parent)]
    reads.clear()
    _, changed = listing.scan()  # modified just now: read again until quiet, yet nothing changed
    assert not changed and reads == [str(late.parent)]
    then = time.time_ns() - _OLD  # quiet at last: its time moved, so it is read once more, then no more
    os.utime(late.parent, ns=(then, then))
    reads.clear()
    assert listing.scan()[1] is False and reads == [str(late.parent)]
    reads.clear()
    assert listing.scan()[1] is False and reads == []


def test_a_change_in_the_same_clock_tick_is_not_missed(tree: Path) -> None:
    listing = _tree(tree)
    folder = tree / "date=2026-01-02" / "hour=23"
    now = time.time_ns()
    os.utime(folder, ns=(now, now))
    listing.scan()
    (folder / "same-tick.parquet").write_bytes(b"z")
    os.utime(folder, ns=(now, now))  # as if the file system's clock had not moved
    leaves, changed = listing.scan()
    assert changed and str(folder / "same-tick.parquet") in _files(leaves)


@pytest.mark.parametrize("change", ["remove a day", "remove an hour", "add an hour", "add a day", "replace a file"])
def test_every_change_of_the_tree_is_seen(tree: Path, change: str) -> None:
    listing = _tree(tree)
    before = _files(listing.scan()[0])
    day = tree / "date=2026-01-02"
    if change == "remove a day":
        shutil.rmtree(day)
    elif change == "remove an hour":
        shutil.rmtree(day / "hour=07")
    elif change == "add an hour":
        (day / "hour=12").mkdir()
        (day / "hour=12" / "new.parquet").write_bytes(b"n")
    elif change == "add a day":
        (tree / "date=2026-01-04" / "hour=00").mkdir(parents=True)
        (tree / "date=2026-01-04" / "hour=00" / "new.parquet").write_bytes(b"n")
    else:  # the sink's way: a temporary name renamed over the old file
        (day / "hour=00" / ".a.tmp").write_bytes(b"longer than before")
        os.replace(day / "hour=00" / ".a.tmp", day / "hour=00" / "a.parquet")
    leaves, changed = listing.scan()
    fresh = FolderTree(tree, listing.levels, listing.accept_file).scan()[0]
    assert changed and leaves == fresh and (_files(leaves) != before or change == "replace a file")


def test_fragments_make_the_dataset_a_fresh_one_would(tmp_path: Path) -> None:
    schema = pa.schema([("n", pa.int64()), ("date", pa.date32()), ("hour", pa.string())])
    partitioning = ds.partitioning(pa.schema([("date", pa.date32()), ("hour", pa.string())]), flavor="hive")
    paths = []
    for i, hour in enumerate(("00", "01", "02")):
        folder = tmp_path / "date=2026-01-01" / f"hour={hour}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"n": [i, i + 10]}), folder / "f.parquet")
        paths.append(str(folder / "f.parquet"))

    def signed() -> list[tuple[str, tuple[int, int]]]:
        return [(p, (os.stat(p).st_size, os.stat(p).st_mtime_ns)) for p in paths if os.path.exists(p)]
    made = Fragments(tmp_path, schema, partitioning)

    def rows(data: ds.Dataset) -> list[dict[str, Any]]:
        return sorted(data.to_table(filter=ds.field("hour") != "01").to_pylist(), key=lambda r: r["n"])
    fresh = ds.dataset(paths, schema=schema, format="parquet", partitioning=partitioning, partition_base_dir=str(tmp_path))
    assert rows(made.dataset(signed())) == rows(fresh)
    pq.write_table(pa.table({"n": [99]}), paths[2])  # a new signature: a new fragment
    os.remove(paths[0])
    assert [r["n"] for r in rows(made.dataset(signed()))] == [99]
    assert made.dataset(signed() + [(paths[0], (1, 1))]).count_rows() == 3  # listed, then removed: left out


def test_a_refreshing_twin_sees_late_files_and_removals_in_quiet_hours(clean_lake: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(clean_lake, lake)
    _age(lake)
    twin = Twin(lake, SITE, CAMERAS)
    folder = sorted(lake.glob("date=*/hour=*"))[5]
    count = "SELECT count(*) FROM lake_raw WHERE date = $d AND hour = $h"
    params = {"d": folder.parent.name.removeprefix("date="), "h": folder.name.removeprefix("hour=")}
    rows = twin.read(count, params).rows[0][0]
    assert rows > 0
    shutil.copy(folder / "synthetic.parquet", folder / "late-copy.parquet")
    twin.refresh()
    assert twin.read(count, params).rows[0][0] == 2 * rows
    (folder / "synthetic.parquet").unlink()
    twin.refresh()
    assert twin.read(count, params).rows[0][0] == rows
    twin.close()
