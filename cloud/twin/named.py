"""Named, parameterised queries for the questions operators ask most.

Each takes its time range as parameters and filters on the ``date``
partition column too, so DuckDB reads only the files of those days.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Named:
    """A query with ``$name`` parameters and what it answers."""

    sql: str
    params: tuple[str, ...]
    help: str


_RANGE = "ts >= $t1 AND ts < $t2 AND date BETWEEN CAST($t1 AS DATE) AND CAST($t2 AS DATE)"

QUERIES: dict[str, Named] = {
    "flow_per_line_per_hour": Named(
        # Grouping on the stored UTC date and hour is much cheaper than bucketing each timestamp.
        "SELECT make_timestamptz(year(date), month(date), day(date), CAST(hour AS INTEGER), 0, 0, 'UTC') AS hour_start, "
        "site, camera, line, direction, crossings FROM ("
        "SELECT date, hour, site, camera, line, direction, count(*) AS crossings "
        f"FROM crossings WHERE {_RANGE} GROUP BY ALL) ORDER BY hour_start, site, camera, line, direction",
        ("t1", "t2"),
        "crossings per line and direction in each hour between t1 and t2",
    ),
    "busiest_zones": Named(
        "SELECT site, camera, zone, max(total) AS peak, avg(total) AS mean_occupancy, count(*) AS changes "
        f"FROM occupancy WHERE {_RANGE} GROUP BY ALL ORDER BY peak DESC, mean_occupancy DESC LIMIT 10",
        ("t1", "t2"),
        "the ten zones with the highest occupancy between t1 and t2",
    ),
    "nodes_offline": Named(
        "SELECT site, camera, node, max(ts) AS last_seen FROM health "
        "WHERE ts >= $now - INTERVAL 1 DAY AND ts <= $now "
        "AND date BETWEEN CAST($now - INTERVAL 1 DAY AS DATE) AND CAST($now AS DATE) "
        "GROUP BY ALL HAVING max(ts) < $now - to_seconds(CAST($after_s AS DOUBLE)) ORDER BY last_seen",
        ("now", "after_s"),
        "nodes seen in the day before now whose newest health report is older than after_s seconds",
    ),
    "people_entering_zone": Named(
        "SELECT count(*) AS people FROM ("
        "SELECT DISTINCT node, track_id FROM dwell WHERE zone = $zone AND object_class = 'person' "
        "AND entered >= $t1 AND entered < $t2 AND date BETWEEN CAST($t1 AS DATE) AND CAST($t2 AS DATE) + 1)",
        ("zone", "t1", "t2"),
        "people who entered zone X between t1 and t2 (counted when they left it)",
    ),
}
