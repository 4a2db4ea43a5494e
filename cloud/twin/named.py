"""Named, parameterised queries for the questions operators ask most.

Each takes its time range as parameters and filters on the ``date``
partition column too, so DuckDB reads only the files of those days. A query
with a ``rollup`` reads the hours that rollup table holds exactly (given as
``$exact``, a list of hour starts, by ``Twin.named``) from it, and every
other hour of its ``window`` from raw events: ``Twin.named`` puts those hours
in place of ``RAW_HOURS`` as conditions on the partition columns
(``cloud.twin.rollups.raw_filter``), so the files of the other hours stay
closed. A query whose rollup cannot give its answer can still use it to
``prune``: the exact hours the rollup shows can hold no row of the answer are
not read at all. A query with ``minutes`` also reads the whole minutes of
its window's other hours (the edges, mostly) from that minute table where it
is exact, put in place of ``MINUTES``, and raw rows only around them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

Window = Callable[[Mapping[str, Any]], tuple[Any, Any]]
Read = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
# (read, the query's values, the rollup's exact hours in the window) -> the exact hours to leave unread
Prune = Callable[[Read, Mapping[str, Any], Sequence[datetime]], list[datetime]]


# The instants the twin answers about. Its windows reach an hour or a day past what they are given, which
# Python's calendar cannot do at its own ends; a city's record has no use for years outside these.
EARLIEST = datetime(1970, 1, 2, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


def check_instant(name: str, value: Any) -> None:
    """Raise ``ValueError`` naming ``name`` when ``value`` is a time outside [``EARLIEST``, ``LATEST``]."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        if not EARLIEST <= aware <= LATEST:
            raise ValueError(f"{name} must be between 1970 and 2200, got {value.isoformat()}")


def _given(values: Mapping[str, Any]) -> tuple[Any, Any]:
    return values["t1"], values["t2"]


def _day_before(values: Mapping[str, Any]) -> tuple[Any, Any]:
    """The day up to and including ``now``, as [start, end)."""
    now = values["now"]
    if not isinstance(now, datetime):
        raise ValueError(f"parameter 'now' must be a time (ISO 8601), not {now!r}")
    return now - timedelta(days=1), now + timedelta(microseconds=1)


def _exits(values: Mapping[str, Any]) -> tuple[Any, Any]:
    """When visits that began in [t1, t2) are looked for: t1's day up to the end of the day after t2's."""
    t1, t2 = values["t1"], values["t2"]
    if not all(isinstance(t, datetime) and t.tzinfo is not None for t in (t1, t2)):
        return t1, t2  # not instants: read as raw throughout
    day = timedelta(days=1)
    return (datetime.combine(t1.astimezone(timezone.utc).date(), time(), timezone.utc),
            datetime.combine(t2.astimezone(timezone.utc).date() + 2 * day, time(), timezone.utc))


@dataclass(frozen=True)
class Named:
    """A query with ``$name`` parameters and what it answers."""

    sql: str
    params: tuple[str, ...]
    help: str
    rollup: str | None = None  # the rollup table whose exact hours in the window come as $exact
    window: Window = _given  # the instants [start, end) of the raw rows and rollup buckets read
    prune: Prune | None = None  # None: the exact hours come from the rollup; else: which exact hours hold nothing
    minutes: str | None = None  # the minute table answering the whole minutes of the other hours, put in at MINUTES


_DAYS = "date BETWEEN CAST($t1 AS DATE) AND CAST($t2 AS DATE)"
_RANGE = f"ts >= $t1 AND ts < $t2 AND {_DAYS}"
# A raw row's hour, from its partition: cheaper than truncating each timestamp, and independent of the time zone.
_HOUR = "make_timestamptz(year(date), month(date), day(date), CAST(hour AS INTEGER), 0, 0, 'UTC')"
# The raw hours the rollup does not answer, as partition filters (``rollups.raw_filter``), put in by ``Twin.named``.
RAW_HOURS = "{raw_hours}"
_RAW = f"{_RANGE} AND {RAW_HOURS}"
# The whole minutes of the window's other hours that the minute table holds exactly (``rollups.minute_filter``).
MINUTES = "{minute_rows}"
_ROLLED = f"{_DAYS} AND list_contains($exact, bucket_start)"
_DAY_BEFORE = "date BETWEEN CAST($now - INTERVAL 1 DAY AS DATE) AND CAST($now AS DATE)"


# Exact hours of dwell_hour holding a visit to $zone by a person that began in [$t1, $t2): the others are not read.
_MAY_HOLD_ENTRIES = (
    "SELECT DISTINCT bucket_start FROM dwell_hour WHERE date BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE) "
    "AND list_contains($exact, bucket_start) AND zone = $zone AND object_class = 'person' "
    "AND first_entered < $t2 AND last_entered >= $t1"
)


def _no_entries(read: Read, values: Mapping[str, Any], exact: Sequence[datetime]) -> list[datetime]:
    """The exact hours whose dwell rollup shows no visit to the zone that could have begun in [t1, t2)."""
    if not exact:
        return []
    rows = read(_MAY_HOLD_ENTRIES, {"lo": min(exact), "hi": max(exact), "exact": list(exact),
                                    "zone": values["zone"], "t1": values["t1"], "t2": values["t2"]})
    held = {row[0] for row in rows}
    return [hour for hour in exact if hour not in held]


QUERIES: dict[str, Named] = {
    "flow_per_line_per_hour": Named(
        "SELECT hour_start, site, camera, line, direction, sum(crossings)::BIGINT AS crossings FROM ("
        f"SELECT {_HOUR} AS hour_start, site, camera, line, direction, count(*) AS crossings "
        f"FROM crossings WHERE {_RAW} GROUP BY ALL "
        "UNION ALL SELECT bucket_start, site, camera, line, direction, sum(crossings) "
        f"FROM crossings_hour WHERE {_ROLLED} GROUP BY ALL "
        # time_bucket, unlike date_trunc, cuts hours in UTC whatever the session's time zone
        "UNION ALL SELECT time_bucket(INTERVAL 1 HOUR, bucket_start), site, camera, line, direction, sum(crossings) "
        f"FROM crossings_minute WHERE {MINUTES} GROUP BY ALL) "
        "GROUP BY ALL ORDER BY hour_start, site, camera, line, direction",
        ("t1", "t2"),
        "crossings per line and direction in each hour between t1 and t2",
        rollup="crossings_hour",
        minutes="crossings_minute",
    ),
    "busiest_zones": Named(
        "SELECT site, camera, zone, max(peak) AS peak, sum(total) / sum(samples) AS mean_occupancy, "
        "sum(samples)::BIGINT AS changes FROM ("
        f"SELECT site, camera, zone, max(total) AS peak, sum(total) AS total, count(total) AS samples FROM occupancy "
        f"WHERE {_RAW} GROUP BY ALL "
        "UNION ALL SELECT site, camera, zone, max(max_total), sum(sum_total), sum(samples) "
        f"FROM occupancy_hour WHERE {_ROLLED} GROUP BY ALL "
        "UNION ALL SELECT site, camera, zone, max(max_total), sum(sum_total), sum(samples) "
        f"FROM occupancy_minute WHERE {MINUTES} GROUP BY ALL) "
        "GROUP BY ALL ORDER BY peak DESC, mean_occupancy DESC, site, camera, zone LIMIT 10",
        ("t1", "t2"),
        "the ten zones with the highest occupancy between t1 and t2",
        rollup="occupancy_hour",
        minutes="occupancy_minute",
    ),
    "nodes_offline": Named(
        "SELECT site, camera, node, max(last_seen) AS last_seen FROM ("
        "SELECT site, camera, node, max(ts) AS last_seen FROM health "
        f"WHERE ts >= $now - INTERVAL 1 DAY AND ts <= $now AND {_DAY_BEFORE} AND {RAW_HOURS} GROUP BY ALL "
        "UNION ALL SELECT site, camera, node, max(last_ts) FROM health_hour "
        f"WHERE {_DAY_BEFORE} AND list_contains($exact, bucket_start) GROUP BY ALL "
        f"UNION ALL SELECT site, camera, node, max(last_ts) FROM health_minute WHERE {MINUTES} GROUP BY ALL) "
        "GROUP BY ALL HAVING max(last_seen) < $now - to_seconds(CAST($after_s AS DOUBLE)) "
        "ORDER BY last_seen, site, camera, node",
        ("now", "after_s"),
        "nodes seen in the day before now whose newest health report is older than after_s seconds",
        rollup="health_hour",
        window=_day_before,
        minutes="health_minute",
    ),
    "people_entering_zone": Named(
        "SELECT count(*) AS people FROM ("
        "SELECT DISTINCT node, track_id FROM dwell WHERE zone = $zone AND object_class = 'person' "
        "AND entered >= $t1 AND entered < $t2 "
        f"AND date BETWEEN CAST($t1 AS DATE) AND CAST($t2 AS DATE) + 1 AND {RAW_HOURS})",
        ("zone", "t1", "t2"),
        "people who entered zone X between t1 and t2 (counted when they left it, up to the end of the next day)",
        rollup="dwell_hour",
        window=_exits,
        prune=_no_entries,
    ),
}
