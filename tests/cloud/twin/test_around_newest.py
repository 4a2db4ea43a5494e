"""A "newest value" question read from the minutes of the newest rows alone gives the answer of the hours holding them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cloud.twin.daily import NODES, ZONES, Subjects
from cloud.twin.rollups import minute_ranges
from cloud.twin.twin import Twin
from tests.cloud.rollup.support import rolled_copy
from tests.cloud.twin.conftest import CAMERAS, SITE

UTC = timezone.utc
_NEWEST = {
    "occupancy": "SELECT site, camera, zone, arg_max(total, ts), CAST(arg_max(by_class, ts) AS VARCHAR), max(ts) "
                 "FROM occupancy_copies WHERE ts <= $at AND {where} GROUP BY ALL ORDER BY ALL",
    "health": "SELECT site, camera, node, max(ts), arg_max(fps, ts), arg_max(cpu_percent, ts) FROM health_copies "
              "WHERE ts <= $at AND {where} GROUP BY ALL ORDER BY ALL",
}


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory, messy_lake: Path) -> Path:
    return rolled_copy(messy_lake, tmp_path_factory.mktemp("around-newest") / "lake")


@pytest.mark.parametrize("subjects", [ZONES, NODES], ids=["zones", "nodes"])
@pytest.mark.parametrize("at", ["2026-01-01T00:00:30", "2026-01-01T13:31:07", "2026-01-02T08:00:00",
                                "2026-01-03T00:00:00", "2027-06-01T00:00:00"])
def test_the_newest_minutes_give_the_newest_rows(rolled: Path, subjects: Subjects, at: str) -> None:
    twin = Twin(rolled, SITE, CAMERAS)
    try:
        instant = datetime.fromisoformat(at).replace(tzinfo=UTC)
        sql = _NEWEST[subjects.view]
        got = twin.read(sql.format(where=twin.around_newest(subjects, instant)), {"at": instant}).rows
        want = twin.read(sql.format(where=twin.hours_since(subjects, instant)), {"at": instant}).rows
        assert got == want
        assert want or instant < datetime(2026, 1, 1, 1, tzinfo=UTC)
    finally:
        twin.close()


def test_minute_ranges_join_runs_and_give_up_past_their_bound() -> None:
    m = datetime(2026, 1, 1, 7, 58, tzinfo=UTC)
    text = minute_ranges([m, m + timedelta(minutes=1), m + timedelta(minutes=1), m + timedelta(minutes=2)])
    # 07:58 and 07:59 are one run; 08:00 is another hour's partition.
    assert text is not None and text.count(" OR ") == 1 and "hour = '07'" in text and "hour = '08'" in text
    assert minute_ranges([]) == "false"
    assert minute_ranges([m + timedelta(minutes=2 * i) for i in range(5)], most=4) is None
