"""Per-hour answers kept on disk: a later twin process reads no hour again unless its files changed."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from cloud.twin.hourly_store import HourlyStore, digest, store_file
from cloud.twin.settings import TwinSettings
from cloud.twin.twin import Twin
from tests.cloud.twin.conftest import CAMERAS, SITE

SLOT = (date(2026, 1, 1), "07")
ROWS = [(datetime(2026, 1, 1, 7, 3, tzinfo=timezone.utc), date(2026, 1, 1), "cam-1", 42, True, None, 1.5)]


def _counting(twin: Twin) -> list[str]:
    """Record every hourly question ``twin.daily`` has to put to the lake."""
    asked: list[str] = []
    read: Callable[[str, dict[str, Any]], list[tuple[Any, ...]]] = twin.daily._read

    def counted(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        asked.append(f"{params['lo']}")
        return read(sql, params)

    twin.daily._read = counted
    return asked



def test_a_second_twin_reads_no_hour_again(lake: Path, tmp_path: Path) -> None:
    settings = TwinSettings(state_dir=tmp_path / "state")
    first = Twin(lake, SITE, CAMERAS, settings=settings)
    asked_first = _counting(first)
    span = first.span()
    assert span[2] > 0 and asked_first, "the first twin computes the hours"
    first.close()
    second = Twin(lake, SITE, CAMERAS, settings=settings)
    asked = _counting(second)
    assert second.span() == span
    assert asked == []
    second.close()


def test_an_hour_whose_files_changed_is_read_again(lake: Path, tmp_path: Path) -> None:
    settings = TwinSettings(state_dir=tmp_path / "state")
    first = Twin(lake, SITE, CAMERAS, settings=settings)
    before = first.span()
    first.close()
    files = sorted(lake.glob("date=*/hour=*/*.parquet"))
    # A late file: another hour's events filed under an hour older than the newest two, which ``span`` counts
    # by the minute in every process (``growing.py``).
    late = files[len(files) // 2].parent / "late-arrival.parquet"
    shutil.copy(files[0], late)
    fresh = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=tmp_path / "other"))
    expected = fresh.span()
    fresh.close()
    assert expected[2] > before[2], "the late file added events"
    second = Twin(lake, SITE, CAMERAS, settings=settings)
    asked = _counting(second)
    assert second.span() == expected
    assert asked == [late.parent.parent.name.removeprefix("date=")], "only the changed hour's day is read"
    second.close()


def test_a_damaged_store_is_a_warning_and_the_answers_stay_right(
    lake: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = TwinSettings(state_dir=tmp_path / "state")
    path = store_file(settings.state_dir, lake)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database at all" * 100)
    reference = Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=tmp_path / "other"))
    expected = reference.span()
    reference.close()
    with caplog.at_level(logging.WARNING, logger="cloud.twin.hourly_store"):
        twin = Twin(lake, SITE, CAMERAS, settings=settings)
        assert twin.span() == expected
        assert twin.span() == expected
        twin.close()
    assert any("computed in memory" in r.getMessage() for r in caplog.records)


def test_values_come_back_with_their_types(tmp_path: Path) -> None:
    store = HourlyStore(tmp_path / "s.sqlite")
    listing = {SLOT: (("a.parquet", 10, 20),)}
    store.put("q", {SLOT: ROWS}, listing)
    again = HourlyStore(tmp_path / "s.sqlite")
    assert again.get("q", listing) == {SLOT: ROWS}
    assert again.get("other question", listing) == {}


def test_an_answer_is_kept_for_one_listing_only(tmp_path: Path) -> None:
    store = HourlyStore(tmp_path / "s.sqlite")
    store.put("q", {SLOT: ROWS}, {SLOT: (("a.parquet", 10, 20),)})
    assert store.get("q", {SLOT: (("a.parquet", 10, 21),)}) == {}, "a rewritten file"
    assert store.get("q", {SLOT: (("a.parquet", 10, 20), ("b.parquet", 1, 1))}) == {}, "a late file"


def test_gone_hours_are_forgotten(tmp_path: Path) -> None:
    store = HourlyStore(tmp_path / "s.sqlite")
    other = (date(2026, 1, 2), "00")
    listing = {SLOT: ("x",), other: ("y",)}
    store.put("q", {SLOT: ROWS, other: []}, listing)
    store.put("q", {}, listing, gone=[SLOT])
    assert store.kept_slots("q") == {"2026-01-02/00"}


def test_digests_are_stable_and_distinct() -> None:
    assert digest((("a", 1, 2),)) == digest((("a", 1, 2),))
    assert digest((("a", 1, 2),)) != digest((("a", 1, 3),))
    assert digest("SELECT 1") != digest("SELECT 2")
