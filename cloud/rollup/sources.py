"""What a rollup file was built from: the raw listing of each hour it covers, kept in its Parquet metadata.

Every rollup file carries, under ``tables.META_SOURCES``, a JSON object
``{"hours": {"YYYY-MM-DD/HH": digest}}``: for each raw hour partition it
summarises, a digest of that partition's readable files (names and sizes) at
the time it was built. A minute file covers one hour and also lists the files
themselves (``"files"``). A reader compares the digests with the current
listing: a rollup bucket is exact when every hour under it still has the
listing it was built from (``exact_hours``); any other hour is read from raw.
A minute file also says whether its hour's files held each event once
(``"duplicate_free": true``): while that listing stands, the twin reads the
hour's raw rows without deduplicating them (``cloud.twin.views``).

Example:
    >>> digest((("a.parquet", 10),)) == digest((("a.parquet", 10),))
    True
    >>> slot_key((date(2026, 3, 1), "07"))
    '2026-03-01/07'
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path

import pyarrow.parquet as pq

from cloud.rollup.tables import META_SOURCES, META_VERSION, VERSION

log = logging.getLogger(__name__)

Slot = tuple[date, str]  # a raw partition: date and hour ("00".."23")
Listing = tuple[tuple[str, int], ...]  # the partition's readable files: name, size; sorted


def slot_key(slot: Slot) -> str:
    return f"{slot[0].isoformat()}/{slot[1]}"


def slot_start(slot: Slot) -> datetime:
    """The UTC instant partition ``slot`` begins."""
    return datetime.combine(slot[0], time(int(slot[1])), timezone.utc)


def parse_slot(key: str) -> Slot:
    day, hour = key.split("/")
    return date.fromisoformat(day), hour


def listing_of(files: Iterable[tuple[str, int, int]]) -> Listing:
    """A partition's listing from ``LakeFiles.hours`` entries (name, size, mtime): names and sizes, sorted."""
    return tuple(sorted((name, size) for name, size, _mtime in files))


def digest(listing: Listing) -> str:
    """A short, stable digest of a listing."""
    return hashlib.sha256(json.dumps(sorted(listing)).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Recorded:
    """What one rollup file says it was built from."""

    version: int
    hours: dict[str, str]  # slot key -> digest of its listing
    files: Listing = ()
    duplicate_free: bool = False  # a minute file's hour: its files held each event (``cloud.twin.columns.KEY``) once

    def metadata(self) -> dict[bytes, bytes]:
        body: dict[str, object] = {"hours": self.hours}
        if self.files:
            body["files"] = [list(f) for f in self.files]
        if self.duplicate_free:
            body["duplicate_free"] = True
        return {META_VERSION: str(self.version).encode(), META_SOURCES: json.dumps(body, sort_keys=True).encode()}

    @classmethod
    def of(cls, metadata: Mapping[bytes, bytes] | None) -> Recorded | None:
        """The record in a file's key-value metadata; ``None`` when it has none or it cannot be read."""
        try:
            meta = metadata or {}
            body = json.loads(meta[META_SOURCES])
            files = tuple((str(n), int(s)) for n, s in body.get("files", []))
            return cls(int(meta[META_VERSION]), {str(k): str(v) for k, v in body["hours"].items()}, files,
                       body.get("duplicate_free") is True)
        except (KeyError, ValueError, TypeError, AttributeError):
            return None


class RecordCache:
    """The ``Recorded`` of rollup files, each footer read once per (size, modification time); a removed file is
    forgotten when it is next asked for."""

    def __init__(self) -> None:
        self._kept: dict[Path, tuple[tuple[int, int], Recorded | None]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> Recorded | None:
        """What ``path`` records; ``None`` when it is missing, damaged, of another version or records nothing."""
        try:
            stat = path.stat()
        except OSError:  # removed (its hour's raw files went, retention): forgotten, so the cache holds only files there
            with self._lock:
                self._kept.pop(path, None)
            return None
        signature = (stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._kept.get(path)
        if known is not None and known[0] == signature:
            return known[1]
        try:
            recorded = Recorded.of(pq.read_schema(path).metadata)
        except Exception as exc:  # a damaged footer: the file is not trusted, its hours are read from raw
            log.warning("rollup file %s cannot be read (%s); its hours are read from raw", path, exc)
            recorded = None
        if recorded is not None and recorded.version != VERSION:
            recorded = None
        with self._lock:
            self._kept[path] = (signature, recorded)
        return recorded


def exact_hours(recorded: Recorded | None, current: Mapping[str, str]) -> set[str]:
    """The hours a rollup file holds exactly: recorded with the digest of their current listing."""
    if recorded is None:
        return set()
    return {key for key, value in recorded.hours.items() if current.get(key) == value}
