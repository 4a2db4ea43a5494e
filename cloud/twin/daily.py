"""Small answers per hour of the lake (a count, the zones and nodes seen), kept until that hour's files change.

An hour's answer depends only on its files, so it is computed once per
listing of that ``date=``/``hour=`` partition (names, sizes, modification
times) and reused; hours the live tail touches are computed afresh each time,
since the tail moves. What is kept is a few rows per hour, never the events.

``since`` uses them so that a "newest value at or before ``at``" question
reads only the days that can hold an answer: ``at``'s own day, and for each
zone or node seen before ``at``'s hour, back to the newest earlier hour that
holds one of its rows. When every zone has reported earlier the same day, that
is one day. Exact anywhere within retention, without reading all of it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from cloud.twin.hourly_store import HourlyStore, digest

log = logging.getLogger(__name__)

Read = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
Slot = tuple[date, str]  # a partition: date and hour ("00".."23")


@dataclass(frozen=True)
class Subjects:
    """What a "newest value" question is about: a view, the columns naming a subject, and its value column."""

    view: str
    keys: tuple[str, ...]
    value: str

    def sql(self) -> str:
        keys = ", ".join(self.keys)
        # A subject whose newest rows carry no value (NULL) still needs the day that last had one.
        return (f"SELECT date, hour, {keys}, count({self.value}) > 0 FROM {self.view} "
                "WHERE date BETWEEN $lo AND $hi GROUP BY ALL")


ZONES = Subjects("occupancy", ("site", "camera", "zone"), "total")
NODES = Subjects("health", ("site", "camera", "node"), "fps")


_HOUR = re.compile(r"[01][0-9]|2[0-3]", re.ASCII)


def _only(sql: str, hours: list[str]) -> str:
    """``sql`` kept to ``hours`` of its day; the whole day when they are all or one is not a real hour.

    The filter on the partition column reaches the scan, so an hour that changed (the open one, a late one) costs
    what it holds, not what its day holds. Only real hours ever become literals.
    """
    if len(set(hours)) >= 24 or not all(_HOUR.fullmatch(h) for h in hours):
        return sql
    return f"SELECT * FROM ({sql}) WHERE hour IN ({', '.join(sorted({repr(h) for h in hours}))})"


def slot_of(at: datetime) -> Slot:
    """The partition that holds ``at``."""
    utc = at.astimezone(timezone.utc)
    return utc.date(), f"{utc.hour:02d}"


class Daily:
    """Per-hour answers of ``read``, cached by each hour's listing signature."""

    def __init__(self, read: Read, store: HourlyStore | None = None) -> None:
        self._read = read
        self._store = store if store is not None else HourlyStore(None)
        self._kept: dict[tuple[str, Slot], tuple[Hashable, list[tuple[Any, ...]]]] = {}
        self._lock = threading.Lock()

    def rows(self, sql: str, listing: dict[Slot, Hashable], fresh: Iterable[Slot] = ()) -> dict[Slot, list[tuple[Any, ...]]]:
        """``sql`` (columns ``date, hour`` first, over days ``$lo``..``$hi``) per hour of ``listing``; ``fresh`` again."""
        fresh = set(fresh)
        with self._lock:
            kept = {s: self._kept.get((sql, s)) for s in listing}
        missing = sorted(s for s, k in kept.items() if k is None or k[0] != listing[s] or s in fresh)
        out = {s: k[1] for s, k in kept.items() if k is not None and s not in missing}
        question = digest(sql)
        stored = self._store.get(question, {s: listing[s] for s in missing if s not in fresh})
        if stored:
            with self._lock:
                self._kept.update({(sql, s): (listing[s], rows) for s, rows in stored.items()})
            out.update(stored)
            missing = [s for s in missing if s not in stored]
        if missing:
            found: dict[Slot, list[tuple[Any, ...]]] = {s: [] for s in missing}
            for day in sorted({d for d, _ in missing}):  # a day at a time: what one query holds stays bounded
                for row in self._read(_only(sql, [h for d, h in missing if d == day]), {"lo": day, "hi": day}):
                    if (row[0], row[1]) in found:
                        found[(row[0], row[1])].append(tuple(row[2:]))
            with self._lock:
                self._kept.update({(sql, s): (listing[s], rows) for s, rows in found.items()})
                for key in [k for k in self._kept if k[0] == sql and k[1] not in listing]:
                    del self._kept[key]  # an hour retention or compaction removed
            out.update(found)
            # Hours the tail touches move with it: only answers from files alone are worth keeping.
            gone = [s for s in self._stored_slots(question) if s not in listing]
            self._store.put(question, {s: r for s, r in found.items() if s not in fresh}, listing, gone)
            log.debug("hourly answers: computed %d hours of %s", len(missing), sql[:60])
        return out

    def _stored_slots(self, question: str) -> list[Slot]:
        slots = []
        for key in self._store.kept_slots(question):
            day, _, hour = key.partition("/")
            try:
                slots.append((date.fromisoformat(day), hour))
            except ValueError:
                continue
        return slots

    def since(self, subjects: Subjects, at: datetime, listing: dict[Slot, Hashable], fresh: Iterable[Slot]) -> date:
        """The first day to read for the newest row, at or before ``at``, of every subject seen by then."""
        return self.since_hour(subjects, at, listing, fresh)[0]

    def since_hour(self, subjects: Subjects, at: datetime, listing: dict[Slot, Hashable], fresh: Iterable[Slot]) -> Slot:
        """The first hour to read for the newest row, at or before ``at``, of every subject seen by then."""
        now = slot_of(at)
        earlier = {s: sig for s, sig in listing.items() if s < now}
        earlier.update({s: None for s in fresh if s < now and s not in earlier})
        first, seen = now, set[tuple[Any, ...]]()
        for slot, rows in sorted(self.rows(subjects.sql(), earlier, fresh).items(), reverse=True):
            found = {row for row in rows if row[-1]} | {row[:-1] for row in rows}
            if found - seen:
                first = slot
                seen |= found
        return first
