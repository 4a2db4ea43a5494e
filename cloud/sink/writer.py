"""Write lake files atomically and durably: temporary name, fsync, rename, fsync the folder.

A reader never sees a half-written file: the data goes to a hidden temporary
name (``.<name>.<pid>.tmp``, which matches no ``*.parquet`` glob) in the
target folder, is flushed to disk, and only then renamed to its final name;
the folder is synced so the rename itself survives a power cut. Writing the
same name again replaces the file in one step.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloud.sink.layout import file_name, hour_dir

log = logging.getLogger(__name__)

TMP_SUFFIX = ".tmp"
# Rows per row group of a lake file, which holds its events by capture time: a question about part of an hour (a
# window's edge, the minutes after the newest rollup) reads only the groups whose ``ts`` statistics overlap it.
ROW_GROUP_ROWS = 8192


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> None:
    """Create ``path`` and its parents, syncing each new entry into its parent."""
    if path.is_dir():
        return
    ensure_dir(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        return
    _fsync_dir(path.parent)


def temp_path(final: Path) -> Path:
    """The hidden temporary name ``final`` is written under first."""
    return final.with_name(f".{final.name}.{os.getpid()}{TMP_SUFFIX}")


def write_atomic(table: pa.Table, final: Path, zstd_level: int, row_group_size: int | None = None) -> Path:
    """Write ``table`` to ``final`` so that it appears complete or not at all; returns ``final``."""
    return write_groups(table.schema, [table], final, zstd_level, row_group_size)


def write_groups(schema: pa.Schema, tables: Iterable[pa.Table], final: Path, zstd_level: int,
                 row_group_size: int | None = None) -> Path:
    """Write ``tables`` one after another (each in row groups of its own) to ``final`` as ``write_atomic`` does.

    Only one of them is held at a time: a file of many parts is written in the memory of its largest part.
    """
    ensure_dir(final.parent)
    tmp = temp_path(final)
    try:
        with open(tmp, "wb") as out:
            with pq.ParquetWriter(out, schema, compression="zstd", compression_level=zstd_level) as writer:
                for table in tables:
                    writer.write_table(table.replace_schema_metadata(schema.metadata), row_group_size=row_group_size)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)
    return final


def write_events(table: pa.Table, final: Path, zstd_level: int) -> Path:
    """Write lake events to ``final`` (``write_atomic``) by capture time, in row groups of ``ROW_GROUP_ROWS``."""
    return write_atomic(table.sort_by("ts"), final, zstd_level, ROW_GROUP_ROWS)


def split_by_hour(table: pa.Table) -> list[tuple[datetime, pa.Table]]:
    """Rows of ``table`` grouped by the UTC hour of ``ts``, hours in order."""
    if table.num_rows == 0:
        return []
    hours = pc.floor_temporal(table["ts"], unit="hour")
    out = []
    for hour in sorted(pc.unique(hours).to_pylist()):
        out.append((hour, table.filter(pc.equal(hours, pa.scalar(hour, hours.type)))))
    return out


def write_chunk(root: Path, topic: str, partition: int, name_range: tuple[int, int], table: pa.Table, zstd_level: int) -> list[Path]:
    """Write one chunk's rows as one file per hour, all named after ``name_range``."""
    name = file_name(topic, partition, *name_range)
    return [write_events(rows, hour_dir(root, hour) / name, zstd_level) for hour, rows in split_by_hour(table)]
