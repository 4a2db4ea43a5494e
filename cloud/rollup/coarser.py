"""A day's quarter or hour table, or a month's day table, made again only where its finer files changed.

Each of these files holds one row group per unit (an hour of a day file, a
day of a month file), and a unit's rows come from that unit's finer rows
alone: a quarter or an hour lies inside one hour, a day inside one day. So
when a pass finds the open hour's minute file made again, the day's quarter
file keeps the row groups of its other hours, as they are, and aggregates
only that hour's minutes: a pass costs an hour of rollup rows, not what the
day (or the month) holds so far, and the file is written a unit at a time. A
unit is kept when the digests the file records for its hours are those its
finer file records now (``sources.Recorded``); a file written some other way
(a row group holding more than one unit) is made again whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloud.rollup import aggregate
from cloud.rollup.sources import Recorded, RecordCache, parse_slot
from cloud.rollup.tables import VERSION, Resolution

log = logging.getLogger(__name__)

Unit = int  # the hour of a day file, the day of a month file
Aggregate = Callable[[pa.Table], pa.Table]  # finer rows of one unit -> its rows at the file's resolution


@dataclass(frozen=True)
class Source:
    """Where one unit's finer rows are: a file, and the row groups of it that hold the unit (None: all of it)."""

    path: Path
    groups: tuple[int, ...] | None
    hours: dict[str, str]  # slot key -> digest, as the finer file records them for this unit
    shared: bool = False  # the whole file holds other units too: its rows are kept to this unit's buckets


def unit_of(resolution: Resolution, at: datetime) -> Unit:
    utc = at.astimezone(timezone.utc)
    return utc.day if resolution == "day" else utc.hour


def _key_unit(resolution: Resolution, key: str) -> Unit:
    day, hour = parse_slot(key)
    return day.day if resolution == "day" else int(hour)


def row_groups(path: Path, resolution: Resolution) -> dict[Unit, tuple[int, ...]] | None:
    """The row groups of ``path`` holding each unit, by their ``bucket_start`` statistics; None when one holds two
    units or has no statistics (a file written whole)."""
    meta = pq.read_metadata(path)
    column = meta.schema.names.index("bucket_start")
    out: dict[Unit, list[int]] = {}
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(column).statistics
        if meta.row_group(i).num_rows == 0:
            continue
        if stats is None or not stats.has_min_max:
            return None
        low, high = unit_of(resolution, stats.min), unit_of(resolution, stats.max)
        if low != high:
            return None
        out.setdefault(low, []).append(i)
    return {unit: tuple(groups) for unit, groups in out.items()}


def _finer_rows(source: Source, resolution: Resolution, unit: Unit) -> pa.Table:
    finer = pq.ParquetFile(source.path)
    if source.groups == ():
        return finer.schema_arrow.empty_table()
    rows = finer.read() if source.groups is None else finer.read_row_groups(list(source.groups))
    if not source.shared:
        return rows
    starts = rows["bucket_start"]
    return rows.filter(pc.equal(pc.day(starts) if resolution == "day" else pc.hour(starts), unit))


def make(final: Path, resolution: Resolution, kind: str, sources: dict[Unit, Source], records: RecordCache,
         write: Callable[[pa.Schema, Iterator[pa.Table], Path], object], rows_of: Aggregate) -> None:
    """Write ``final`` from ``sources`` (each unit's finer rows), keeping the row groups of the units it already holds
    as their finer files record them now."""
    before = records.get(final)
    kept: dict[Unit, tuple[int, ...]] = {}
    if before is not None:
        try:
            groups = row_groups(final, resolution)
        except Exception as exc:  # damaged: made again whole
            log.warning("rollup file %s cannot be read (%s); made again whole", final, exc)
            groups = None
        if groups is not None:
            for unit, source in sources.items():
                held = {k: v for k, v in before.hours.items() if _key_unit(resolution, k) == unit}
                if held == source.hours:  # a unit of no rows has no row group, and stays so
                    kept[unit] = groups.get(unit, ())
    hours = {k: v for source in sources.values() for k, v in source.hours.items()}
    schema = aggregate.schema(kind).with_metadata(Recorded(VERSION, hours).metadata())
    old = pq.ParquetFile(final) if kept else None

    def units() -> Iterator[pa.Table]:
        for unit in sorted(sources):
            if unit in kept and old is not None:
                if kept[unit]:
                    yield old.read_row_groups(list(kept[unit]))
                continue
            rows = rows_of(_finer_rows(sources[unit], resolution, unit))
            if rows.num_rows:
                yield rows

    write(schema, units(), final)
    log.debug("%s: %d units kept, %d made", final, len(kept), len(sources) - len(kept))


def _per_file(files: list[Path], records: RecordCache, unit: Callable[[Path], Unit]) -> dict[Unit, Source]:
    """One unit per finer file (``unit`` names it from the file's path), as each file records its sources."""
    out: dict[Unit, Source] = {}
    for path in files:
        recorded = records.get(path)
        if recorded is None:  # damaged or of another version: made again by the reconciler before it counts
            log.warning("rollup file %s records no sources; left out", path)
            continue
        out[unit(path)] = Source(path, None, dict(recorded.hours))
    return out


def quarter_units(minute_files: list[Path], records: RecordCache) -> dict[Unit, Source]:
    """A day's quarter units from its hours' minute files."""
    return _per_file(minute_files, records, lambda path: int(path.parent.name.removeprefix("hour=")))


def hour_units(quarter_file: Path, records: RecordCache) -> dict[Unit, Source]:
    """A day's hour units from its quarter file, a row group set per hour where it has them."""
    recorded = records.get(quarter_file)
    if recorded is None:
        log.warning("rollup file %s records no sources; left out", quarter_file)
        return {}
    groups = row_groups(quarter_file, "hour")
    by_unit: dict[Unit, dict[str, str]] = {}
    for key, value in recorded.hours.items():
        by_unit.setdefault(_key_unit("hour", key), {})[key] = value
    if groups is None:  # written whole: each unit reads all of it, kept to its own buckets
        return {unit: Source(quarter_file, None, hours, shared=True) for unit, hours in by_unit.items()}
    return {unit: Source(quarter_file, groups.get(unit, ()), hours) for unit, hours in by_unit.items()}


def day_units(hour_files: list[Path], records: RecordCache) -> dict[Unit, Source]:
    """A month's day units from its days' hour files."""
    return _per_file(hour_files, records, lambda path: date.fromisoformat(path.parent.name.removeprefix("date=")).day)
