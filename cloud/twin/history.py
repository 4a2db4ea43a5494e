"""History charts: one kind's measures per bucket over a window, from rollups where exact and raw events elsewhere.

The one reader of history: the cockpit's chart, its download and ``make
bench-twin`` all go through ``chart``. A chart of ``size`` buckets reads the
rollup tables whose step divides ``size`` (so every rollup row falls in one
bucket), coarsest first: a day table for the days it holds exactly, the hour
table for the exact hours of the other days, the quarter (15-minute) table,
then the minute table, for the whole minutes it holds exactly of the hours
still left (the open hour's up to the reconciler's last pass:
``Twin.minutes``), and raw events, deduplicated, for the rest (the newest
minutes, the window's ragged edges, a late file the reconciler has not
reached, the live tail). A finer table is
asked only about the hours the coarser ones left, so a year of day buckets
never looks at a minute file, and a day of 15-minute buckets reads the
quarter files of its one or two days, not 24 minute files.

Each table is read from the files that hold its exact buckets and no other:
the partition folders are named by ``Table.file``, never found by listing the
table, and given to the query's cursor as one dataset, so a window costs what
its buckets cost whatever the lake's age. Buckets of less than a minute, or
of no whole number of minutes, are read from raw alone.

Example:
    >>> resolutions(timedelta(days=1))
    ('day', 'hour', 'quarter', 'minute')
    >>> resolutions(timedelta(minutes=15))
    ('quarter', 'minute')
    >>> resolutions(timedelta(minutes=5))
    ('minute',)
    >>> resolutions(timedelta(seconds=90))
    ()
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.dataset as ds

from cloud.rollup.tables import RESOLUTIONS, STEP, Resolution, Table, table
from cloud.twin import rollups

if TYPE_CHECKING:
    from cloud.twin.twin import Twin

_HOUR = timedelta(hours=1)
# What ``Twin.exact`` lists per table: days of a day table, hours of the others (exact minutes come in whole hours).
_UNIT: dict[Resolution, timedelta] = {"minute": _HOUR, "quarter": _HOUR, "hour": _HOUR, "day": timedelta(days=1)}
_SOURCE = "_history_{}"  # the name a query's cursor gives one rollup table's window files


@dataclass(frozen=True)
class Measure:
    """What a chart of one kind shows: the raw view, the columns per row from raw and from a rollup, the totals."""

    view: str
    raw: str  # instant and measures of one raw row
    rolled: str  # the same per rollup bucket, summed over the bucket's series first (a day's minutes are many rows)
    totals: str  # per bucket, over both
    filters: tuple[str, ...]  # the columns a chart may be narrowed by


MEASURES: dict[str, Measure] = {
    "crossings": Measure(
        "crossings", "ts AS instant, direction, 1 AS n", "bucket_start AS instant, direction, sum(crossings)::BIGINT AS n",
        "coalesce(sum(n) FILTER (WHERE direction = 'in'), 0)::BIGINT AS inbound, "
        "coalesce(sum(n) FILTER (WHERE direction = 'out'), 0)::BIGINT AS outbound",
        ("camera", "line")),
    # As the rollups count them: a report without a total is no sample.
    "occupancy": Measure(
        "occupancy", "ts AS instant, total AS peak, total, (total IS NOT NULL)::BIGINT AS n",
        "bucket_start AS instant, max(max_total) AS peak, sum(sum_total)::BIGINT AS total, sum(samples)::BIGINT AS n",
        "max(peak) AS max_total, sum(total) / nullif(sum(n), 0) AS mean_total",
        ("camera", "zone")),
}


@dataclass(frozen=True)
class Chart:
    """A chart's rows (bucket start, then the kind's totals) and the rollup tables that answered part of it."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    tables: tuple[str, ...]  # coarsest first; empty: raw alone

    @property
    def resolution(self) -> Resolution | None:
        """The coarsest resolution read; None: raw alone."""
        return table(self.tables[0]).resolution if self.tables else None


def resolutions(size: timedelta) -> tuple[Resolution, ...]:
    """The resolutions whose step divides a bucket of ``size``, coarsest first."""
    return tuple(r for r in reversed(RESOLUTIONS) if size % STEP[r] == timedelta(0))


def _hours(bucket: datetime, resolution: Resolution) -> Iterator[datetime]:
    """The hour starts under one exact bucket of ``Twin.exact``: a day's 24, or the hour itself."""
    return (bucket + i * _HOUR for i in range(_UNIT[resolution] // _HOUR))


def _gaps(start: datetime, end: datetime, held: set[datetime]) -> list[tuple[datetime, datetime]]:
    """The parts of [``start``, ``end``) outside the ``held`` hours, as windows clipped to it."""
    if not held:
        return [(start, end)] if start < end else []
    out: list[tuple[datetime, datetime]] = []
    at = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    while at < end:
        if at not in held:
            lo = max(start, at)
            if out and out[-1][1] == lo:
                out[-1] = (out[-1][0], min(end, at + _HOUR))
            else:
                out.append((lo, min(end, at + _HOUR)))
        at += _HOUR
    return out


def _literal(at: datetime) -> str:
    """A TIMESTAMPTZ literal made here from a datetime, never from text a caller gave."""
    return f"TIMESTAMPTZ '{at.astimezone(timezone.utc).isoformat()}'"


def _ranges(buckets: Iterable[datetime], step: timedelta) -> str:
    """SQL keeping rows whose ``bucket_start`` is one of ``buckets`` (each ``step`` long), one range per run of them."""
    runs: list[list[datetime]] = []
    for b in sorted(buckets):
        if runs and runs[-1][1] == b:
            runs[-1][1] = b + step
        else:
            runs.append([b, b + step])
    terms = [f"(bucket_start >= {_literal(lo)} AND bucket_start < {_literal(hi)})" for lo, hi in runs]
    return "(" + " OR ".join(terms) + ")" if terms else "false"


def on_disk(lake: Path, t: Table, buckets: Iterable[datetime]) -> tuple[list[datetime], list[Path]]:
    """Those of ``buckets`` whose file of ``t`` is there, and those files, each once, found by name, not by listing.

    A file removed since it was judged (retention) leaves its buckets to raw.
    """
    there: dict[tuple[int, int, int, int], Path | None] = {}  # by the partition that holds a bucket
    kept = []
    for b in buckets:
        key = (b.year, b.month, b.day if t.resolution != "day" else 0, b.hour if t.resolution == "minute" else 0)
        if key not in there:
            path = t.file(lake, b.date(), b.hour)
            there[key] = path if path.is_file() else None
        if there[key] is not None:
            kept.append(b)
    return kept, sorted(p for p in there.values() if p is not None)


def _where(m: Measure, narrow: dict[str, str]) -> str:
    unknown = [k for k in narrow if k not in m.filters]
    if unknown:
        raise ValueError(f"a {m.view} chart cannot be narrowed by {', '.join(unknown)}; only by {', '.join(m.filters)}")
    return "".join(f" AND {k} = ${k}" for k in narrow)


def chart(twin: Twin, kind: str, start: datetime, end: datetime, size: timedelta, **narrow: str | None) -> Chart:
    """``kind``'s totals per bucket of ``size`` in [``start``, ``end``), narrowed to one ``camera``, ``line`` or ``zone``.

    Raises ``ValueError`` for an unknown kind or a filter the kind lacks.
    """
    if kind not in MEASURES:
        raise ValueError(f"no history of {kind!r}; known: {', '.join(MEASURES)}")
    m = MEASURES[kind]
    filters = {k: v for k, v in narrow.items() if v is not None}
    where = _where(m, filters)
    held: set[datetime] = set()  # hours some table answers
    parts: list[str] = []
    sources: dict[str, ds.Dataset] = {}
    read: list[str] = []
    spans: dict[datetime, tuple[datetime, datetime]] = {}
    for res in resolutions(size):
        t = table(f"{kind}_{res}")
        if res == "minute":  # the whole minutes of the hours left, the open hour's up to the reconciler's last pass
            wanted = rollups.edge_minutes(twin.minutes, t.name, start, end, held)
            there, files = on_disk(twin.lake, t, wanted)
            spans = {h: wanted[h] for h in there}
            keep = rollups.minute_filter(spans)
        else:
            exact, files = on_disk(twin.lake, t, (b for lo, hi in _gaps(start, end, held) for b in twin.exact(t.name, lo, hi)))
            held.update(h for b in exact for h in _hours(b, res))
            keep = _ranges(exact, _UNIT[res])
        if not files:
            continue
        name = _SOURCE.format(t.name)
        sources[name] = rollups.dataset(twin.lake, t, files, keys_as_dictionaries=True)
        read.append(t.name)
        parts.append(f"SELECT {m.rolled} FROM {name} WHERE {keep}{where} GROUP BY ALL")
    raw = (f"SELECT {m.raw} FROM {m.view} WHERE ts >= $start AND ts < $end "
           f"AND date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE) "
           f"AND {rollups.raw_filter(start, end, held, twin.slots(), spans)}{where}")
    sql = (f"SELECT time_bucket($size, instant) AS bucket_start, {m.totals} FROM ("
           f"{' UNION ALL '.join([raw, *parts])}) GROUP BY ALL ORDER BY bucket_start")
    result = twin.read(sql, {"start": start, "end": end, "size": size, **filters}, sources)
    return Chart(result.columns, result.rows, tuple(read))
