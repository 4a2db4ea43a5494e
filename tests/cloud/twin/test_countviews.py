"""The views of count events' lists: one row per turn, queue, speed and heatmap cell, deduplicated, lenient with odd bodies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cloud.twin.twin import Twin
from tests.cloud.twin.conftest import CAMERAS, SITE
from tests.support.counts import deliver
from tests.support.lakefiles import raw_row, write_rows

TS = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
INTERVAL = {"interval_start": (TS - timedelta(minutes=1)).isoformat(), "interval_s": 60.0, "by_class": {}}
TURNS = [
    {"origin": {"kind": "line", "id": "line-0", "direction": "in"}, "destination": {"kind": "zone", "id": "zone-1"},
     "object_class": "person", "trips": 3},
    {"origin": {"kind": "zone", "id": "zone-0"}, "destination": {"kind": "line", "id": "line-1", "direction": "out"},
     "object_class": "car", "trips": 2},
]
QUEUES = [{"zone": "zone-0", "mean": 1.5, "peak": 3}]
SPEEDS = [{"line": "line-0", "direction": "in", "object_class": "person", "samples": 4, "mean_kmh": 4.6, "p85_kmh": 5.4}]
HEATMAP = {"cell_m": 5.0, "origin": {"lon": 4.3732111, "lat": 51.9989605},
           "cells": [{"east": -1, "north": 0, "objects": 6}, {"east": 0, "north": 0, "objects": 11}]}


def row(seq: int, body: dict[str, Any]) -> dict[str, Any]:
    return raw_row("count", "cam-0", seq, TS, body)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    folder = tmp_path / "lake"
    folder.mkdir()
    return folder


def test_each_turn_queue_speed_and_cell_is_one_row_however_often_its_event_arrives(lake: Path) -> None:
    body = {**INTERVAL, "lines": [], "turns": TURNS, "queues": QUEUES, "speeds": SPEEDS, "heatmap": HEATMAP}
    write_rows(lake, "a.parquet", [row(7, body)])
    write_rows(lake, "replayed.parquet", [row(7, body)])  # a replayed file
    twin = Twin(lake, SITE, CAMERAS)
    try:
        deliver(twin, "cam-0", 7, TS, body)  # and delivered again, twice (live tail, or a lake file)
        deliver(twin, "cam-0", 7, TS, body)
        twin.refresh()
        turns = twin.read("SELECT origin_kind, origin, origin_direction, destination_kind, destination, "
                          "destination_direction, object_class, trips, interval_s FROM turns ORDER BY trips").rows
        queues = twin.read("SELECT camera, zone, mean, peak, interval_start FROM queues").rows
        speeds = twin.read("SELECT line, direction, object_class, samples, mean_kmh, p85_kmh FROM speeds").rows
        cells = twin.read("SELECT cell_m, origin_lon, origin_lat, east, north, objects FROM heatmap ORDER BY east").rows
        typed = twin.query("SELECT (SELECT sum(trips) FROM turns), (SELECT sum(objects) FROM heatmap)").rows
    finally:
        twin.close()
    assert turns == [("zone", "zone-0", None, "line", "line-1", "out", "car", 2, 60.0),
                     ("line", "line-0", "in", "zone", "zone-1", None, "person", 3, 60.0)]
    assert queues == [("cam-0", "zone-0", 1.5, 3, TS - timedelta(minutes=1))]
    assert speeds == [("line-0", "in", "person", 4, 4.6, 5.4)]
    assert cells == [(5.0, 4.3732111, 51.9989605, -1, 0, 6), (5.0, 4.3732111, 51.9989605, 0, 0, 11)]
    assert typed == [(5, 17)]  # typed SQL sees the same views


def _all(value: Any) -> dict[str, Any]:
    return {**INTERVAL, "turns": value, "queues": value, "speeds": value, "heatmap": value}


_WRONG = {"turns": [{**TURNS[0], "trips": "many"}], "queues": [{"zone": "zone-0", "mean": "long", "peak": 2**31}],
          "speeds": [{**SPEEDS[0], "samples": -2**40, "mean_kmh": "nan", "p85_kmh": "Infinity"}],
          "heatmap": {"cell_m": "big", "origin": [4.3, 52.0], "cells": [{"east": "1", "north": 1e300, "objects": True}]}}
# The columns of each view that must read as NULL for the odd body's rows.
_NUMBERS = {"turns": ("trips",), "queues": ("mean", "peak"), "speeds": ("samples", "mean_kmh", "p85_kmh"),
            "heatmap": ("cell_m", "origin_lon", "origin_lat", "north", "objects")}

ODD_BODIES: dict[str, tuple[dict[str, Any], int]] = {
    # body -> rows it gives in each view
    "an older node: none of the lists": (INTERVAL, 0),
    "null": (_all(None), 0),
    "a number, not a list": (_all(5), 0),
    "a string, not a list": (_all("[{}]"), 0),
    "items that are not objects": ({**_all([1, "a", None, [TURNS[0]], True]),
                                    "heatmap": {**HEATMAP, "cells": [1, "a", None, [HEATMAP["cells"][0]]]}}, 0),
    "an object, not a list": ({**INTERVAL, "turns": TURNS[0], "queues": QUEUES[0], "speeds": SPEEDS[0],
                               "heatmap": {**HEATMAP, "cells": HEATMAP["cells"][0]}}, 0),
    "a heatmap without cells": ({**INTERVAL, "heatmap": {"cell_m": 5.0, "origin": HEATMAP["origin"]}}, 0),
    "values of the wrong type or out of range": ({**INTERVAL, **_WRONG}, 1),
    "empty items": ({**_all([{}]), "heatmap": {"cells": [{}]}}, 1),
}


@pytest.mark.parametrize(("body", "rows"), ODD_BODIES.values(), ids=ODD_BODIES.keys())
def test_old_and_odd_bodies_give_no_row_or_null_cells_never_an_error(lake: Path, body: dict[str, Any], rows: int) -> None:
    good = {**INTERVAL, "turns": TURNS[:1], "queues": QUEUES, "speeds": SPEEDS, "heatmap": HEATMAP}
    write_rows(lake, "odd.parquet", [row(1, body), row(2, good)])
    twin = Twin(lake, SITE, CAMERAS)
    try:
        found = {view: twin.read(f"SELECT event_id, {', '.join(cols)} FROM {view}").rows for view, cols in _NUMBERS.items()}
    finally:
        twin.close()
    for view, got in found.items():
        odd = [r for r in got if r[0] == "city-cam-0:1"]
        assert len(odd) == rows, view
        assert all(cell is None for r in odd for cell in r[1:]), (view, odd)
        assert len([r for r in got if r[0] == "city-cam-0:2"]) == (2 if view == "heatmap" else 1), view  # the good one
