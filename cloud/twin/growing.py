"""The span of an hour that grows (first and last event time, event count), at the cost of what it gained.

``Twin.span`` keeps each settled hour's answer while its files stay the same
(``daily.Daily``). The open hour's files change with every batch, and the
tail moves with every event, so its answer would be counted again from the
whole hour at every question. Here such an hour is kept per minute instead,
with the listing it was counted from: after the next batch, the minutes
before the first event a new file adds (``cloud.rollup.settled``) and before
the first event the tail holds of the hour are still right, and only the rest
is counted again, deduplicated. Only the rows of files are kept: the tail's
minutes are counted at every question.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cloud.rollup.settled import HOUR, FactsCache, floor_minute, settled_in
from cloud.rollup.sources import Listing, Slot, listing_of, slot_start

Read = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
Span = tuple[datetime, datetime, int]  # first event time, last, events
# The twin's ``events`` view, deduplicated: lake and tail together.
_MINUTES = ("SELECT time_bucket(INTERVAL 1 MINUTE, ts) AS minute, min(ts), max(ts), count(*) FROM events "
            "WHERE date = $day AND hour = $hour{since} GROUP BY ALL")


class GrowingHours:
    """Spans of the hours that grow, each kept per minute with the listing it was counted from."""

    def __init__(self, lake: Path, read: Read, facts: FactsCache) -> None:
        self.lake = lake
        self.read = read
        self.facts = facts  # the twin's one cache of its files' facts (``rollups.Coverage.facts``)
        # slot -> (listing counted, minutes before this hold files' rows alone and are right for it, minute -> span)
        self._kept: dict[Slot, tuple[Listing, datetime, dict[datetime, Span]]] = {}

    def span(self, slot: Slot, files: tuple[tuple[str, int, int], ...], tail_first: datetime | None) -> Span | None:
        """The span of ``slot`` (its readable ``files``: names, sizes, modification times; the tail's first event
        time in it), lake and tail together; None when it holds no event."""
        hour = slot_start(slot)
        end = hour + HOUR
        listing = listing_of(files)
        tail = end if tail_first is None else max(hour, floor_minute(tail_first.astimezone(timezone.utc)))
        known = self._kept.get(slot)
        since, minutes = hour, {}
        if known is not None:
            counted, valid, rows = known
            since = min(valid, settled_in(self.lake, hour, counted, listing, self.facts))
            minutes = {m: r for m, r in rows.items() if m < since}
        since = min(since, tail)
        minutes = {m: r for m, r in minutes.items() if m < since}
        if since < end:
            # From the hour's start, every row of its folder: a file filed there may hold instants of other hours.
            params: dict[str, Any] = {"day": slot[0], "hour": slot[1]}
            if since > hour:
                params["since"] = since
            sql = _MINUTES.format(since=" AND ts >= $since" if since > hour else "")
            for minute, first, last, count in self.read(sql, params):
                minutes[minute] = (first, last, int(count))
        # Minutes from the tail's first on hold its rows too: only what files alone hold is kept.
        self._kept[slot] = (listing, tail, {m: r for m, r in minutes.items() if m < tail})
        if not minutes:
            return None
        spans = minutes.values()
        return min(s[0] for s in spans), max(s[1] for s in spans), sum(s[2] for s in spans)

    def keep(self, slots: Iterable[Slot]) -> None:
        """Forget every hour but ``slots``."""
        wanted = set(slots)
        self._kept = {s: v for s, v in self._kept.items() if s in wanted}

