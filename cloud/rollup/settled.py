"""How much of an hour a minute file still answers after the hour's files changed: its minutes before the first new event.

A minute file records the files it was made from (``sources.Recorded.files``).
While an hour is open the sink adds a file with every batch and compaction
merges them, and neither changes a minute already past. So a minute file made
from listing ``recorded`` still holds, exactly, every whole minute before the
earliest event the hour's files added since:

- a file added since adds events no earlier than its first capture time (the
  ``ts`` statistics of its row groups);
- a file compaction merged (``cloud.sink.compact``) names its inputs, with
  their sizes and first and last capture times, in its metadata
  (``MERGED_FROM``): an input the minute file was made from adds nothing, any
  other adds from its first capture time;
- a recorded file that is gone without being an input of a file there now (a
  rewrite, an erasure, a file found damaged) may have taken rows away, and then
  no minute is settled.

A new file whose statistics cannot be read, or that holds an instant outside
the hour (a file filed in another hour's folder), settles nothing. Copies of
one event (``cloud.twin.columns.KEY``) carry the same capture time, so each
minute's events are wholly on one side of the line, and counting each side's
events once counts the hour's once.

The twin reads those minutes from the minute tables and only the rest of the
hour raw (``cloud.twin.rollups.minute_spans``); the reconciler makes only the
minutes from the line on again (``cloud.rollup.make.Maker.hour``).

Example:
    >>> from datetime import datetime, timezone
    >>> hour = datetime(2026, 3, 1, 7, tzinfo=timezone.utc)
    >>> later = {"b.parquet": Facts(hour.replace(minute=12, second=30), hour.replace(minute=14))}
    >>> settled_until(hour, (("a.parquet", 10),), (("a.parquet", 10), ("b.parquet", 5)), later.__getitem__)
    datetime.datetime(2026, 3, 1, 7, 12, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq

from cloud.rollup.sources import Listing
from cloud.sink.compact import MERGED_FROM
from cloud.sink.layout import hour_dir

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)


Bounds = tuple[datetime | None, datetime | None]  # first and last capture time; None: unknown, any instant


@dataclass(frozen=True)
class Facts:
    """What one lake file says of itself: its first and last capture time, and the inputs it was merged from."""

    first: datetime | None  # None: unknown, so it may hold any instant
    last: datetime | None = None
    merged_from: tuple[tuple[str, int, datetime | None, datetime | None], ...] = ()


def _utc(at: object) -> datetime | None:
    if not isinstance(at, datetime):
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def _bounds(meta: pq.FileMetaData) -> Bounds:
    """The smallest and largest ``ts`` in the row groups' statistics; None when a group has rows but no statistics."""
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    if "ts" not in names:
        return None, None
    column = names.index("ts")
    lows: list[datetime] = []
    highs: list[datetime] = []
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        if group.num_rows == 0:
            continue
        stats = group.column(column).statistics
        low, high = (_utc(stats.min), _utc(stats.max)) if stats is not None and stats.has_min_max else (None, None)
        if low is None or high is None:
            return None, None
        lows.append(low)
        highs.append(high)
    return (min(lows), max(highs)) if lows else (None, None)


def _instant(text: object) -> datetime | None:
    return None if text is None else _utc(datetime.fromisoformat(str(text)))


def _merged(meta: pq.FileMetaData) -> tuple[tuple[str, int, datetime | None, datetime | None], ...]:
    raw = (meta.metadata or {}).get(MERGED_FROM)
    if raw is None:
        return ()
    try:
        return tuple((str(name), int(size), _instant(first), _instant(last)) for name, size, first, last in json.loads(raw))
    except (ValueError, TypeError):
        return ()  # unreadable: the file counts as new, from its own capture times


def read_facts(path: Path) -> Facts:
    """``path``'s facts from its footer; a footer that cannot be read gives no first capture time."""
    try:
        meta = pq.read_metadata(path)
    except Exception as exc:  # damaged or gone: settles nothing, and the listing judges it on its own
        log.debug("no facts from %s: %s", path, exc)
        return Facts(None)
    return Facts(*_bounds(meta), _merged(meta))


class FactsCache:
    """``read_facts`` of lake files, each footer read once per (size, modification time).

    Only files added to an hour since its minute file was made are asked about; the ``limit`` newest are kept.
    """

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._kept: dict[Path, tuple[tuple[int, int], Facts]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> Facts:
        try:
            stat = path.stat()
        except OSError:
            return Facts(None)
        signature = (stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._kept.get(path)
        if known is not None and known[0] == signature:
            return known[1]
        facts = read_facts(path)
        with self._lock:
            self._kept.pop(path, None)
            self._kept[path] = (signature, facts)
            while len(self._kept) > self.limit:
                del self._kept[next(iter(self._kept))]
        return facts

    def __len__(self) -> int:
        return len(self._kept)


def floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def settled_in(root: Path, hour: datetime, recorded: Listing, current: Listing, facts: FactsCache) -> datetime:
    """``settled_until`` of the lake at ``root``'s partition of ``hour``, its files' facts from ``facts``."""
    folder = hour_dir(root, hour)
    return settled_until(hour, recorded, current, lambda name: facts.get(folder / name))


def settled_until(hour: datetime, recorded: Listing, current: Listing, facts: Callable[[str], Facts]) -> datetime:
    """The end of ``hour``'s whole minutes that a minute file made from ``recorded`` holds exactly, the hour's readable
    files being ``current`` (names and sizes) now: ``hour`` itself for none, ``hour`` plus an hour for all.

    ``facts`` gives a file of ``current`` by name (``FactsCache.get`` of its path). A new file holding an instant
    outside the hour (filed in another hour's folder) settles nothing: only a whole count can place its rows.
    """
    end = hour + HOUR
    before, now = set(recorded), set(current)
    if before == now:
        return end
    first = end
    merged: set[tuple[str, int]] = set()
    for name, size in now - before:
        found = facts(name)
        if found.merged_from:
            merged |= {(n, s) for n, s, _, _ in found.merged_from}
            added: list[Bounds] = [(lo, hi) for n, s, lo, hi in found.merged_from if (n, s) not in before]
        else:
            added = [(found.first, found.last)]
        for lo, hi in added:
            if lo is None or hi is None or lo < hour or hi >= end:
                return hour
            first = min(first, lo)
    if (before - now) - merged:
        return hour
    return floor_minute(first.astimezone(timezone.utc))
