"""Per-hour answers: an hour whose files changed is read again alone, never its whole day."""

from __future__ import annotations

import json
from collections.abc import Hashable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cloud.twin.daily import Daily, Slot
from cloud.twin.settings import TwinSettings
from cloud.twin.synth import SCHEMA, write_table
from cloud.twin.twin import _SPAN, Twin
from tests.cloud.twin.conftest import CAMERAS, SITE

DAY = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _events(hour: int, count: int, first_seq: int) -> pa.Table:
    at = DAY + timedelta(hours=hour, minutes=5)
    rows = [{"event_id": f"city-cam-0:{s}", "site": "city", "camera": "cam-0", "node": "city-cam-0", "seq": s, "ts": at,
             "type": "zone_occupancy", "body": json.dumps({"zone": "z", "total": 1, "by_class": {}})}
            for s in range(first_seq, first_seq + count)]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


@pytest.fixture
def twin(tmp_path: Path) -> Twin:
    lake = tmp_path / "lake"
    for hour, count in ((3, 4), (10, 6), (23, 2)):
        write_table(lake, DAY + timedelta(hours=hour), _events(hour, count, hour * 100), "a.parquet")
    return Twin(lake, SITE, CAMERAS, settings=TwinSettings(state_dir=tmp_path / "state"))


def _counting(twin: Twin) -> tuple[Daily, list[str]]:
    asked: list[str] = []

    def read(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        asked.append(sql)
        return twin.read(sql, params).rows
    return Daily(read), asked


def _counts(answers: dict[Slot, list[tuple[Any, ...]]]) -> dict[str, int]:
    return {hour: sum(int(r[-1]) for r in rows) for (_day, hour), rows in answers.items()}


def test_a_changed_hour_is_read_alone(twin: Twin) -> None:
    try:
        daily, asked = _counting(twin)
        day = DAY.date()
        listing: dict[Slot, Hashable] = {(day, "03"): 1, (day, "10"): 1, (day, "23"): 1}
        assert _counts(daily.rows(_SPAN, listing)) == {"03": 4, "10": 6, "23": 2}
        assert asked == [f"SELECT * FROM ({_SPAN}) WHERE hour IN ('03', '10', '23')"]  # one read for the day
        write_table(twin.lake, DAY + timedelta(hours=10), _events(10, 3, 5000), "late.parquet")
        twin.refresh()
        assert _counts(daily.rows(_SPAN, {**listing, (day, "10"): 2})) == {"03": 4, "10": 9, "23": 2}
        assert asked[1].endswith("WHERE hour IN ('10')")
        assert _counts(daily.rows(_SPAN, {**listing, (day, "10"): 2}, fresh=[(day, "03"), (day, "23")])) == \
            {"03": 4, "10": 9, "23": 2}
        assert asked[2].endswith("WHERE hour IN ('03', '23')")
    finally:
        twin.close()


def test_a_whole_day_is_read_without_a_filter(twin: Twin) -> None:
    try:
        daily, asked = _counting(twin)
        day = DAY.date()
        answers = daily.rows(_SPAN, {(day, f"{h:02d}"): 1 for h in range(24)})
        assert asked == [_SPAN]
        assert sum(_counts(answers).values()) == 12 and len(answers) == 24
    finally:
        twin.close()


@pytest.mark.parametrize("hour", ["1' OR true --", "24", "7", "٠٧", "", "10)"])
def test_an_hour_that_is_not_a_real_one_reads_its_whole_day(twin: Twin, hour: str) -> None:
    try:
        daily, asked = _counting(twin)
        day: date = DAY.date()
        answers = daily.rows(_SPAN, {(day, "10"): 1, (day, hour): 1})
        assert "hour IN" not in asked[0]  # never made into a literal
        assert _counts(answers) == {"10": 6, hour: 0}
    finally:
        twin.close()
