"""The twin's columnar store: the lake's events, deduplicated and typed, inside DuckDB.

The Parquet lake is the record; this store is a cache of it that makes the
common questions take milliseconds instead of a scan of every file. ``sync``
loads files it has not seen (by path, size and modification time), drops
events it already holds, and forgets the days that retention removed from the
lake. It can be thrown away and rebuilt at any time.

An event is identified by ``KEY``, ``(site, camera, node, seq)``: the
bridge binds site and camera to the MQTT topic (which the broker's ACL binds
to the sender's credentials) and node to the camera's configured node, and
``event_id`` is ``node:seq``. Keyed on ``event_id`` alone, a row claiming
another node's id (from before the bridge checked identities, or written to
Kafka past it) would shadow that node's real event; keyed on the whole
binding, it keeps to the camera it came from.

The typed columns are the ones the event bodies declare (``contract.bodies``):
a field added there reaches the store and the views without an edit here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import duckdb

from contract.bodies import Column
from contract.model import BODIES

log = logging.getLogger(__name__)

KEY = ("site", "camera", "node", "seq")

# The lake's envelope columns, then the partition columns the store derives from ``ts``.
ENVELOPE = (
    "event_id VARCHAR, site VARCHAR, camera VARCHAR, node VARCHAR, seq BIGINT, ts TIMESTAMPTZ, type VARCHAR, "
    "body VARCHAR, date DATE, hour VARCHAR"
)


def _stored() -> tuple[Column, ...]:
    """The stored columns every body declares, each once, in the order of the event types."""
    seen: dict[str, Column] = {}
    for body in BODIES.values():
        for column in body.columns:
            if column.stored and seen.setdefault(column.name, column).sql != column.sql:
                raise TypeError(f"body column {column.name!r} is {seen[column.name].sql} in one body and "
                                f"{column.sql} in {body.__name__}; one column has one type")
    return tuple(seen.values())


STORED = _stored()


def extract(column: Column) -> str:
    """SQL reading ``column`` out of an event's JSON ``body``; NULL where the value does not read as its type."""
    if column.sql == "JSON":
        return f"json_extract(body, '{column.name}') AS {column.name}"
    text = f"json_extract_string(body, '{column.name}')"
    return f"{text} AS {column.name}" if column.sql == "VARCHAR" else f"TRY_CAST({text} AS {column.sql}) AS {column.name}"


COLUMNS = ENVELOPE + ", " + ", ".join(f"{column.name} {column.sql}" for column in STORED)

# The typed columns of the store that come from an event's JSON body.
BODY_COLUMNS = ", ".join(extract(column) for column in STORED)

# From the lake's envelope + JSON body to the store's typed columns.
TYPED_SELECT = (
    "SELECT event_id, site, camera, node, seq, ts, type, body, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS date, "
    "strftime(ts AT TIME ZONE 'UTC', '%H') AS hour, " + BODY_COLUMNS + " FROM {source}"
)


def same_event(a: str, b: str) -> str:
    """SQL: rows ``a`` and ``b`` are the same event."""
    return " AND ".join(f"{a}.{column} = {b}.{column}" for column in KEY)


def create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS store ({COLUMNS})")
    con.execute(f"CREATE TABLE IF NOT EXISTS tail ({COLUMNS})")
    con.execute("CREATE TABLE IF NOT EXISTS loaded_files (path VARCHAR PRIMARY KEY, size BIGINT, mtime DOUBLE, rows BIGINT)")


def _quote(paths: list[Path]) -> str:
    return ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)


def sync(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    signature: Callable[[Path], tuple[int, float]],
    reject: Callable[[Path, str], None] | None = None,
) -> int:
    """Load new files into the store; returns the number of new distinct events.

    ``signature`` gives a file's (size, mtime) as the lake listing saw it, so files are not stat'ed twice.
    ``reject`` hears of each file whose data cannot be loaded (a sound footer over damaged pages, a body
    that is not JSON); the others are loaded all the same. Without it, such a file raises.
    """
    known = {row[0]: (row[1], row[2]) for row in con.execute("SELECT path, size, mtime FROM loaded_files").fetchall()}
    present_days = {p.parent.parent.name.removeprefix("date=") for p in files}
    gone = [d for (d,) in con.execute("SELECT DISTINCT CAST(date AS VARCHAR) FROM store").fetchall() if d not in present_days]
    if gone:
        con.execute("DELETE FROM store WHERE CAST(date AS VARCHAR) IN (SELECT unnest($d))", {"d": gone})
        log.info("twin store: dropped days no longer in the lake: %s", ", ".join(sorted(gone)))
    new = []
    for path in files:
        size, mtime = signature(path)
        if known.get(str(path)) != (size, mtime):
            new.append((path, size, mtime))
    if not new:
        return 0
    try:
        return _load(con, new)
    except duckdb.Error:
        if reject is None:
            raise
    added = 0
    for item in new:  # one of them is bad: load them one by one to find it and keep the rest
        try:
            added += _load(con, [item])
        except duckdb.Error as exc:
            reject(item[0], f"its data cannot be read: {exc}")
    return added


def _load(con: duckdb.DuckDBPyConnection, new: list[tuple[Path, int, float]]) -> int:
    """Load ``new`` (path, size, mtime) in one transaction; returns the number of new distinct events."""
    source = f"read_parquet([{_quote([p for p, _, _ in new])}], union_by_name = true)"
    before = con.execute("SELECT count(*) FROM store").fetchone()
    con.execute("BEGIN")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE incoming AS {TYPED_SELECT.format(source=source)}")
        # Duplicates share their capture time, so only the incoming days need checking.
        con.execute(
            f"INSERT INTO store SELECT * FROM (SELECT DISTINCT ON ({', '.join(KEY)}) * FROM incoming i WHERE NOT EXISTS ("
            f"SELECT 1 FROM store s WHERE s.date IN (SELECT DISTINCT date FROM incoming) AND {same_event('s', 'i')})) "
            # Ordered so that each row group holds one type and a narrow time span: min/max pruning does the rest.
            "ORDER BY type, ts"
        )
        con.executemany(
            "INSERT OR REPLACE INTO loaded_files VALUES (?, ?, ?, 0)", [(str(p), size, mtime) for p, size, mtime in new]
        )
        con.execute("DROP TABLE incoming")
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    after = con.execute("SELECT count(*) FROM store").fetchone()
    added = int(after[0]) - int(before[0]) if after and before else 0
    log.debug("twin store: %d new files, %d new events", len(new), added)
    return added
