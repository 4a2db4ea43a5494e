"""Make rollup files: an hour's minute tables from its raw files, a day's quarter and hour tables, a month's day tables.

The minute tables of one raw ``date=/hour=`` partition are computed by the
twin's own views (``cloud.twin.views``) over just that partition's readable
files, so the typed columns and the deduplication on ``cloud.twin.columns.KEY``
are the twin's. Each coarser table comes from the next finer one (``FINER``):
a day's quarter tables from its minute files, its hour tables from its quarter
files, a month's day tables from its hour files; each is exact (``aggregate``),
and only the units (hours, days) whose finer files changed are aggregated
again (``coarser``).
Every file is written under a hidden temporary name and renamed into place
(``cloud.sink.writer.write_atomic``): a reader, or a crash, sees the old file
or the new one, never half of one. Each records what it was built from
(``sources.Recorded``) and ``tables.VERSION`` in its Parquet metadata.
"""

from __future__ import annotations

import functools
import itertools
import logging
import shutil
import weakref
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloud.rollup import aggregate, coarser
from cloud.rollup.sources import Listing, RecordCache, Recorded, Slot, digest, slot_key, slot_start
from cloud.rollup.tables import COLUMNS, PART, VERSION, Resolution, table
from cloud.sink.writer import write_groups
from cloud.twin import views
from cloud.twin.lake import SCHEMA
from cloud.twin.sandbox import locked_config, private_folder
from cloud.twin.settings import TwinSettings
from cloud.twin.views import NO_ALERTS, Sources, lake_dataset

log = logging.getLogger(__name__)

KINDS = tuple(COLUMNS)
_ZSTD = 3
# What each coarser table is made from, in the order a pass makes them: a table's inputs are made before it.
FINER: dict[Resolution, Resolution] = {"quarter": "minute", "hour": "quarter", "day": "hour"}
# The raw rows of an hour whose files hold this much are aggregated ``SLICE`` of capture time at a time.
SLICED_FROM_BYTES = 8 * 2**20
SLICE = timedelta(minutes=10)
HOUR = timedelta(hours=1)
# Rows per row group of a minute file, by bucket: the minutes an open hour keeps are copied a group at a time.
MINUTE_GROUP_ROWS = 16_384
# Whether an hour's files hold each event once: its rows, and its events after deduplication, are as many.
_DUPLICATE_FREE = "SELECT (SELECT count(*) FROM lake_raw) = (SELECT count(*) FROM events)"


def path_of(root: Path, name: str, day: date, hour: int = 0) -> Path:
    """The file of rollup table ``name`` that holds ``day`` (and ``hour`` for minute tables)."""
    return table(name).file(root, day, hour)


def month_days(root: Path, name: str, day: date) -> list[Path]:
    """The hour-table files of ``name``'s kind for every day of ``day``'s month."""
    base = root / table(name).partition_dir(day).parent
    return sorted(base.glob(f"date={day.year:04d}-{day.month:02d}-*/{PART}"))


def _slices(hour: datetime, since: datetime | None) -> list[tuple[datetime | None, datetime | None]]:
    """[lo, hi) capture-time slices of ``SLICE`` from ``since`` (None: the whole hour, open-ended at both ends)."""
    cuts = [hour + i * SLICE for i in range(1, HOUR // SLICE)]
    starts: list[datetime | None] = [since, *[c for c in cuts if c > since]] if since is not None else [None, *cuts]
    return list(zip(starts, [*starts[1:], None]))


def _before(path: Path, since: datetime) -> Iterator[pa.Table]:
    """The rows of minute file ``path`` whose bucket starts before ``since``, a row group at a time."""
    old = pq.ParquetFile(path)
    column = old.schema_arrow.names.index("bucket_start")
    for i in range(old.num_row_groups):
        stats = old.metadata.row_group(i).column(column).statistics
        if stats is not None and stats.has_min_max and stats.min >= since:
            continue
        rows = old.read_row_group(i)
        if stats is None or not stats.has_min_max or stats.max >= since:
            rows = rows.filter(pc.field("bucket_start") < since)
        if rows.num_rows:
            yield rows


def _shaped(rows: pa.Table, kind: str) -> pa.Table:
    """``rows`` with the declared names and types of ``kind``'s files, and no metadata."""
    wanted = aggregate.schema(kind)
    return rows.rename_columns(wanted.names).cast(wanted).replace_schema_metadata(None)


class Maker:
    """Makes the rollup files of the lake at ``root`` on a DuckDB connection of its own, reaching no file but its spill.

    ``settings`` (the deployment's ``cloud.twin``) bound its memory, threads and spill, as for the twin's own queries:
    a busy hour spills rather than fails.
    """

    def __init__(self, root: Path, settings: TwinSettings | None = None) -> None:
        self.root = root
        self.records = RecordCache()
        bounds = settings if settings is not None else TwinSettings()
        self.folder = private_folder(bounds.spill_dir, root, "cloud.twin.spill_dir", "citytwin-rollup-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self.con = duckdb.connect(":memory:", config=locked_config(bounds.memory_limit_mb, bounds.threads, self.folder,
                                                                   bounds.max_spill_mb))
        self.con.execute("SET TimeZone = 'UTC'")  # every bucket is a UTC one
        views.create(self.con, root, 60.0)
        self.con.execute("SET lock_configuration = true")

    def close(self) -> None:
        self.con.close()
        self._cleanup()

    def hour(self, slot: Slot, files: Sequence[Path], listing: Listing, since: datetime | None = None) -> None:
        """The four minute tables of raw partition ``slot`` from its readable ``files``, whose listing is ``listing``.

        ``since``: the minute from which the hour's files changed since its minute files were made
        (``settled.settled_until``); the minutes before it are kept from those files and only raw rows from it on
        are read, so an open hour costs what arrived since its last making, not what it holds.
        Raises DuckDB's errors when a file's data cannot be read; nothing is written then.
        """
        made: dict[str, list[pa.Table]] = {kind: [] for kind in KINDS}
        free = True
        # A slice of the hour at a time: what deduplication holds is a slice's events, whatever the hour holds, since
        # copies of an event share their capture time (``settled``). The first and last slices are open-ended: a
        # file filed in another hour's folder keeps its rows.
        whole = sum(p.stat().st_size for p in files if p.exists()) < SLICED_FROM_BYTES
        dataset = lake_dataset(self.root, list(files))
        for lo, hi in [(since, None)] if whole else _slices(slot_start(slot), since):
            data = dataset
            bounds = [pc.field("ts") >= lo] if lo is not None else []
            bounds += [pc.field("ts") < hi] if hi is not None else []
            if bounds:
                data = data.filter(functools.reduce(lambda a, b: a & b, bounds))
            cursor = self.con.cursor()
            try:
                Sources(data, SCHEMA.empty_table(), NO_ALERTS).register(cursor)
                for kind in KINDS:
                    made[kind].append(_shaped(cursor.sql(aggregate.from_raw(kind)).to_arrow_table(), kind))
                found = cursor.execute(_DUPLICATE_FREE).fetchone()
            finally:
                cursor.close()
            free = free and bool(found and found[0])
        paths = {kind: path_of(self.root, f"{kind}_minute", slot[0], int(slot[1])) for kind in KINDS}
        if since is not None:
            before = self.records.get(paths[KINDS[0]])
            free = free and before is not None and before.duplicate_free
        recorded = Recorded(VERSION, {slot_key(slot): digest(listing)}, listing, free)
        for kind, parts in made.items():
            schema = aggregate.schema(kind).with_metadata(recorded.metadata())
            kept = _before(paths[kind], since) if since is not None else iter(())
            # The kept minutes are copied a row group at a time: a pass holds what arrived, not the hour's rows.
            write_groups(schema, itertools.chain(kept, parts), paths[kind], _ZSTD, MINUTE_GROUP_ROWS)

    def remove_hour(self, slot: Slot) -> None:
        """Remove the minute tables of a raw partition that no longer has readable files."""
        for kind in KINDS:
            folder = path_of(self.root, f"{kind}_minute", slot[0], int(slot[1])).parent
            shutil.rmtree(folder, ignore_errors=True)

    def coarser(self, resolution: Resolution, day: date) -> None:
        """The tables at ``resolution`` (quarter, hour: of ``day``; day: of ``day``'s month) from the finer files under
        them, each unit (an hour, a day) made again only where its finer file changed (``coarser``)."""
        for kind in KINDS:
            final = path_of(self.root, f"{kind}_{resolution}", day)
            inputs = self.inputs(kind, resolution, day)
            if not inputs:
                shutil.rmtree(final.parent, ignore_errors=True)
                continue
            if resolution == "quarter":
                sources = coarser.quarter_units(inputs, self.records)
            elif resolution == "hour":
                sources = coarser.hour_units(inputs[0], self.records)
            else:
                sources = coarser.day_units(inputs, self.records)
            coarser.make(final, resolution, kind, sources, self.records,
                         lambda schema, tables, path: write_groups(schema, tables, path, _ZSTD),
                         functools.partial(self._from_finer, kind, resolution))

    def _from_finer(self, kind: str, resolution: Resolution, finer: pa.Table) -> pa.Table:
        cursor = self.con.cursor()
        try:
            cursor.register("finer", finer)
            return _shaped(cursor.sql(aggregate.from_finer(kind, resolution)).to_arrow_table(), kind)
        finally:
            cursor.close()

    def inputs(self, kind: str, resolution: Resolution, day: date) -> list[Path]:
        """The finer files a ``kind`` table at ``resolution`` holding ``day`` is made from."""
        finer = f"{kind}_{FINER[resolution]}"
        if FINER[resolution] == "minute":  # the day's hours
            return sorted(path_of(self.root, finer, day).parent.parent.glob(f"hour=*/{PART}"))
        if resolution == "day":
            return month_days(self.root, finer, day)
        path = path_of(self.root, finer, day)  # an hour table from the same day's quarter file
        return [path] if path.is_file() else []
