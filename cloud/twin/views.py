"""The twin's SQL views: deduplicated events and one typed view per event type.

``events`` is the store (already one row per event, keyed ``store.KEY``)
plus the live tail's events that the store does not hold yet. ``lake_raw`` scans the
Parquet files directly, duplicates included, for audits of the lake itself;
filters on its ``date``/``hour`` columns prune files. ``alerts`` holds the
rules' alert log and the operators' decisions, as ``alertlog`` reads them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from cloud.twin import alertlog
from cloud.twin.lake import scan_sql
from cloud.twin.store import KEY, same_event

VIEWS: dict[str, str] = {
    "events": (
        "SELECT * FROM store UNION ALL "
        f"SELECT * FROM (SELECT DISTINCT ON ({', '.join(KEY)}) * FROM tail) t "
        f"WHERE NOT EXISTS (SELECT 1 FROM store s WHERE {same_event('s', 't')} AND s.date = t.date)"
    ),
    "crossings": (
        "SELECT event_id, site, camera, node, ts, date, hour, line, direction, object_class, track_id "
        "FROM events WHERE type = 'line_crossing'"
    ),
    "occupancy": (
        "SELECT event_id, site, camera, node, ts, date, hour, zone, total, json_extract(body, 'by_class') AS by_class "
        "FROM events WHERE type = 'zone_occupancy'"
    ),
    "dwell": (
        "SELECT event_id, site, camera, node, ts, date, hour, zone, object_class, track_id, entered, seconds "
        "FROM events WHERE type = 'dwell'"
    ),
    "health": (
        "SELECT event_id, site, camera, node, ts, date, hour, fps, cpu_percent, rss_mb, temperature_c, "
        "dropped_frames, spool_depth, json_extract(body, 'stage_ms') AS stage_ms, "
        "TRY_CAST(json_extract_string(body, 'clock_offset_ms') AS DOUBLE) AS clock_offset_ms, "
        "TRY_CAST(json_extract_string(body, 'clock_synced') AS BOOLEAN) AS clock_synced "
        "FROM events WHERE type = 'node_health'"
    ),
}

# counts(bucket): crossings per line, direction and class in buckets of '1 minute', '15 minutes', '1 hour', '1 day'.
MACROS = (
    "CREATE OR REPLACE MACRO counts(bucket) AS TABLE "
    "SELECT time_bucket(CAST(bucket AS INTERVAL), ts) AS bucket_start, site, camera, line, direction, object_class, "
    "count(*) AS crossings FROM crossings GROUP BY ALL",
)


def current_views(offline_after_s: float) -> dict[str, str]:
    """The live state: newest occupancy per zone, newest health per node and whether it is online."""
    return {
        "current_occupancy": (
            "SELECT site, camera, zone, arg_max(total, ts) AS total, max(ts) AS as_of FROM occupancy GROUP BY ALL"
        ),
        "current_nodes": (
            "SELECT site, camera, node, max(ts) AS last_seen, arg_max(fps, ts) AS fps, "
            "arg_max(cpu_percent, ts) AS cpu_percent, arg_max(spool_depth, ts) AS spool_depth, "
            f"max(ts) >= now() - to_seconds({float(offline_after_s)}) AS online FROM health GROUP BY ALL"
        ),
    }


def install(
    con: duckdb.DuckDBPyConnection, files: list[Path], offline_after_s: float = 60.0, alerts: pa.Table | None = None
) -> None:
    """(Re)create the raw lake scan over ``files``, the alerts (``alertlog.SCHEMA`` rows) and every view."""
    # A cursor of its own: registering refuses a connection whose last result was not read to the end.
    cursor = con.cursor()
    try:
        cursor.register("alert_records_in", alerts if alerts is not None else alertlog.SCHEMA.empty_table())
        cursor.execute("CREATE OR REPLACE TABLE alert_records AS SELECT * FROM alert_records_in")
    finally:
        cursor.close()
    create(con, {"lake_raw": scan_sql(files), "alerts": "SELECT * FROM alert_records", **VIEWS}, offline_after_s)


def create(con: duckdb.DuckDBPyConnection, sources: dict[str, str], offline_after_s: float) -> None:
    """(Re)create ``sources`` (name -> SQL, in order), the live-state views and the macros.

    The trusted connection and the sandbox (``sandbox.py``) differ only in ``sources``: where ``lake_raw``,
    ``alerts`` and ``events`` come from.
    """
    for name, sql in {**sources, **current_views(offline_after_s)}.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
    for sql in MACROS:
        con.execute(sql)
