"""The history chart reads rollups where they are exact and raw elsewhere, and answers what raw alone answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cloud.cockpit.history import history
from cloud.twin.twin import Twin
from tests.cloud.rollup.support import rolled_then_changed
from tests.cloud.twin.conftest import CAMERAS, SITE, clean_lake, messy_lake

__all__ = ["clean_lake", "messy_lake"]

_RAW = ("SELECT time_bucket($size, ts) AS b, count(*) FILTER (WHERE direction = 'in'), "
        "count(*) FILTER (WHERE direction = 'out') FROM crossings WHERE ts >= $start AND ts < $end {extra} "
        "GROUP BY ALL ORDER BY b")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, messy_lake: Path) -> Path:
    return rolled_then_changed(messy_lake, tmp_path_factory.mktemp("history") / "lake")


@pytest.mark.parametrize(("bucket", "start", "end", "camera"), [
    ("15 minutes", "2026-01-01T10:07:00", "2026-01-01T19:00:00", None),
    ("1 hour", "2026-01-01T03:20:00", "2026-01-02T22:00:00", "cam-1"),
    ("1 day", "2025-12-01T00:00:00", "2026-02-05T00:00:00", None),
    ("30 seconds", "2026-01-01T13:00:00", "2026-01-01T14:00:00", "cam-2"),
])
def test_history_is_the_raw_answer(lake: Path, bucket: str, start: str, end: str, camera: str | None) -> None:
    twin = Twin(lake, SITE, CAMERAS)
    t1, t2 = (datetime.fromisoformat(x).replace(tzinfo=timezone.utc) for x in (start, end))
    got = history(twin, bucket, t1, t2, camera, None)
    params = {"start": t1, "end": t2, "size": got["bucket_s"] * timedelta(seconds=1), **({"camera": camera} if camera else {})}
    want = twin.read(_RAW.format(extra="AND camera = $camera" if camera else ""), params).rows
    assert [(p["bucket_start"], p["inbound"], p["outbound"]) for p in got["points"]] == \
        [(b.isoformat(), i, o) for b, i, o in want]
    assert want
    if got["resolution"] != "raw":  # the rollup did part of the work
        assert twin.exact(f"crossings_{got['resolution']}", t1, t2)
    twin.close()
