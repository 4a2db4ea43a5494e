"""An hour whose files only grew keeps its minutes before the first new event: the reconciler makes only the rest
again and the twin reads only the rest raw, and every answer is the one a whole remake or raw rows give."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cloud.rollup.make import KINDS, Maker, path_of
from cloud.rollup.reconcile import Reconciler
from cloud.rollup.settled import Facts, read_facts, settled_until
from cloud.sink.layout import hour_dir
from cloud.twin.history import chart
from cloud.twin.tail import TailBuffer
from cloud.twin.twin import Twin
from tests.cloud.rollup.support import HOUR, Lake, crossings_and_counts
from tests.cloud.twin.conftest import CAMERAS, SITE

UTC = timezone.utc
END = HOUR + timedelta(hours=1)


def test_an_unchanged_listing_settles_the_whole_hour() -> None:
    listing = (("a", 1), ("b", 2))
    assert settled_until(HOUR, listing, listing, lambda name: Facts(None)) == END


def test_an_added_file_settles_the_minutes_before_its_first_event() -> None:
    facts = {"b": Facts(HOUR + timedelta(minutes=42, seconds=59, microseconds=999_999), END - timedelta(microseconds=1))}
    assert settled_until(HOUR, (("a", 1),), (("a", 1), ("b", 2)), facts.__getitem__) == HOUR + timedelta(minutes=42)


def test_a_file_of_unknown_first_event_settles_nothing() -> None:
    assert settled_until(HOUR, (("a", 1),), (("a", 1), ("b", 2)), lambda name: Facts(None)) == HOUR


def test_a_merge_of_counted_files_settles_the_hour_and_its_new_inputs_count_from_their_first_event() -> None:
    five = HOUR + timedelta(minutes=5)
    merged = Facts(HOUR, five, (("a", 1, HOUR, HOUR), ("b", 2, five, five)))
    assert settled_until(HOUR, (("a", 1), ("b", 2)), (("m", 9),), {"m": merged}.__getitem__) == END
    twenty = HOUR + timedelta(minutes=20, seconds=3)
    grown = Facts(HOUR, twenty, (("a", 1, HOUR, HOUR), ("c", 3, twenty, twenty)))
    assert settled_until(HOUR, (("a", 1),), (("m", 9),), {"m": grown}.__getitem__) == HOUR + timedelta(minutes=20)
    unknown = Facts(HOUR, twenty, (("a", 1, HOUR, HOUR), ("c", 3, None, None)))
    assert settled_until(HOUR, (("a", 1),), (("m", 9),), {"m": unknown}.__getitem__) == HOUR


@pytest.mark.parametrize(("first", "last"), [(HOUR - timedelta(microseconds=1), HOUR + timedelta(minutes=30)),
                                             (HOUR + timedelta(minutes=30), END), (END, END + timedelta(hours=5))])
def test_a_new_file_holding_instants_outside_its_hour_settles_nothing(first: datetime, last: datetime) -> None:
    """A file filed in another hour's folder: only a whole count places its rows."""
    facts = {"b": Facts(first, last)}
    assert settled_until(HOUR, (("a", 1),), (("a", 1), ("b", 2)), facts.__getitem__) == HOUR


@pytest.mark.parametrize("current", [(), (("a", 1),), (("a", 1), ("b", 3))])
def test_a_counted_file_gone_or_changed_without_a_merge_settles_nothing(current: tuple[tuple[str, int], ...]) -> None:
    later = Facts(END - timedelta(minutes=1), END - timedelta(minutes=1))
    assert settled_until(HOUR, (("a", 1), ("b", 2)), current, lambda name: later) == HOUR


def _minute_rows(root: Path) -> dict[str, list[dict[str, Any]]]:
    return {kind: pq.ParquetFile(path_of(root, f"{kind}_minute", HOUR.date(), HOUR.hour)).read().to_pylist()
            for kind in KINDS}


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> list[datetime | None]:
    """The ``since`` of every hour the reconciler makes."""
    seen: list[datetime | None] = []
    real = Maker.hour

    def hour(self: Maker, slot: Any, files: Any, listing: Any, since: datetime | None = None) -> None:
        seen.append(since)
        real(self, slot, files, listing, since)

    monkeypatch.setattr(Maker, "hour", hour)
    return seen


def _reconcile(root: Path, force: bool = False) -> None:
    from cloud.twin.listing import LakeFiles

    reconciler = Reconciler(root, LakeFiles(root))
    try:
        report = reconciler.run(force=force)
    finally:
        reconciler.close()
    assert not report.failed, report.line()


def _whole_remake(root: Path, tmp: Path) -> dict[str, list[dict[str, Any]]]:
    copy = tmp / "remade"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy)
    _reconcile(copy, force=True)
    return _minute_rows(copy)


def test_a_grown_hour_is_made_from_its_first_new_minute_and_equals_a_whole_remake(
        tmp_path: Path, spied: list[datetime | None], monkeypatch: pytest.MonkeyPatch) -> None:
    from cloud.rollup import make

    monkeypatch.setattr(make, "MINUTE_GROUP_ROWS", 7)  # kept minutes span many row groups: some wholly kept, one cut
    lake = Lake(tmp_path / "lake")
    for minute in range(0, 20, 5):
        lake.batch(HOUR + timedelta(minutes=minute), 300)
    _reconcile(lake.root)
    assert spied == [None]  # a new hour: made whole
    lake.compact()  # merges the counted files: nothing new
    again = lake.batch(HOUR + timedelta(minutes=20, seconds=30), 240)
    lake.batch(HOUR + timedelta(minutes=24, seconds=30), 120, again=again[:40])  # a redelivered batch
    _reconcile(lake.root)
    assert spied[-1] == HOUR + timedelta(minutes=20)
    assert _minute_rows(lake.root) == _whole_remake(lake.root, tmp_path)
    # A merge of counted files and one new one, and a late file: each made again from its own first minute.
    lake.batch(HOUR + timedelta(minutes=40), 60)
    lake.compact()
    _reconcile(lake.root)
    assert spied[-1] == HOUR + timedelta(minutes=40)
    lake.batch(HOUR + timedelta(minutes=3, seconds=10), 20)
    _reconcile(lake.root)
    assert spied[-1] == HOUR + timedelta(minutes=3)
    assert _minute_rows(lake.root) == _whole_remake(lake.root, tmp_path)
    assert pq.read_metadata(path_of(lake.root, "crossings_minute", HOUR.date(), HOUR.hour)).num_row_groups > 3
    merged = [read_facts(p) for p in hour_dir(lake.root, HOUR).glob("*.parquet")]
    assert any(f.merged_from for f in merged) and all(f.first is not None and f.first.tzinfo for f in merged)


def test_a_grown_hour_is_read_from_its_minutes_and_raw_only_after_them(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.batch(HOUR, 1800)
    _reconcile(lake.root)
    lake.batch(HOUR + timedelta(minutes=30, seconds=20), 600)
    tail = TailBuffer(window=timedelta(days=36500))
    twin = Twin(lake.root, SITE, CAMERAS, tail=tail)
    try:
        assert twin.minutes("crossings_minute", HOUR, END) == {HOUR: HOUR + timedelta(minutes=30)}
        assert twin.exact("crossings_minute", HOUR, END) == []
        # The tail holds rows of the hour from 25:10 on (some of them also in a file): they bound it as files do.
        for payload in crossings_and_counts(lake.factory, HOUR + timedelta(minutes=25, seconds=10), 30):
            tail.add_raw(payload)
        twin.refresh()
        assert twin.minutes("crossings_minute", HOUR, END) == {HOUR: HOUR + timedelta(minutes=25)}
        start, end = HOUR + timedelta(minutes=3, seconds=7), END
        raw = ("SELECT time_bucket(INTERVAL 5 MINUTE, ts) AS b, count(*) FILTER (WHERE direction = 'in'), "
               "count(*) FILTER (WHERE direction = 'out') FROM crossings WHERE ts >= $start AND ts < $end "
               "GROUP BY ALL ORDER BY b")
        got = chart(twin, "crossings", start, end, timedelta(minutes=5))
        assert got.tables == ("crossings_minute",)
        assert got.rows == twin.read(raw, {"start": start, "end": end}).rows and got.rows
        flow = twin.named("flow_per_line_per_hour", t1=start, t2=end).rows
        assert [(r[3], r[4], r[5]) for r in flow] == twin.read(
            "SELECT line, direction, count(*) FROM crossings WHERE ts >= $start AND ts < $end GROUP BY ALL "
            "ORDER BY ALL", {"start": start, "end": end}).rows
        at = HOUR + timedelta(minutes=41, seconds=3)
        state = twin.state_at(at)
        newest = twin.read("SELECT arg_max(total, ts) FROM occupancy WHERE ts <= $at", {"at": at}).rows[0][0]
        assert state.zones == {("city", "cam-0", "plaza"): newest}
        assert sum(state.flow.values()) == twin.read(
            "SELECT count(*) FROM crossings WHERE ts > $a AND ts <= $b", {"a": at - timedelta(minutes=15), "b": at}).rows[0][0]
        # A counted file rewritten without a merge (an erasure): the hour settles nothing, read raw again.
        first = min(hour_dir(lake.root, HOUR).glob("*.parquet"))
        rows = pq.read_table(first)
        pq.write_table(rows.slice(0, rows.num_rows // 2), first)
        twin.refresh()
        assert twin.minutes("crossings_minute", HOUR, END) == {}
        assert chart(twin, "crossings", start, end, timedelta(minutes=5)).rows == twin.read(
            raw, {"start": start, "end": end}).rows
    finally:
        twin.close()


def test_a_rollup_file_replaced_under_its_name_after_its_footer_was_read_is_read_again(tmp_path: Path) -> None:
    """The reconciler makes an hour's files again under the same names: a twin that read the old footer lists again."""
    lake = Lake(tmp_path / "lake")
    lake.batch(HOUR, 3000)
    _reconcile(lake.root)
    twin = Twin(lake.root, SITE, CAMERAS)
    try:
        at = HOUR + timedelta(minutes=40)
        truth = twin.read("SELECT line, direction, count(*) FROM crossings WHERE ts > $a AND ts <= $b GROUP BY ALL "
                          "ORDER BY ALL", {"a": at - timedelta(minutes=15), "b": at}).rows
        assert sorted((r[2], r[3], r[4]) for r in twin.flow(at - timedelta(minutes=15), at)) == truth and truth
        for kind in KINDS:  # the same rows and record, laid out in other pages: the old footer reads garbage
            path = path_of(lake.root, f"{kind}_minute", HOUR.date(), HOUR.hour)
            rows = pq.ParquetFile(path).read()
            pq.write_table(rows, path, row_group_size=7, compression="zstd", use_dictionary=False)
        got = twin.flow(at - timedelta(minutes=15), at)
        assert sorted((r[2], r[3], r[4]) for r in got) == truth
    finally:
        twin.close()


def _all_rows(root: Path) -> dict[str, list[dict[str, Any]]]:
    from cloud.rollup.make import FINER

    out = {}
    for kind in KINDS:
        for resolution in FINER:
            path = path_of(root, f"{kind}_{resolution}", HOUR.date())
            out[f"{kind}_{resolution}"] = sorted(pq.ParquetFile(path).read().to_pylist(), key=repr)
    return out


def test_a_day_and_a_month_are_made_again_only_for_the_hour_and_the_day_that_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cloud.rollup import coarser

    lake = Lake(tmp_path / "lake")
    for hour in (-5, -3, 0):
        lake.batch(HOUR + timedelta(hours=hour), 900)
    lake.batch(HOUR - timedelta(days=2), 300)  # another day of the month
    _reconcile(lake.root)
    made: list[tuple[str, int]] = []
    real = coarser._finer_rows

    def counted(source: Any, resolution: Any, unit: int) -> Any:
        made.append((resolution, unit))
        return real(source, resolution, unit)

    monkeypatch.setattr(coarser, "_finer_rows", counted)
    lake.batch(HOUR + timedelta(minutes=20), 300)
    _reconcile(lake.root)
    # One hour of the day's quarter and hour tables, one day of the month's day table, for each of the four kinds.
    assert sorted(set(made)) == [("day", HOUR.day), ("hour", HOUR.hour), ("quarter", HOUR.hour)]
    assert len(made) == 3 * len(KINDS)
    assert _all_rows(lake.root) == _all_rows_remade(lake.root, tmp_path)
    # A quarter file written whole (one row group of every hour, as before units): the hour table still splits it.
    for kind in KINDS:
        path = path_of(lake.root, f"{kind}_quarter", HOUR.date())
        rows = pq.ParquetFile(path).read()
        pq.write_table(rows, path)
    lake.batch(HOUR - timedelta(hours=3, minutes=-40), 60)
    _reconcile(lake.root)
    assert _all_rows(lake.root) == _all_rows_remade(lake.root, tmp_path)


def _all_rows_remade(root: Path, tmp: Path) -> dict[str, list[dict[str, Any]]]:
    copy = tmp / "remade-all"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy)
    shutil.rmtree(copy / "rollups")
    _reconcile(copy)
    return _all_rows(copy)


def test_an_hour_made_in_slices_is_the_hour_made_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of capture time, open-ended at both ends: a redelivered batch and another hour's file filed here count
    as they do made whole."""
    from cloud.rollup import make

    lake = Lake(tmp_path / "lake")
    for minute in (0, 9, 31, 55):
        again = lake.batch(HOUR + timedelta(minutes=minute, seconds=30), 300)
    lake.batch(HOUR + timedelta(minutes=55), 60, again=again[:50])
    lake.batch(HOUR - timedelta(hours=2), 120)
    shutil.copy(min(hour_dir(lake.root, HOUR - timedelta(hours=2)).glob("*.parquet")),
                hour_dir(lake.root, HOUR) / "late-arrival.parquet")
    monkeypatch.setattr(make, "SLICED_FROM_BYTES", 0)
    _reconcile(lake.root)
    sliced = _minute_rows(lake.root)
    monkeypatch.setattr(make, "SLICED_FROM_BYTES", 2**62)
    assert sliced == _whole_remake(lake.root, tmp_path)
    assert any(r["bucket_start"] < HOUR for r in sliced["crossings"])  # the filed-here file's own hour is kept
