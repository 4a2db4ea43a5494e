"""Where lake files live and what their names say.

Layout: ``<lake>/date=YYYY-MM-DD/hour=HH/<topic>-p<partition>-o<first>-o<last>.parquet``
(the rollups made from them live beside, under ``<lake>/rollups/``: ``cloud.rollup.tables``),
with the Hive partition taken from each event's capture time ``ts`` (UTC) and
offsets zero-padded to 12 digits so names sort by offset. ``first``..``last``
is the Kafka offset range of the batch the file came from (or, after
compaction, of the files merged into it); the file holds that range's events
whose ``ts`` falls in its hour. Names are deterministic, so writing the same
offsets again replaces a file instead of adding one.

Example:
    >>> name = file_name("citytwin.events", 2, 1200, 1699)
    >>> name
    'citytwin.events-p2-o000000001200-o000000001699.parquet'
    >>> parse_name(name)
    FileRange(topic='citytwin.events', partition=2, first=1200, last=1699)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SUFFIX = ".parquet"
_OFFSET_DIGITS = 12
_NAME = re.compile(r"^(?P<topic>.+)-p(?P<partition>\d+)-o(?P<first>\d{12,})-o(?P<last>\d{12,})\.parquet$")
_HOUR_DIR = re.compile(r"^date=\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, order=True)
class FileRange:
    """What a lake file name says: topic, partition and the batch's offset range."""

    topic: str
    partition: int
    first: int
    last: int

    def covers(self, other: FileRange) -> bool:
        """Whether ``other`` (same topic and partition) lies inside this range."""
        return (
            (self.topic, self.partition) == (other.topic, other.partition)
            and self.first <= other.first
            and other.last <= self.last
        )


def file_name(topic: str, partition: int, first: int, last: int) -> str:
    """The lake file name for offsets ``first``..``last`` of ``topic``/``partition``."""
    return f"{topic}-p{partition}-o{first:0{_OFFSET_DIGITS}d}-o{last:0{_OFFSET_DIGITS}d}{SUFFIX}"


def parse_name(name: str) -> FileRange | None:
    """The range a lake file name describes; None for any other file."""
    match = _NAME.match(name)
    if match is None:
        return None
    return FileRange(match["topic"], int(match["partition"]), int(match["first"]), int(match["last"]))


def hour_dir(root: Path, hour_start: datetime) -> Path:
    """``root/date=YYYY-MM-DD/hour=HH`` for the UTC hour starting at ``hour_start``."""
    utc = hour_start.astimezone(timezone.utc)
    return root / f"date={utc:%Y-%m-%d}" / f"hour={utc:%H}"


def hour_dirs(root: Path) -> Iterator[Path]:
    """Every ``date=/hour=`` folder under ``root``."""
    if not root.is_dir():
        return
    for day in sorted(root.iterdir()):
        if day.is_dir() and _HOUR_DIR.match(day.name):
            yield from sorted(h for h in day.iterdir() if h.is_dir() and h.name.startswith("hour="))


def lake_files(root: Path, topic: str, partition: int | None = None) -> Iterator[tuple[Path, FileRange]]:
    """Lake files of ``topic`` (and ``partition`` if given), with their ranges."""
    prefix = f"{topic}-p" if partition is None else f"{topic}-p{partition}-"
    for folder in hour_dirs(root):
        for entry in folder.iterdir():
            if entry.name.startswith(prefix):
                found = parse_name(entry.name)
                if found is not None and found.topic == topic and (partition is None or found.partition == partition):
                    yield entry, found
