"""Hours whose files hold each event once are read without deduplication, and every answer stays the raw one."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cloud.twin.tail import TailBuffer
from cloud.twin.twin import Twin
from edge.events.factory import EventFactory
from tests.cloud.rollup.support import brute, rolled_copy
from tests.cloud.twin.conftest import CAMERAS, SITE

_COUNTS = "SELECT type, count(*) FROM {} GROUP BY ALL ORDER BY ALL"
_TYPED = "SELECT camera, line, direction, count(*) FROM crossings GROUP BY ALL ORDER BY ALL"
_BRUTE_TYPED = "SELECT camera, line, direction, count(*) FROM raw WHERE type = 'line_crossing' GROUP BY ALL ORDER BY ALL"


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory, messy_lake: Path) -> Path:
    return rolled_copy(messy_lake, tmp_path_factory.mktemp("rolled-once") / "lake")


def _replayed_hours(lake: Path) -> set[str]:
    return {f"{p.parent.parent.name[5:]}/{p.parent.name[5:]}" for p in lake.glob("date=*/hour=*/replayed-copy.parquet")}


def _assert_raw_answers(twin: Twin, lake: Path) -> None:
    assert twin.query(_COUNTS.format("events")).rows == brute(lake, _COUNTS.format("raw"))
    assert twin.query(_TYPED).rows == brute(lake, _BRUTE_TYPED)
    assert twin.query("SELECT count(*) FROM lake_raw").rows == brute(lake, "SELECT count(*) FROM read_parquet("
                                                                     f"{[str(p) for p in _readable(lake)]!r})")


def _readable(lake: Path) -> list[Path]:
    from tests.cloud.rollup.support import readable

    return [Path(p) for p in readable(lake)]


def test_hours_with_duplicates_are_deduplicated_and_the_others_are_read_once(rolled: Path) -> None:
    twin = Twin(rolled, SITE, CAMERAS)
    once, replayed = twin.read_once(), _replayed_hours(rolled)
    assert replayed and once and once.isdisjoint(replayed)
    all_hours = {f"{d.isoformat()}/{h}" for d, h in twin.slots()}
    assert all_hours == once | replayed  # the half-written file is left out, as everywhere: its hour counts
    _assert_raw_answers(twin, rolled)
    twin.close()


def test_a_lake_without_rollups_is_deduplicated_everywhere(messy_lake: Path) -> None:
    twin = Twin(messy_lake, SITE, CAMERAS)
    assert twin.read_once() == set()
    _assert_raw_answers(twin, messy_lake)
    twin.close()


def test_a_copy_landing_after_the_rollup_makes_its_hour_deduplicated_again(rolled: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(rolled, lake)
    twin = Twin(lake, SITE, CAMERAS)
    hour = sorted(twin.read_once())[5]
    folder = lake / f"date={hour[:10]}" / f"hour={hour[11:]}"
    shutil.copy(folder / "synthetic.parquet", folder / "late-replay.parquet")  # the same events a second time
    twin.refresh()
    assert hour not in twin.read_once()
    _assert_raw_answers(twin, lake)
    twin.close()


def test_a_tail_row_repeating_a_file_row_is_counted_once(rolled: Path) -> None:
    plain = Twin(rolled, SITE, CAMERAS)
    hour = sorted(plain.read_once())[7]
    day, hh = hour.split("/")
    site, camera, node, seq, ts = plain.read(
        "SELECT site, camera, node, seq, ts FROM lake_raw WHERE type = 'line_crossing' AND date = CAST($d AS DATE) "
        "AND hour = $h ORDER BY seq LIMIT 1", {"d": day, "h": hh}).rows[0]
    tail = TailBuffer()
    factory = EventFactory(site, camera, node, iter([seq]).__next__)
    tail.add(factory.make("line_crossing", ts, {"line": "line-0", "direction": "in", "object_class": "person", "track_id": 1}))
    tailed = Twin(rolled, SITE, CAMERAS, tail=tail)
    assert hour in plain.read_once() and hour not in tailed.read_once()
    count = "SELECT count(*) FROM events WHERE date = CAST($d AS DATE) AND hour = $h"
    assert tailed.read(count, {"d": day, "h": hh}).rows == plain.read(count, {"d": day, "h": hh}).rows
    assert ts.tzinfo is not None and ts < datetime.now(timezone.utc)
    plain.close()
    tailed.close()
