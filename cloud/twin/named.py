"""Named, parameterised queries for the questions operators ask most.

Each takes its time range as parameters and filters on the ``date``
partition column too, so DuckDB reads only the files of those days. A query
with a ``rollup`` reads the hours that rollup table holds exactly (given as
``$exact``, a list of hour starts, by ``Twin.named``) from it, and every
other hour of the range from raw events: ``Twin.named`` puts those hours in
place of ``RAW_HOURS`` as conditions on the partition columns
(``cloud.twin.rollups.raw_filter``), so the files of the other hours stay closed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

Window = Callable[[Mapping[str, Any]], tuple[Any, Any]]


def _given(values: Mapping[str, Any]) -> tuple[Any, Any]:
    return values["t1"], values["t2"]


def _day_before(values: Mapping[str, Any]) -> tuple[Any, Any]:
    """The day up to and including ``now``, as [t1, t2)."""
    now = values["now"]
    if not isinstance(now, datetime):
        raise ValueError(f"parameter 'now' must be a time (ISO 8601), not {now!r}")
    return now - timedelta(days=1), now + timedelta(microseconds=1)


@dataclass(frozen=True)
class Named:
    """A query with ``$name`` parameters and what it answers."""

    sql: str
    params: tuple[str, ...]
    help: str
    rollup: str | None = None  # the rollup table whose exact hours between $t1 and $t2 come as $exact
    window: Window = _given  # $t1 and $t2 from the parameters, for a query with a rollup


_DAYS = "date BETWEEN CAST($t1 AS DATE) AND CAST($t2 AS DATE)"
_RANGE = f"ts >= $t1 AND ts < $t2 AND {_DAYS}"
# A raw row's hour, from its partition: cheaper than truncating each timestamp, and independent of the time zone.
_HOUR = "make_timestamptz(year(date), month(date), day(date), CAST(hour AS INTEGER), 0, 0, 'UTC')"
# The raw hours the rollup does not answer, as partition filters (``rollups.raw_filter``), put in by ``Twin.named``.
RAW_HOURS = "{raw_hours}"
_RAW = f"{_RANGE} AND {RAW_HOURS}"
_ROLLED = f"{_DAYS} AND list_contains($exact, bucket_start)"

QUERIES: dict[str, Named] = {
    "flow_per_line_per_hour": Named(
        "SELECT hour_start, site, camera, line, direction, sum(crossings)::BIGINT AS crossings FROM ("
        f"SELECT {_HOUR} AS hour_start, site, camera, line, direction, count(*) AS crossings "
        f"FROM crossings WHERE {_RAW} GROUP BY ALL "
        "UNION ALL SELECT bucket_start, site, camera, line, direction, sum(crossings) "
        f"FROM crossings_hour WHERE {_ROLLED} GROUP BY ALL) "
        "GROUP BY ALL ORDER BY hour_start, site, camera, line, direction",
        ("t1", "t2"),
        "crossings per line and direction in each hour between t1 and t2",
        rollup="crossings_hour",
    ),
    "busiest_zones": Named(
        "SELECT site, camera, zone, max(peak) AS peak, sum(total) / sum(samples) AS mean_occupancy, "
        "sum(samples)::BIGINT AS changes FROM ("
        f"SELECT site, camera, zone, max(total) AS peak, sum(total) AS total, count(total) AS samples FROM occupancy "
        f"WHERE {_RAW} GROUP BY ALL "
        "UNION ALL SELECT site, camera, zone, max(max_total), sum(sum_total), sum(samples) "
        f"FROM occupancy_hour WHERE {_ROLLED} GROUP BY ALL) "
        "GROUP BY ALL ORDER BY peak DESC, mean_occupancy DESC, site, camera, zone LIMIT 10",
        ("t1", "t2"),
        "the ten zones with the highest occupancy between t1 and t2",
        rollup="occupancy_hour",
    ),
    "nodes_offline": Named(
        "SELECT site, camera, node, max(last_seen) AS last_seen FROM ("
        f"SELECT site, camera, node, max(ts) AS last_seen FROM health WHERE {_RAW} GROUP BY ALL "
        f"UNION ALL SELECT site, camera, node, max(last_ts) FROM health_hour WHERE {_ROLLED} GROUP BY ALL) "
        "GROUP BY ALL HAVING max(last_seen) < $now - to_seconds(CAST($after_s AS DOUBLE)) "
        "ORDER BY last_seen, site, camera, node",
        ("now", "after_s"),
        "nodes seen in the day before now whose newest health report is older than after_s seconds",
        rollup="health_hour",
        window=_day_before,  # $t1 = now - 1 day, $t2 just after now: now itself is in the window
    ),
    "people_entering_zone": Named(
        "SELECT count(*) AS people FROM ("
        "SELECT DISTINCT node, track_id FROM dwell WHERE zone = $zone AND object_class = 'person' "
        "AND entered >= $t1 AND entered < $t2 AND date BETWEEN CAST($t1 AS DATE) AND CAST($t2 AS DATE) + 1)",
        ("zone", "t1", "t2"),
        "people who entered zone X between t1 and t2 (counted when they left it)",
    ),
}
