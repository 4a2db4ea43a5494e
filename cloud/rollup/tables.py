"""The rollup tables: their names, columns, resolutions and where their files live.

This is the contract between the code that makes rollups and every reader
(the twin, the cockpit's history, the rules, Spark or Trino). A change of
columns bumps ``VERSION``; each file records it in its Parquet key-value
metadata (``citytwin.rollup.version``) with the raw-file listing it was
built from.

Layout, Hive-partitioned so an engine reads it with no converter::

    <lake>/rollups/<kind>_minute/date=YYYY-MM-DD/hour=HH/part.parquet   one file per hour
    <lake>/rollups/<kind>_quarter/date=YYYY-MM-DD/part.parquet          one file per day (15-minute buckets)
    <lake>/rollups/<kind>_hour/date=YYYY-MM-DD/part.parquet             one file per day
    <lake>/rollups/<kind>_day/month=YYYY-MM/part.parquet                one file per month

so a year of day rollups is twelve files per table, a month of hour (or
quarter) rollups about thirty. ``bucket_start`` is the bucket's first instant
(UTC; quarters start at :00, :15, :30 and :45); every count is over events
deduplicated on the twin's key.

Example:
    >>> [t.name for t in TABLES if t.kind == "crossings"]
    ['crossings_minute', 'crossings_quarter', 'crossings_hour', 'crossings_day']
    >>> table("occupancy_hour").partition_dir(date(2026, 3, 1), 7).as_posix()
    'rollups/occupancy_hour/date=2026-03-01'
    >>> table("dwell_quarter").partition_dir(date(2026, 3, 1), 7).as_posix()
    'rollups/dwell_quarter/date=2026-03-01'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import Literal

VERSION = 2  # 2: dwell gained first_entered and last_entered
META_VERSION = b"citytwin.rollup.version"
META_SOURCES = b"citytwin.rollup.sources"
ROOT = "rollups"
PART = "part.parquet"  # the one file of each partition folder

Resolution = Literal["minute", "quarter", "hour", "day"]
RESOLUTIONS: tuple[Resolution, ...] = ("minute", "quarter", "hour", "day")  # finest first
STEP: dict[Resolution, timedelta] = {"minute": timedelta(minutes=1), "quarter": timedelta(minutes=15),
                                     "hour": timedelta(hours=1), "day": timedelta(days=1)}

# Upper edges (seconds) of the dwell histogram's bins; the last bin holds everything longer.
DWELL_EDGES_S: tuple[float, ...] = (10, 30, 60, 120, 300, 600, 1800)


@dataclass(frozen=True)
class Col:
    """One column: name, DuckDB type, meaning."""

    name: str
    sql: str
    doc: str


_BUCKET = (Col("bucket_start", "TIMESTAMPTZ", "first instant of the bucket, UTC"),
           Col("site", "VARCHAR", "site id"), Col("camera", "VARCHAR", "camera id"))

COLUMNS: dict[str, tuple[Col, ...]] = {
    "crossings": _BUCKET + (
        Col("line", "VARCHAR", "counting line id"),
        Col("direction", "VARCHAR", "'in' or 'out'"),
        Col("object_class", "VARCHAR", "COCO-80 class"),
        Col("crossings", "BIGINT", "line crossings in the bucket"),
    ),
    "occupancy": _BUCKET + (
        Col("zone", "VARCHAR", "zone id"),
        Col("max_total", "INTEGER", "highest occupancy reported in the bucket"),
        Col("sum_total", "BIGINT", "sum of the reported occupancies (mean = sum_total / samples over any buckets)"),
        Col("samples", "BIGINT", "occupancy reports in the bucket"),
        Col("last_total", "INTEGER", "the newest occupancy in the bucket"),
        Col("last_ts", "TIMESTAMPTZ", "capture time of that newest report"),
    ),
    "dwell": _BUCKET + (
        Col("zone", "VARCHAR", "zone id"),
        Col("object_class", "VARCHAR", "COCO-80 class"),
        Col("dwells", "BIGINT", "objects that left the zone in the bucket"),
        Col("total_s", "DOUBLE", "seconds they spent inside, summed"),
        Col("histogram", "BIGINT[]", "dwells per bin of DWELL_EDGES_S, one more bin for longer stays"),
        Col("first_entered", "TIMESTAMPTZ", "the earliest time one of them entered the zone"),
        Col("last_entered", "TIMESTAMPTZ", "the latest time one of them entered the zone"),
    ),
    "health": _BUCKET + (
        Col("node", "VARCHAR", "edge node id"),
        Col("reports", "BIGINT", "node_health reports in the bucket"),
        Col("fps_sum", "DOUBLE", "sum of reported fps (mean = fps_sum / reports)"),
        Col("fps_min", "DOUBLE", "lowest reported fps"),
        Col("cpu_max", "DOUBLE", "highest CPU use, percent of one core"),
        Col("rss_max", "DOUBLE", "highest resident memory, MiB"),
        Col("spool_depth_max", "BIGINT", "deepest on-disk buffer"),
        Col("dropped_frames_max", "BIGINT", "dropped frames since start, highest"),
        Col("last_ts", "TIMESTAMPTZ", "capture time of the newest report"),
        Col("last_fps", "DOUBLE", "fps of the newest report"),
    ),
}

# The columns naming one series of a table (everything before its measures).
KEYS: dict[str, tuple[str, ...]] = {
    "crossings": ("site", "camera", "line", "direction", "object_class"),
    "occupancy": ("site", "camera", "zone"),
    "dwell": ("site", "camera", "zone", "object_class"),
    "health": ("site", "camera", "node"),
}


@dataclass(frozen=True)
class Table:
    """One rollup table: a kind at a resolution."""

    kind: str
    resolution: Resolution

    @property
    def name(self) -> str:
        return f"{self.kind}_{self.resolution}"

    @property
    def columns(self) -> tuple[Col, ...]:
        return COLUMNS[self.kind]

    def partition_dir(self, day: date, hour: int = 0) -> PurePosixPath:
        """The folder, relative to the lake, of the file holding ``day`` (and ``hour`` for minute tables)."""
        base = PurePosixPath(ROOT) / self.name
        if self.resolution == "minute":
            return base / f"date={day.isoformat()}" / f"hour={hour:02d}"
        if self.resolution == "day":
            return base / f"month={day.year:04d}-{day.month:02d}"
        return base / f"date={day.isoformat()}"  # quarter and hour: a day per file

    def file(self, lake: Path, day: date, hour: int = 0) -> Path:
        """The file of the lake at ``lake`` that holds ``day`` (and ``hour`` for minute tables)."""
        return lake / self.partition_dir(day, hour) / PART


TABLES: tuple[Table, ...] = tuple(Table(kind, res) for kind in COLUMNS for res in RESOLUTIONS)


def table(name: str) -> Table:
    """The table called ``name``; ``KeyError`` naming the known ones."""
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(f"unknown rollup table {name!r}; known: {', '.join(t.name for t in TABLES)}")


def resolution_for(window: timedelta) -> Resolution:
    """The resolution a history window reads: minutes up to 3 hours, quarters up to a day, hours up to a month, days beyond.

    As the cockpit's chart draws them (``static/history.js``): 1-minute buckets over 3 hours, 15 minutes over a day.

    Example:
        >>> [resolution_for(timedelta(hours=h)) for h in (1, 3, 4, 24, 72, 24 * 365)]
        ['minute', 'minute', 'quarter', 'quarter', 'hour', 'day']
    """
    if window <= timedelta(hours=3):
        return "minute"
    if window <= timedelta(days=1):
        return "quarter"
    if window <= timedelta(days=31):
        return "hour"
    return "day"
