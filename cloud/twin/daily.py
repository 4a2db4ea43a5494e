"""Small answers per day of the lake (a count, the zones and nodes seen), kept until that day's files change.

A closed day's answer depends only on its files, so it is computed once per
listing of that day (names, sizes, modification times) and reused; days the
live tail touches are computed afresh each time, since the tail moves. What
is kept is a few rows per day, never the events themselves.

``since`` uses them so that a "newest value at or before ``at``" question
reads only the days that can hold an answer: ``at``'s own day, and for each
zone or node seen before it, back to the newest earlier day that holds one of
its rows. Exact anywhere within retention, without reading all of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

log = logging.getLogger(__name__)

Read = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Subjects:
    """What a "newest value" question is about: a view, the columns naming a subject, and its value column."""

    view: str
    keys: tuple[str, ...]
    value: str

    def sql(self) -> str:
        keys = ", ".join(self.keys)
        # A subject whose newest rows carry no value (NULL) still needs the day that last had one.
        return (f"SELECT date, {keys}, count({self.value}) > 0 FROM {self.view} "
                "WHERE date BETWEEN $lo AND $hi GROUP BY ALL")


ZONES = Subjects("occupancy", ("site", "camera", "zone"), "total")
NODES = Subjects("health", ("site", "camera", "node"), "fps")


def utc_day(at: datetime) -> date:
    return at.astimezone(timezone.utc).date()


class Daily:
    """Per-day answers of ``read``, cached by each day's listing signature."""

    def __init__(self, read: Read) -> None:
        self._read = read
        self._kept: dict[tuple[str, date], tuple[Hashable, list[tuple[Any, ...]]]] = {}
        self._lock = threading.Lock()

    def rows(self, sql: str, listing: dict[date, Hashable], fresh: Iterable[date] = ()) -> dict[date, list[tuple[Any, ...]]]:
        """``sql`` (``date`` first, over ``$lo``..``$hi``) per day of ``listing``; ``fresh`` days always run again."""
        fresh = set(fresh)
        with self._lock:
            kept = {d: self._kept.get((sql, d)) for d in listing}
        missing = sorted(d for d, k in kept.items() if k is None or k[0] != listing[d] or d in fresh)
        out = {d: k[1] for d, k in kept.items() if k is not None and d not in missing}
        if missing:
            found: dict[date, list[tuple[Any, ...]]] = {d: [] for d in missing}
            for row in self._read(sql, {"lo": missing[0], "hi": missing[-1]}):
                if row[0] in found:
                    found[row[0]].append(tuple(row[1:]))
            with self._lock:
                self._kept.update({(sql, d): (listing[d], rows) for d, rows in found.items()})
                for key in [k for k in self._kept if k[0] == sql and k[1] not in listing]:
                    del self._kept[key]  # a day retention removed
            out.update(found)
            log.debug("daily answers: computed %d days of %s", len(missing), sql[:60])
        return out

    def since(self, subjects: Subjects, at: datetime, listing: dict[date, Hashable], fresh: Iterable[date]) -> date:
        """The first day to read for the newest row, at or before ``at``, of every subject seen by then."""
        day = utc_day(at)
        fresh = {d for d in fresh if d <= day}
        earlier = {d: s for d, s in listing.items() if d < day}
        earlier.update({d: None for d in fresh if d < day and d not in earlier})
        first, seen = day, set[tuple[Any, ...]]()
        for d, rows in sorted(self.rows(subjects.sql(), earlier, fresh).items(), reverse=True):
            found = {row for row in rows if row[-1]} | {row[:-1] for row in rows}
            if found - seen:
                first = d
                seen |= found
        return first
