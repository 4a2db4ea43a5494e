"""The reconciler recomputes exactly the hours whose raw files changed, under a lock per hour."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloud.rollup import lock
from cloud.rollup.make import path_of
from cloud.rollup.reconcile import CLOSE_GRACE_S, PassReport, Reconciler
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


def _run(root: Path, **kw: object) -> PassReport:
    reconciler = Reconciler(root, LakeFiles(root))
    try:
        return reconciler.run(**kw)  # type: ignore[arg-type]
    finally:
        reconciler.close()


def _pass(root: Path, **kw: object) -> tuple[int, int, int, int]:
    report = _run(root, **kw)
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


def test_an_open_hour_is_made_again_only_every_open_every_s(lake: Path) -> None:
    from cloud.twin.twin import Twin
    from tests.cloud.twin.conftest import CAMERAS, SITE

    hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    write_table(lake, hour, _crossings(hour, range(10**9, 10**9 + 5)), "first.parquet")
    assert _run(lake, open_every_s=300).hours_made == 1  # never made yet: made now
    write_table(lake, hour, _crossings(hour, range(10**9 + 5, 10**9 + 12)), "second.parquet")
    report = _run(lake, open_every_s=300)
    assert (report.hours_made, report.hours_open) == (0, 1)
    twin = Twin(lake, SITE, CAMERAS)
    try:  # meanwhile the twin reads the open hour from raw: every event, none from the stale rollup
        assert twin.exact("crossings_minute", hour, hour + timedelta(hours=1)) == []
        assert twin.read("SELECT count(*) FROM events WHERE ts >= $1", [hour]).rows == [(12,)]
    finally:
        twin.close()
    minute_files = list((lake / "rollups").glob(f"*_minute/date={hour.date().isoformat()}/hour={hour.hour:02d}/*"))
    for path in minute_files:
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 301))
    assert _run(lake, open_every_s=300).hours_made == 1  # old enough: made again
    assert totals(lake) == raw_totals(lake)


def test_an_open_hour_is_made_at_every_pass_without_open_every_s(lake: Path) -> None:
    hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    for first in (0, 5):
        write_table(lake, hour, _crossings(hour, range(10**9 + first, 10**9 + first + 5)), f"f{first}.parquet")
        assert _run(lake, open_every_s=None).hours_made == 1
        assert totals(lake) == raw_totals(lake)


@pytest.mark.parametrize(("since_end_s", "age_s", "later"), [
    (-1800, 10, True),  # open, just made
    (-1800, 400, False),  # open, made long enough ago
    (CLOSE_GRACE_S - 1, 10, True),  # ended, within the grace: still open
    (CLOSE_GRACE_S + 1, 10, False),  # closed: late files are made at once
    (86_400 * 30, 0, False),  # a month-old hour
    (-86_400 * 365, 10, True),  # a camera clock a year ahead: open, made at most every open_every_s
])
def test_which_stale_hours_wait(lake: Path, since_end_s: float, age_s: float, later: bool) -> None:
    reconciler = Reconciler(lake, LakeFiles(lake))
    try:
        slot = (date(2026, 1, 1), "04")
        end = datetime(2026, 1, 1, 5, tzinfo=timezone.utc).timestamp()
        made = reconciler._made_at(slot)
        assert made > 0
        now = end + since_end_s
        os.utime(path_of(lake, "crossings_minute", *slot[:1], 4), (now - age_s, now - age_s))
        assert reconciler._not_yet(slot, 300, now) is later
    finally:
        reconciler.close()


def test_files_removed_while_an_hour_is_read_leave_it_for_the_next_pass(
        lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = datetime(2026, 1, 1, 7, 30, tzinfo=timezone.utc)
    write_table(lake, at.replace(minute=0), _crossings(at, range(10**9, 10**9 + 25)), "late.parquet")
    reconciler = Reconciler(lake, LakeFiles(lake))
    try:
        made = reconciler.maker.hour

        def compacted_meanwhile(*args: object) -> None:  # a compaction's race, which cannot be timed for real
            raise FileNotFoundError(lake / "date=2026-01-01" / "hour=07" / "late.parquet")
        monkeypatch.setattr(reconciler.maker, "hour", compacted_meanwhile)
        assert reconciler.run().failed == ["2026-01-01/07"]
        monkeypatch.setattr(reconciler.maker, "hour", made)
        assert reconciler.run().hours_made == 1
    finally:
        reconciler.close()
    assert totals(lake) == raw_totals(lake)


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
