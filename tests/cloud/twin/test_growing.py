"""The span of an hour that grows is counted again only from its first new event, and is always a fresh count's."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from cloud.sink.layout import hour_dir
from cloud.twin.tail import TailBuffer
from cloud.twin.twin import Twin
from tests.cloud.rollup.support import HOUR, Lake, crossings_and_counts
from tests.cloud.twin.conftest import CAMERAS, SITE


def _asked(twin: Twin) -> list[dict[str, Any]]:
    """The parameters of every per-minute count ``twin`` puts to the lake."""
    asked: list[dict[str, Any]] = []
    read = twin._growing.read

    def counted(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        asked.append(dict(params))
        return read(sql, params)

    twin._growing.read = counted
    return asked


def _fresh(root: Path, tail: list[bytes] = ()) -> tuple[datetime | None, datetime | None, int]:  # type: ignore[assignment]
    buffer = TailBuffer(window=timedelta(days=36500))
    for payload in tail:
        buffer.add_raw(payload)
    twin = Twin(root, SITE, CAMERAS, tail=buffer)
    try:
        return twin.span()
    finally:
        twin.close()


def test_a_growing_hour_is_counted_from_its_first_new_minute(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.batch(HOUR - timedelta(hours=5), 600)  # an older hour, kept per hour (``daily.py``)
    lake.batch(HOUR - timedelta(hours=3), 600)
    lake.batch(HOUR, 1200)
    buffer = TailBuffer(window=timedelta(days=36500))
    twin = Twin(lake.root, SITE, CAMERAS, tail=buffer)
    asked = _asked(twin)
    try:
        assert twin.span() == _fresh(lake.root)
        assert [a.get("since") for a in asked] == [None, None]  # the two newest hours, whole, the first time
        asked.clear()
        assert twin.span() == _fresh(lake.root) and asked == []  # nothing changed: nothing counted
        again = lake.batch(HOUR + timedelta(minutes=20, seconds=10), 300)
        lake.batch(HOUR + timedelta(minutes=22), 60, again=again[:30])  # a redelivered batch
        lake.compact()
        twin.refresh()
        assert twin.span() == _fresh(lake.root)
        assert [a.get("since") for a in asked] == [HOUR + timedelta(minutes=20)]
        # The tail's rows from 24:30 on, some also in files: counted at every question, never kept.
        tail = crossings_and_counts(lake.factory, HOUR + timedelta(minutes=24, seconds=30), 60)
        for payload in tail:
            buffer.add_raw(payload)
        twin.refresh()
        asked.clear()
        for _ in range(2):
            assert twin.span() == _fresh(lake.root, tail)
        assert [a.get("since") for a in asked] == [HOUR + timedelta(minutes=24)] * 2
        with buffer._lock:  # the tail's window passes: its rows that no file holds leave the answer
            buffer._events.clear()
        twin.refresh()
        assert twin.span() == _fresh(lake.root)
        # A file of other hours' events filed under the open hour: the hour is counted whole again.
        shutil.copy(min(hour_dir(lake.root, HOUR - timedelta(hours=3)).glob("*.parquet")),
                    hour_dir(lake.root, HOUR) / "late-arrival.parquet")
        twin.refresh()
        asked.clear()
        assert twin.span() == _fresh(lake.root)
        assert [a.get("since") for a in asked] == [None]
        # A counted file rewritten without a merge (an erasure): counted whole again.
        first = min(hour_dir(lake.root, HOUR).glob("events-*.parquet"))
        rows = pq.read_table(first)
        pq.write_table(rows.slice(0, rows.num_rows // 2), first)
        twin.refresh()
        asked.clear()
        assert twin.span() == _fresh(lake.root)
        assert [a.get("since") for a in asked] == [None]
    finally:
        twin.close()
