"""History from the rollup tables: the partitions a window needs, as an Arrow dataset, queried on a locked connection.

A window's resolution is ``resolution_for(end - start)``; its files are found
by the partition folders that cover it (``Table.partition_dir`` for each hour,
day or month of the window), never by listing the table, so a query costs the
same whatever the lake's age. The dataset is given to a DuckDB cursor by name,
as the twin's sources are (``views.Sources``): the connection itself reaches
no file.

Example:
    >>> from datetime import datetime, timezone
    >>> start = datetime(2026, 3, 1, 22, tzinfo=timezone.utc)
    >>> [p.as_posix() for p in partitions(table("crossings_minute"), start, start + timedelta(hours=3))]
    ['rollups/crossings_minute/date=2026-03-01/hour=22', 'rollups/crossings_minute/date=2026-03-01/hour=23', \
'rollups/crossings_minute/date=2026-03-02/hour=00']
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from cloud.rollup.tables import Resolution, Table, resolution_for, table

_DUCK_TO_ARROW = {"TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "VARCHAR": pa.string(), "BIGINT": pa.int64(),
                  "INTEGER": pa.int32(), "DOUBLE": pa.float64(), "BIGINT[]": pa.list_(pa.int64())}
_PARTITIONS: dict[Resolution, pa.Schema] = {
    "minute": pa.schema([("date", pa.date32()), ("hour", pa.int32())]),
    "hour": pa.schema([("date", pa.date32())]),
    "day": pa.schema([("month", pa.string())]),
}
SOURCE = "_rollup"  # the name a query's cursor gives the window's dataset

# What the cockpit's history chart asks per bucket: crossings per direction, occupancy's peak and mean.
_MEASURES = {
    "crossings": "direction, sum(crossings) AS crossings",
    "occupancy": "max(max_total) AS max_total, sum(sum_total) / sum(samples) AS mean_total",
}
_FILTERS = ("camera", "line", "zone")


def schema(t: Table) -> pa.Schema:
    """The Arrow schema of ``t``'s files (the contract's columns), then its partition columns."""
    return pa.schema([(c.name, _DUCK_TO_ARROW[c.sql]) for c in t.columns] + list(_PARTITIONS[t.resolution]))


def _steps(t: Table, start: datetime, end: datetime) -> Iterator[datetime]:
    """The first instant of every partition (hour, day or month) that holds part of [start, end)."""
    at = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    if t.resolution != "minute":
        at = at.replace(hour=0)
    if t.resolution == "day":
        at = at.replace(day=1)
    while at < end:
        yield at
        if t.resolution == "minute":
            at += timedelta(hours=1)
        elif t.resolution == "hour":
            at += timedelta(days=1)
        else:
            at = (at + timedelta(days=32)).replace(day=1)


def partitions(t: Table, start: datetime, end: datetime) -> list[PurePosixPath]:
    """The partition folders, relative to the lake, that hold [start, end) of ``t``."""
    return [t.partition_dir(at.date(), at.hour) for at in _steps(t, start, end)]


def window_dataset(lake: Path, t: Table, start: datetime, end: datetime) -> ds.Dataset:
    """The files of ``t`` covering [start, end) as one dataset; no footer is read until a query scans it."""
    files = [str(f) for folder in partitions(t, start, end) if (lake / folder).is_dir()
             for f in sorted((lake / folder).glob("*.parquet"))]
    return ds.dataset(files, schema=schema(t), format="parquet",
                      partitioning=ds.partitioning(_PARTITIONS[t.resolution], flavor="hive"),
                      partition_base_dir=str(lake / "rollups" / t.name))


def history(con: duckdb.DuckDBPyConnection, lake: Path, kind: str, start: datetime, end: datetime,
            **where: str | None) -> tuple[Resolution, list[tuple[Any, ...]]]:
    """Per bucket of the window's resolution, what the history chart shows of ``kind`` (crossings or occupancy).

    ``where`` narrows to one ``camera``, ``line`` or ``zone`` (None: every one). Returns the resolution and
    rows ordered by bucket.
    """
    if kind not in _MEASURES:
        raise ValueError(f"no history of {kind!r}; known: {', '.join(_MEASURES)}")
    resolution = resolution_for(end - start)
    t = table(f"{kind}_{resolution}")
    names = {c.name for c in t.columns}
    filters = {k: v for k, v in where.items() if v is not None}
    unknown = [k for k in filters if k not in _FILTERS or k not in names]
    if unknown:
        raise ValueError(f"{t.name} cannot be narrowed by {', '.join(unknown)}; it has {', '.join(sorted(names))}")
    narrow = "".join(f" AND {k} = ${k}" for k in filters)
    group = "bucket_start, direction" if kind == "crossings" else "bucket_start"
    sql = (f"SELECT bucket_start, {_MEASURES[kind]} FROM {SOURCE} WHERE bucket_start >= $start "
           f"AND bucket_start < $end{narrow} GROUP BY {group} ORDER BY {group}")
    cursor = con.cursor()
    try:
        cursor.register(SOURCE, window_dataset(lake, t, start, end))
        return resolution, cursor.execute(sql, {"start": start, "end": end, **filters}).fetchall()
    finally:
        cursor.close()
