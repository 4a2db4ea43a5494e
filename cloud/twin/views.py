"""The twin's SQL views, the same on its trusted connection and in the sandbox, over Arrow sources.

Nothing is copied into DuckDB: each query's cursor is given ``Sources``, the
lake's readable files as one pyarrow dataset (which reads the Parquet files in
place and prunes them by their ``date``/``hour`` partition folders), the live
tail and the alert log as small Arrow tables. The views bind to those names
when a query runs.

``lake_raw`` is the files as they are, duplicates included, for audits of the
lake itself. ``events`` is one row per event (``columns.KEY``) of the lake and
the tail together; the typed views (``crossings``, ``occupancy``, ``dwell``,
``health``, with the columns their bodies declare in ``contract.bodies``) are
deduplicated the same way, each over its own event type so that a filter on
``date`` or ``hour`` still prunes files; so are the views of the lists inside
``count`` events (``turns``, ``queues``: ``countviews.py``). Duplicates share
their capture time, hence their ``date`` and ``hour``: keying on those as well
changes no count and lets DuckDB push partition filters below the deduplication.

Each typed view has a twin named with ``_copies`` (``occupancy_copies``...)
that keeps every copy of an event: for the newest value, the maximum or the
minimum of something, which copies cannot change, it holds one group per
subject, not every key of the hours read.

Deduplication is paid only where duplicates can be. ``Sources.once`` holds
the files of the hours known to hold each event once (their minute rollups
say so for the listing they still have, ``rollups.DuplicateFree``) that the
tail does not touch; their rows join the views as they are, so a question over
a year of such hours streams instead of holding every key. Every other hour,
and the tail, is deduplicated as above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from cloud.twin import alertlog, rollups
from cloud.twin.columns import BODY_COLUMNS, KEY, extract
from cloud.twin.countviews import count_views
from cloud.twin.lake import PARTITIONS, SCHEMA
from contract.model import BODIES

# The Arrow objects each query's cursor is given.
LAKE, ONCE, TAIL, ALERTS = "_lake_scan", "_lake_once", "_tail_events", "_alert_log"
_ENVELOPE = ", ".join(SCHEMA.names)
_DEDUP = ", ".join(("date", "hour", *KEY))
# The typed views' twins without deduplication: copies of one event share its time and values, so a newest value, a
# maximum or a minimum is the same over them, and such a question then holds one row per subject instead of every key
# of the hours it reads (a busy open hour's worth). Counts and sums need the deduplicated views.
COPIES = "_copies"
# The columns every typed view starts with.
_TYPED_ENVELOPE = "event_id, site, camera, node, ts, date, hour"
NO_ALERTS = alertlog.SCHEMA.empty_table()


def lake_dataset(root: Path, files: Sequence[Path]) -> ds.Dataset:
    """The lake's ``files`` with the lake schema, ``date`` and ``hour`` taken from their partition folders.

    Given the schema, pyarrow reads no footer here: a file is opened only when a query's filters keep it.
    """
    partitioning = ds.partitioning(PARTITIONS, flavor="hive")
    return ds.dataset([str(f) for f in files], schema=SCHEMA, format="parquet", partitioning=partitioning,
                      partition_base_dir=str(root))


@dataclass(frozen=True)
class Sources:
    """What one query sees: the lake's readable files, the live tail, the alert log and the rollup tables' files.

    ``lake`` is deduplicated with the tail; ``once``, files of hours that hold each event once, is read as it is.
    """

    lake: ds.Dataset
    tail: pa.Table
    alerts: pa.Table
    rollups: Mapping[str, ds.Dataset] | None = None  # by table name; None: no rollup files
    once: ds.Dataset | None = None  # None: every file is deduplicated

    @classmethod
    def empty(cls, root: Path) -> Sources:
        return cls(lake_dataset(root, []), SCHEMA.empty_table(), NO_ALERTS)

    def register(self, cursor: duckdb.DuckDBPyConnection, sql: str | None = None) -> None:
        """Give ``cursor`` the sources; with ``sql``, only the rollup tables it names (each costs a registration)."""
        cursor.register(LAKE, self.lake)
        cursor.register(ONCE, self.once if self.once is not None else SCHEMA.empty_table())
        cursor.register(TAIL, self.tail)
        cursor.register(ALERTS, self.alerts)
        # Only a rollup table's own view reads its source, and a statement reaches that view only by its name.
        wanted = None if sql is None else sql.lower()
        tables = self.rollups if self.rollups is not None else rollups.datasets(Path("."), listed=False)
        for name, data in tables.items():
            if wanted is None or name in wanted:
                cursor.register(rollups.SOURCE.format(name), data)


def _deduplicated(columns: str = _ENVELOPE, where: str = "") -> str:
    """One row per event of the lake and the tail, with ``columns`` of each row that ``where`` keeps."""
    keep = f" WHERE {where}" if where else ""
    return (f"(SELECT DISTINCT ON ({_DEDUP}) * FROM (SELECT {columns} FROM {LAKE}{keep} "
            f"UNION ALL SELECT {columns} FROM {TAIL}{keep})) UNION ALL SELECT {columns} FROM {ONCE}{keep}")


def _copies(columns: str, where: str) -> str:
    """Every row of the lake and the tail that ``where`` keeps, copies of one event included, with ``columns``."""
    return " UNION ALL ".join(f"SELECT {columns} FROM {source} WHERE {where}" for source in (LAKE, TAIL, ONCE))


def typed_views() -> dict[str, str]:
    """One view per event type that names one, with the columns its body declares.

    The body's columns are read before deduplication, so that only they, not the whole body, are held while
    duplicates are found: a day's events then fit in the trusted connection's memory.
    """
    views: dict[str, str] = {}
    for kind, body in BODIES.items():
        if body.view is not None:
            columns = f"{_TYPED_ENVELOPE}, seq, {', '.join(extract(c) for c in body.columns)}"
            names = ", ".join(c.name for c in body.columns)
            views[body.view] = f"SELECT {_TYPED_ENVELOPE}, {names} FROM ({_deduplicated(columns, f'type = {kind!r}')})"
            views[f"{body.view}{COPIES}"] = f"SELECT {_TYPED_ENVELOPE}, {names} FROM ({_copies(columns, f'type = {kind!r}')})"
    return views


VIEWS: dict[str, str] = {
    "lake_raw": f"SELECT {_ENVELOPE} FROM {LAKE} UNION ALL SELECT {_ENVELOPE} FROM {ONCE}",
    "alerts": f"SELECT * FROM {ALERTS}",
    "events": f"SELECT {_ENVELOPE}, {BODY_COLUMNS} FROM ({_deduplicated()})",
    **typed_views(),
    **count_views(_deduplicated, _TYPED_ENVELOPE),
    **rollups.views(),
}

# counts(bucket): crossings per line, direction and class in buckets of '1 minute', '15 minutes', '1 hour', '1 day'.
MACROS = (
    "CREATE OR REPLACE MACRO counts(bucket) AS TABLE "
    "SELECT time_bucket(CAST(bucket AS INTERVAL), ts) AS bucket_start, site, camera, line, direction, object_class, "
    "count(*) AS crossings FROM crossings GROUP BY ALL",
)


def current_views(offline_after_s: float) -> dict[str, str]:
    """The live state: newest occupancy per zone, newest health per node and whether it is online.

    These scan all history, so only typed SQL uses them; the project's own code asks ``Twin.since``
    how far back it must read (``lookback.py``).
    """
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


def create(con: duckdb.DuckDBPyConnection, root: Path, offline_after_s: float) -> None:
    """Create every view and macro on ``con``, bound for now to empty stand-ins for the sources."""
    cursor = con.cursor()  # the stand-ins live on this cursor alone; queries register the real sources on theirs
    try:
        Sources.empty(root).register(cursor)
        for name, sql in {**VIEWS, **current_views(offline_after_s)}.items():
            cursor.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        for sql in MACROS:
            cursor.execute(sql)
    finally:
        cursor.close()
