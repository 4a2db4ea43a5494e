"""No lake file can stop a twin from opening or refreshing: one that does not fit the lake schema is skipped, named."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloud.sink.schema import SCHEMA as SINK_SCHEMA
from cloud.twin.twin import Twin
from tests.security.support import SITE, Baseline, Place, cameras

NOON = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


def _row(**override: object) -> dict[str, object]:
    row: dict[str, object] = {"event_id": "forged:1", "site": "city", "camera": "cam-0", "node": "forged", "seq": 1,
                              "ts": NOON, "type": "line_crossing", "body": '{"line": "line-0", "direction": "in"}'}
    row.update(override)
    return {k: v for k, v in row.items() if v is not _DROP}


_DROP = object()
_TS = pa.timestamp("us", tz="UTC")

# name -> (folder under the lake, table); every one of them has once taken a twin down or could.
BAD: dict[str, tuple[str, Callable[[], pa.Table]]] = {
    "ts-as-text": ("date=2026-01-01/hour=12", lambda: pa.Table.from_pylist([_row(ts="not a time")])),
    "ts-without-zone": ("date=2026-01-01/hour=12", lambda: pa.table(
        {**{k: [v] for k, v in _row(ts=_DROP).items()}, "ts": pa.array([NOON.replace(tzinfo=None)])})),
    "ts-as-number": ("date=2026-01-01/hour=12", lambda: pa.Table.from_pylist([_row(ts=1767268800)])),
    "missing-column": ("date=2026-01-01/hour=12", lambda: pa.Table.from_pylist([_row(body=_DROP)])),
    "seq-as-text": ("date=2026-01-01/hour=12", lambda: pa.Table.from_pylist([_row(seq="one")])),
    "site-as-number": ("date=2026-01-01/hour=12", lambda: pa.Table.from_pylist([_row(site=7)])),
    "body-as-struct": ("date=2026-01-01/hour=12", lambda: pa.Table.from_pylist([_row(body={"line": "x"})])),
    "date-column-as-text": ("date=2026-01-01/hour=12", lambda: pa.Table.from_pylist([_row(date="yesterday")])),
    "body-not-json": ("date=2026-01-01/hour=12", lambda: pa.Table.from_pylist([_row(body="{not json")])),
    "not-a-date-folder": ("date=2026-13-45/hour=12", lambda: pa.Table.from_pylist([_row()], schema=_schema())),
    "not-an-hour-folder": ("date=2026-01-01/hour=24", lambda: pa.Table.from_pylist([_row()], schema=_schema())),
    "garbage-folder": ("date=garbage/hour=xx", lambda: pa.Table.from_pylist([_row()], schema=_schema())),
}


def _schema() -> pa.Schema:
    return pa.schema([(k, pa.int64() if k == "seq" else _TS if k == "ts" else pa.string()) for k in _row()])


def _plant(lake: Path, name: str) -> Path:
    folder, table = BAD[name]
    path = lake / folder / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table(), path)
    return path


def _assert_as_before(twin: Twin, baseline: Baseline) -> None:
    assert twin.query("SELECT count(*) FROM events").rows[0][0] == baseline.events
    assert twin.read("SELECT count(*) FROM events").rows[0][0] == baseline.events
    assert twin.query("SELECT count(*) FROM lake_raw WHERE event_id = 'forged:1'").rows == [(0,)]
    assert twin.query("SELECT sum(crossings) FROM counts('1 hour')").rows[0][0] == baseline.counts


@pytest.mark.parametrize("name", BAD)
def test_a_twin_opens_over_a_lake_holding_a_bad_file(
    name: str, place: Place, baseline: Baseline, caplog: pytest.LogCaptureFixture
) -> None:
    path = _plant(place.lake, name)
    with caplog.at_level(logging.WARNING, logger="cloud.twin"):
        twin = Twin(place.lake, SITE, cameras())
    try:
        assert any(str(path) in r.getMessage() and "skipping lake file" in r.getMessage() for r in caplog.records)
        _assert_as_before(twin, baseline)
    finally:
        twin.close()


@pytest.mark.parametrize("name", BAD)
def test_a_bad_file_arriving_later_never_stops_a_refresh(name: str, place: Place, baseline: Baseline) -> None:
    twin = Twin(place.lake, SITE, cameras())
    try:
        twin.query("SELECT 1")  # the sandbox exists before the file arrives
        _plant(place.lake, name)
        twin.refresh()
        _assert_as_before(twin, baseline)
        twin.refresh()
        _assert_as_before(twin, baseline)
    finally:
        twin.close()


def test_a_good_file_with_other_but_compatible_types_is_read(place: Place, baseline: Baseline) -> None:
    """Narrower integers, large strings and other time units are the same values: such files count."""
    schema = pa.schema([("event_id", pa.large_string()), ("site", pa.string()), ("camera", pa.string()),
                        ("node", pa.string()), ("seq", pa.int32()), ("ts", pa.timestamp("ms", tz="UTC")),
                        ("type", pa.string()), ("body", pa.string())])
    path = place.lake / "date=2026-01-01/hour=12/compatible.parquet"
    pq.write_table(pa.Table.from_pylist([_row()], schema=schema), path)
    twin = Twin(place.lake, SITE, cameras())
    try:
        assert twin.query("SELECT count(*) FROM events").rows[0][0] == baseline.events + 1
        assert twin.read("SELECT count(*) FROM events").rows[0][0] == baseline.events + 1
    finally:
        twin.close()


def test_a_file_with_the_sinks_mark_and_bad_bodies_is_skipped_once_a_query_trips_on_it(
    place: Place, baseline: Baseline, caplog: pytest.LogCaptureFixture
) -> None:
    """The sink's mark spares its files a pass over their data; one that only claims it is found out by the first query
    that reads its bodies, skipped, and the query answered without it."""
    path = place.lake / "date=2026-01-01/hour=12/forged-mark.parquet"
    pq.write_table(pa.Table.from_pylist([_row(body="{not json")], schema=_schema().with_metadata(SINK_SCHEMA.metadata)), path)
    twin = Twin(place.lake, SITE, cameras())
    try:
        with caplog.at_level(logging.WARNING, logger="cloud.twin"):
            assert twin.read("SELECT sum(crossings) FROM counts('1 hour')").rows[0][0] == baseline.counts
        assert any(str(path) in r.getMessage() and "bodies are not JSON" in r.getMessage() for r in caplog.records)
        _assert_as_before(twin, baseline)
    finally:
        twin.close()
    reopened = Twin(place.lake, SITE, cameras())  # the verdict is kept: the next twin skips it at once
    try:
        assert path in reopened.files.skipped
        assert reopened.read("SELECT count(*) FROM events").rows[0][0] == baseline.events
    finally:
        reopened.close()
