"""The twin's SQL views: deduplicated events and one typed view per event type.

The typed views (``crossings``, ``occupancy``, ``dwell``, ``health``) and
their columns are declared by the event bodies (``contract.bodies``).

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
from cloud.twin.store import KEY, extract, same_event
from contract.model import BODIES

# The columns every typed view starts with.
_ENVELOPE = "event_id, site, camera, node, ts, date, hour"


def typed_views() -> dict[str, str]:
    """One view per event type that names one, with the columns its body declares."""
    return {
        body.view: f"SELECT {_ENVELOPE}, {', '.join(c.name if c.stored else extract(c) for c in body.columns)} "
        f"FROM events WHERE type = '{kind}'"
        for kind, body in BODIES.items()
        if body.view is not None
    }


VIEWS: dict[str, str] = {
    "events": (
        "SELECT * FROM store UNION ALL "
        f"SELECT * FROM (SELECT DISTINCT ON ({', '.join(KEY)}) * FROM tail) t "
        f"WHERE NOT EXISTS (SELECT 1 FROM store s WHERE {same_event('s', 't')} AND s.date = t.date)"
    ),
    **typed_views(),
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
