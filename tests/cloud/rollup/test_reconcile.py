"""The reconciler recomputes exactly the hours whose raw files changed, under a lock per hour."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloud.rollup import lock
from cloud.rollup.make import path_of
from cloud.rollup.reconcile import Reconciler
from cloud.twin.listing import LakeFiles
from cloud.twin.synth import SCHEMA, write_table
from tests.cloud.rollup.support import brute, raw_totals, rolled_copy, rollup, totals


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory, clean_lake: Path) -> Path:
    return rolled_copy(clean_lake, tmp_path_factory.mktemp("rolled") / "lake")


@pytest.fixture
def lake(tmp_path: Path, rolled: Path) -> Path:
    root = tmp_path / "lake"
    shutil.copytree(rolled, root)
    return root


def _pass(root: Path, **kw: object) -> tuple[int, int, int, int]:
    reconciler = Reconciler(root, LakeFiles(root))
    try:
        report = reconciler.run(**kw)  # type: ignore[arg-type]
    finally:
        reconciler.close()
    return report.hours_made, report.hours_removed, report.days_made, report.months_made


def _crossings(at: datetime, seqs: range, node: str = "city-cam-0") -> pa.Table:
    n = len(seqs)
    return pa.table({
        "event_id": [f"{node}:{s}" for s in seqs], "site": ["city"] * n, "camera": ["cam-0"] * n, "node": [node] * n,
        "seq": list(seqs), "ts": [at] * n, "type": ["line_crossing"] * n,
        "body": ['{"line":"line-0","direction":"in","object_class":"person","track_id":1}'] * n,
    }, schema=SCHEMA)


def test_a_pass_with_nothing_changed_makes_nothing(lake: Path) -> None:
    assert _pass(lake) == (0, 0, 0, 0)


def _quarters(lake: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The crossings per quarter hour, line and direction: from the quarter table, and by brute force from raw."""
    got = rollup(lake, "crossings_quarter", "SELECT bucket_start, line, direction, sum(crossings) FROM t "
                                            "GROUP BY ALL ORDER BY ALL")
    want = brute(lake, "SELECT to_timestamp(floor(epoch(ts) / 900) * 900), line, direction, count(*) FROM raw "
                       "WHERE type = 'line_crossing' GROUP BY ALL ORDER BY ALL")
    return got, want


def test_a_late_file_recomputes_its_hour_day_and_month(lake: Path) -> None:
    at = datetime(2026, 1, 1, 7, 30, tzinfo=timezone.utc)
    before = path_of(lake, "crossings_quarter", date(2026, 1, 1)).read_bytes()
    write_table(lake, at.replace(minute=0), _crossings(at, range(10**9, 10**9 + 25)), "late.parquet")
    assert _pass(lake) == (1, 0, 1, 1)
    assert totals(lake) == raw_totals(lake)
    assert path_of(lake, "crossings_quarter", date(2026, 1, 1)).read_bytes() != before
    got, want = _quarters(lake)
    late = [n for bucket, line, direction, n in got if (bucket, line, direction) == (at, "line-0", "in")]
    assert got == want and late and late[0] >= 25


def test_days_rolled_before_quarter_tables_get_them_from_their_minutes(lake: Path) -> None:
    hour_files = sorted((lake / "rollups").glob("*_hour/date=*/part.parquet"))
    stamps = [p.stat().st_mtime_ns for p in hour_files]
    for folder in (lake / "rollups").glob("*_quarter"):
        shutil.rmtree(folder)
    assert _pass(lake) == (0, 0, 2, 0)  # both days' quarter tables; their hour and day tables record the same hours
    assert [p.stat().st_mtime_ns for p in hour_files] == stamps
    got, want = _quarters(lake)
    assert got == want and len(got) > 100
    assert _pass(lake) == (0, 0, 0, 0)


def test_a_redelivered_copy_changes_no_count(lake: Path) -> None:
    before = totals(lake)
    original = next((lake / "date=2026-01-02" / "hour=11").glob("*.parquet"))
    shutil.copy(original, original.with_name("again.parquet"))
    assert _pass(lake)[0] == 1
    assert totals(lake) == before


def test_a_compaction_changes_no_count(lake: Path) -> None:
    before = totals(lake)
    folder = lake / "date=2026-01-02" / "hour=05"
    original = next(folder.glob("*.parquet"))
    rows = pq.read_table(original)
    half = rows.num_rows // 2
    pq.write_table(rows.slice(0, half), folder / "a.parquet")
    pq.write_table(rows.slice(half), folder / "b.parquet")
    original.unlink()
    assert _pass(lake)[0] == 1
    pq.write_table(pa.concat_tables([pq.read_table(folder / "a.parquet"), pq.read_table(folder / "b.parquet")]),
                   folder / "merged.parquet")
    (folder / "a.parquet").unlink()
    (folder / "b.parquet").unlink()
    assert _pass(lake)[0] == 1
    assert totals(lake) == before


def test_a_removed_hour_loses_its_rollups(lake: Path) -> None:
    shutil.rmtree(lake / "date=2026-01-02" / "hour=23")
    assert _pass(lake) == (0, 1, 1, 1)
    assert not path_of(lake, "crossings_minute", date(2026, 1, 2), 23).exists()
    assert totals(lake) == raw_totals(lake)
    got, want = _quarters(lake)
    assert got == want and not [r for r in got if r[0] >= datetime(2026, 1, 2, 23, tzinfo=timezone.utc)]


def test_since_and_all_bound_the_work(lake: Path) -> None:
    assert _pass(lake, since=date(2026, 1, 2), force=True)[0] == 24
    assert _pass(lake, force=True, max_hours=5)[0] == 5


def test_a_held_hour_lock_makes_the_reconciler_wait(lake: Path) -> None:
    at = datetime(2026, 1, 1, 9, 10, tzinfo=timezone.utc)
    write_table(lake, at.replace(minute=0), _crossings(at, range(10**9, 10**9 + 3)), "late.parquet")
    path = lock.lock_path(lake, "hour-2026-01-01T09")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    done: list[tuple[int, int, int, int]] = []
    worker = threading.Thread(target=lambda: done.append(_pass(lake)))
    worker.start()
    worker.join(1.5)
    assert worker.is_alive() and not done  # waiting for the other holder
    os.close(fd)
    worker.join(30)
    assert done and done[0][0] == 1
    assert totals(lake) == raw_totals(lake)


@pytest.mark.parametrize("scope", ["", "../escape", "a/b", ".hidden"])
def test_a_lock_scope_is_a_plain_name(tmp_path: Path, scope: str) -> None:
    with pytest.raises(ValueError):
        lock.lock_path(tmp_path, scope)


def test_a_damaged_rollup_file_is_made_again(lake: Path) -> None:
    target = path_of(lake, "occupancy_minute", date(2026, 1, 1), 4)
    target.write_bytes(b"not parquet at all")
    assert _pass(lake)[0] == 1
    assert pq.read_metadata(target).num_rows > 0


@pytest.mark.parametrize("folder", ["crossings_minute/date=garbage/hour=03", "crossings_minute/date=2026-02-30/hour=01",
                                    "dwell_minute/date=2026-01-01/hour=77", "health_hour/date=../x",
                                    "occupancy_day/month=2026-13", "crossings_hour/date=2026-01-01x"])
def test_folders_of_other_names_stop_neither_a_pass_nor_a_twin(lake: Path, folder: str) -> None:
    from cloud.twin.twin import Twin
    from tests.cloud.twin.conftest import CAMERAS, SITE

    stray = lake / "rollups" / folder
    stray.mkdir(parents=True, exist_ok=True)
    shutil.copy(path_of(lake, "crossings_minute", date(2026, 1, 1), 3), stray / "part.parquet")
    assert _pass(lake) == (0, 0, 0, 0)
    twin = Twin(lake, SITE, CAMERAS)
    assert twin.query("SELECT sum(crossings) FROM crossings_minute").rows == \
        twin.query("SELECT sum(crossings) FROM crossings_day").rows
    twin.close()
