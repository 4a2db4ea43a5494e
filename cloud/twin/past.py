"""``state_at`` from the rollups where they are exact and raw events elsewhere.

The newest occupancy of each zone (and health of each node) at or before
``at`` is the newest of two candidates: the rollups' ``last_total``/``last_ts``
(``last_fps``) over the buckets they hold exactly before ``at``'s hour (day
tables for whole days, hour tables for the other hours), and the raw events,
``ts <= at``, of every other hour (``at``'s own, late, compacted or not yet
rolled up; the tail's). The raw part reads back only as far as the newest
earlier hour holding a row of each subject among those hours
(``daily.since`` over them), so with rollups in place it reads ``at``'s hour;
of those hours, the whole minutes up to ``at`` come from the minute rollups
where they are exact, so raw rows are read only for ``at``'s own minute. The
flow window likewise takes whole minutes from the minute rollups and only its
edges from raw.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

from cloud.rollup.sources import slot_start
from cloud.twin.daily import NODES, ZONES, Daily, Slot, Subjects
from cloud.twin.rollups import Minutes, edge_minutes, minute_filter, raw_filter
from cloud.twin.views import COPIES

Read = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
Exact = Callable[[str, datetime, datetime], list[datetime]]
_HOUR = timedelta(hours=1)
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class Newest:
    """One "newest value" question: its raw view and value, its rollup kind and the rollup's value columns."""

    subjects: Subjects
    kind: str
    last: str  # the rollup column holding the newest value


ZONE_LAST = Newest(ZONES, "occupancy", "last_total")
NODE_LAST = Newest(NODES, "health", "last_fps")


def _hour_of(at: datetime) -> datetime:
    utc = at.astimezone(timezone.utc)
    return utc.replace(minute=0, second=0, microsecond=0)


def _between_days(first: datetime, end: datetime, days: list[datetime]) -> list[tuple[datetime, datetime]]:
    """The parts of [``first``, ``end``) that the whole ``days`` (midnights, ascending) leave out."""
    out: list[tuple[datetime, datetime]] = []
    start = first
    for day in days:
        if day > start:
            out.append((start, min(day, end)))
        start = max(start, day + timedelta(days=1))
    if start < end:
        out.append((start, end))
    return [(lo, hi) for lo, hi in out if lo < hi]


class Past:
    """Answers ``state_at``'s questions with ``read`` (trusted SQL), ``exact`` (``Twin.exact``) and ``minutes``
    (``Twin.minutes``)."""

    def __init__(self, read: Read, exact: Exact, minutes: Minutes, daily: Daily) -> None:
        self.read, self.exact, self.minutes, self.daily = read, exact, minutes, daily

    def newest(self, q: Newest, at: datetime, listing: Mapping[Slot, Hashable], fresh: set[Slot]) -> dict[tuple[Any, ...], tuple[datetime, Any]]:
        """Subject keys -> (time, value) of the newest value at or before ``at``."""
        hour = _hour_of(at)
        first = slot_start(min(listing)) if listing else hour  # (date, "HH") sorts as time does
        days = self.exact(f"{q.kind}_day", first, datetime.combine(hour.date(), time(), timezone.utc))
        # The hour table is asked only about the days the day table does not hold: mostly ``at``'s own.
        hours = [h for lo, hi in _between_days(first, hour, days) for h in self.exact(f"{q.kind}_hour", lo, hi)]
        held = set(hours) | {d + timedelta(hours=h) for d in days for h in range(24)}
        # Raw: the hours the rollups do not hold, back to the newest earlier one of each subject among them; of
        # those, the whole minutes up to ``at`` come from the minute rollups where they are exact.
        held_slots = {(h.date(), f"{h.hour:02d}") for h in held}
        raw_listing = {s: sig for s, sig in listing.items() if s not in held_slots}
        since = self.daily.since(q.subjects, at, raw_listing, fresh)
        back = datetime.combine(since, time(), timezone.utc)
        spans = edge_minutes(self.minutes, f"{q.kind}_minute", back, at + _INSTANT, held)
        keys = ", ".join(q.subjects.keys)
        # One statement: every instant up to ``at`` is answered by exactly one of these sources.
        # Raw rows from the view keeping every copy of an event: the newest value is the same over copies, and the
        # open hour then costs a group per subject instead of every event key it holds (``views.COPIES``).
        parts = [f"SELECT {keys}, ts, {q.subjects.value} AS v FROM {q.subjects.view}{COPIES} WHERE ts <= $at "
                 f"AND date BETWEEN $since AND CAST($at AS DATE) "
                 f"AND {raw_filter(back, hour + _HOUR, held, set(listing) | fresh, spans)}"]
        params: dict[str, Any] = {"at": at, "since": since}
        if days:
            parts.append(f"SELECT {keys}, last_ts, {q.last} FROM {q.kind}_day WHERE list_contains($days, bucket_start)")
            params["days"] = days
        if hours:
            parts.append(f"SELECT {keys}, last_ts, {q.last} FROM {q.kind}_hour "
                         "WHERE date BETWEEN $lo AND $hi AND list_contains($hours, bucket_start)")
            params.update(hours=hours, lo=min(hours).date(), hi=hour.date())
        if spans:
            parts.append(f"SELECT {keys}, last_ts, {q.last} FROM {q.kind}_minute WHERE {minute_filter(spans)}")
        rows = self.read(f"SELECT {keys}, max(ts), arg_max(v, ts) FROM ({' UNION ALL '.join(parts)}) GROUP BY ALL",
                         params)
        return {tuple(r[:-2]): (r[-2], r[-1]) for r in rows}

    def flow(self, at: datetime, start: datetime, slots: set[Slot]) -> list[tuple[Any, ...]]:
        """Crossings per (site, camera, line, direction) with ``start < ts <= at``."""
        # (start, at] is [start + 1 µs, at + 1 µs): the whole minutes inside it come from the minute rollups
        spans = edge_minutes(self.minutes, "crossings_minute", start + _INSTANT, at + _INSTANT)
        return self.read(
            "SELECT site, camera, line, direction, sum(n)::BIGINT FROM ("
            "SELECT site, camera, line, direction, 1 AS n FROM crossings WHERE ts > $start AND ts <= $at "
            "AND date BETWEEN CAST($start AS DATE) AND CAST($at AS DATE) "
            f"AND {raw_filter(start, _hour_of(at) + _HOUR, (), slots, spans)} "
            "UNION ALL SELECT site, camera, line, direction, crossings FROM crossings_minute "
            f"WHERE {minute_filter(spans)}) GROUP BY ALL",
            {"at": at, "start": start})
