"""Merge small lake files into larger ones, without losing or duplicating a row.

A sink runs this on a schedule over the partitions it owns, in each
``date=/hour=`` folder separately. Only files whose whole offset range is
below the partition's committed offset qualify (no running batch or re-run
can write them again), and only once they are ``min_age_s`` old. Runs of
consecutive files of one partition and one size tier (``tier``: a merged file
waits for ``min_files`` files of its own size) are merged in offset order
until about ``target_mb``, so a run costs what arrived since the last one,
not what the hour holds. The merged file is named after the first and last
offsets of its inputs, names them (with their sizes and first and last
capture times) in its metadata, is written atomically, checked to hold
exactly the inputs' distinct offsets, and only then are the inputs deleted.

Crash safety: if the process dies after the merged file is renamed into place
but before the inputs are gone, the next run finds files whose ranges lie
inside the merged file's range, checks that their offsets are all in it, and
deletes them. Rows with the same Kafka offset (a batch written twice) collapse
to one in the merged file.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloud.sink.layout import FileRange, file_name, hour_dirs, parse_name
from cloud.sink.schedule import Schedule
from cloud.sink.settings import CompactionSettings
from cloud.sink.writer import TMP_SUFFIX, write_events

log = logging.getLogger(__name__)

# A temporary file this old belongs to a writer that died.
STALE_TMP_S = 3600.0
# Files below this size are the first tier; each tier above holds files ``min_files`` times larger (``tier``).
TIER_BASE = 256 * 1024
# Parquet metadata of a merged file: JSON ``[[name, size, first ts, last ts], ...]`` of its inputs (ISO or null).
MERGED_FROM = b"citytwin.merged_from"


@dataclass
class CompactionStats:
    """What one compaction run did."""

    merged_files: int = 0
    written_files: int = 0
    leftovers_removed: int = 0
    rows: int = 0


def _offsets(path: Path) -> pa.Array:
    return pq.read_table(path, columns=["kafka_offset"]).column("kafka_offset").combine_chunks()


def _remove_leftovers(files: list[tuple[Path, FileRange]], stats: CompactionStats) -> list[tuple[Path, FileRange]]:
    """Delete files whose rows are all in a larger file of the same partition; return the rest."""
    files = sorted(files, key=lambda item: (item[1].first, -item[1].last))
    kept: list[tuple[Path, FileRange]] = []
    for path, found in files:
        outer = next((k for k in kept if k[1].covers(found)), None)
        if outer is None:
            kept.append((path, found))
            continue
        inner_offsets = _offsets(path)
        missing = pc.sum(pc.invert(pc.is_in(inner_offsets, value_set=_offsets(outer[0])))).as_py() or 0
        if missing:
            log.warning("%s lies inside %s but has %d rows it lacks; keeping both", path.name, outer[0].name, missing)
            kept.append((path, found))
            continue
        log.info("removing %s: its rows are all in %s", path, outer[0].name)
        path.unlink(missing_ok=True)
        stats.leftovers_removed += 1
    return kept


def tier(size: int, ratio: int) -> int:
    """The size tier of a file of ``size`` bytes: 0 below ``TIER_BASE``, one more for each ``ratio`` times that."""
    level, bound = 0, TIER_BASE
    while size >= bound:
        level, bound = level + 1, bound * ratio
    return level


def _groups(files: list[tuple[Path, FileRange]], target_bytes: int, min_files: int) -> list[list[tuple[Path, FileRange]]]:
    """Consecutive runs of files of one size tier whose sizes add up to about ``target_bytes``.

    A merged file is merged again only with ``min_files`` files of its own size, never with each batch that
    follows it: what a run reads stays about what arrived since the last (and, now and then, ``min_files``
    files of one tier), not the hour so far, and each row is written again once per tier on its way to
    ``target_mb``.
    """
    groups: list[list[tuple[Path, FileRange]]] = []
    current: list[tuple[Path, FileRange]] = []
    size, level = 0, -1
    for path, found in sorted(files, key=lambda item: item[1].first):
        length = path.stat().st_size
        if current and (size + length > target_bytes or tier(length, min_files) != level):
            groups.append(current)
            current, size = [], 0
        current.append((path, found))
        size, level = size + length, tier(length, min_files)
    groups.append(current)
    return [group for group in groups if len(group) >= min_files]


def _span(part: pa.Table) -> tuple[datetime | None, datetime | None]:
    bounds = pc.min_max(part["ts"]).as_py() if part.num_rows else {}
    return bounds.get("min"), bounds.get("max")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(timezone.utc).isoformat()


def merged_from_metadata(inputs: Iterable[tuple[str, int, datetime | None, datetime | None]]) -> dict[bytes, bytes]:
    """The metadata a merged file carries naming its ``inputs`` (name, size, first and last capture time)."""
    return {MERGED_FROM: json.dumps([[name, size, _iso(first), _iso(last)] for name, size, first, last in inputs]).encode()}


def _merge(folder: Path, group: list[tuple[Path, FileRange]], zstd_level: int, stats: CompactionStats) -> None:
    first = min(found.first for _, found in group)
    last = max(found.last for _, found in group)
    topic, partition = group[0][1].topic, group[0][1].partition
    target = folder / file_name(topic, partition, first, last)
    if target.exists() and target not in {path for path, _ in group}:
        log.warning("not compacting into %s: a file of that name exists", target)
        return
    parts = [(path, path.stat().st_size, pq.read_table(path)) for path, _ in group]
    # Readers and the reconciler tell from these which rows were already counted (``cloud.rollup.settled``).
    inputs = [(path.name, size, *_span(part)) for path, size, part in parts]
    table = pa.concat_tables([part for _, _, part in parts], promote_options="default")
    del parts
    table = table.sort_by("kafka_offset")
    offsets = table.column("kafka_offset").combine_chunks()
    keep = pc.invert(pc.equal(offsets, pa.concat_arrays([pa.array([-1], offsets.type), offsets.slice(0, len(offsets) - 1)])))
    table = table.filter(keep)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **merged_from_metadata(inputs)})
    write_events(table, target, zstd_level)
    written = pq.read_metadata(target).num_rows
    distinct = pc.count_distinct(offsets).as_py()
    if written != distinct:
        raise RuntimeError(f"compacted {target} holds {written} rows, expected {distinct}; inputs kept")
    for path, _ in group:
        if path != target:
            path.unlink(missing_ok=True)
    stats.merged_files += len(group)
    stats.written_files += 1
    stats.rows += written
    log.info("compacted %d files of %s partition %d into %s (%d rows)", len(group), topic, partition, target, written)


def _remove_stale_tmp(folder: Path, now: float) -> None:
    for entry in folder.iterdir():
        if entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX) and now - entry.stat().st_mtime > STALE_TMP_S:
            log.info("removing stale temporary file %s", entry)
            entry.unlink(missing_ok=True)


def compact_folder(
    folder: Path, topic: str, committed: Mapping[int, int], settings: CompactionSettings, zstd_level: int, now: float
) -> CompactionStats:
    """Compact one ``date=/hour=`` folder for the partitions in ``committed``."""
    stats = CompactionStats()
    _remove_stale_tmp(folder, now)
    by_partition: dict[int, list[tuple[Path, FileRange]]] = defaultdict(list)
    for entry in folder.iterdir():
        found = parse_name(entry.name)
        if found is not None and found.topic == topic and found.partition in committed:
            by_partition[found.partition].append((entry, found))
    target_bytes = int(settings.target_mb * 2**20)
    for partition, files in sorted(by_partition.items()):
        files = _remove_leftovers(files, stats)
        eligible = [
            (path, found)
            for path, found in files
            if found.last < committed[partition]
            and now - path.stat().st_mtime >= settings.min_age_s
            and path.stat().st_size < target_bytes
        ]
        for group in _groups(eligible, target_bytes, settings.min_files):
            _merge(folder, group, zstd_level, stats)
    return stats


def compact(root: Path, topic: str, committed: Mapping[int, int], settings: CompactionSettings, zstd_level: int) -> CompactionStats:
    """Compact every hour folder of the lake for the partitions in ``committed``."""
    total = CompactionStats()
    now = time.time()
    for folder in hour_dirs(root):
        stats = compact_folder(folder, topic, committed, settings, zstd_level, now)
        total.merged_files += stats.merged_files
        total.written_files += stats.written_files
        total.leftovers_removed += stats.leftovers_removed
        total.rows += stats.rows
    return total


class CompactionSchedule(Schedule):
    """Runs ``compact`` every ``interval_s`` on a background thread until stopped; a failed merge keeps its inputs."""

    def __init__(
        self,
        root: Path,
        topic: str,
        settings: CompactionSettings,
        zstd_level: int,
        committed: Callable[[], dict[int, int]],
    ) -> None:
        super().__init__("sink-compaction", settings.interval_s, settings.enabled,
                         lambda: compact(root, topic, committed(), settings, zstd_level))
