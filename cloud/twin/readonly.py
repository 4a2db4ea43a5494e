"""Read-only SQL over the twin, in layers, for the CLI and the cockpit console.

1. DuckDB itself: file access limited to the lake folder, external access
   (extensions, other files, ATTACH) off, and the configuration locked so a
   query cannot turn any of that back on.
2. A statement allowlist from DuckDB's own parser: exactly one SELECT (or
   EXPLAIN of one); COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA and every write
   are refused with the statement type named.
3. A time limit (the query is interrupted) and a row cap.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

log = logging.getLogger(__name__)

ALLOWED = {"SELECT", "EXPLAIN"}


class QueryRefused(ValueError):
    """The statement is not allowed; the message says why."""


class QueryTimeout(RuntimeError):
    """The statement ran past the time limit and was interrupted."""


@dataclass(frozen=True)
class QueryResult:
    """Rows of one query, capped at the row limit."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_ms: float


def lock_down(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Limit ``con`` to reading ``lake``; irreversible for this connection."""
    folder = str(lake.resolve()).rstrip("/") + "/"
    con.execute("SET allowed_directories = [?]", [folder])
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET lock_configuration = true")


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise ``QueryRefused`` unless ``sql`` is exactly one read-only statement."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"not valid SQL: {exc}") from None
    if len(statements) != 1:
        raise QueryRefused(f"exactly one statement per query, got {len(statements)}")
    kind = str(statements[0].type).rsplit(".", 1)[-1]
    if kind not in ALLOWED:
        raise QueryRefused(f"{kind} statements are not allowed: the twin is read-only (only SELECT and EXPLAIN)")


def run_query(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any] | dict[str, Any] | None = None,
    *,
    timeout_s: float = 10.0,
    max_rows: int = 10_000,
) -> QueryResult:
    """Check, run with a time limit, and fetch at most ``max_rows`` rows.

    Use a cursor per caller (``con.cursor()``): an interrupt stops only that cursor's query.
    """
    check_statement(con, sql)
    timed_out = threading.Event()

    def interrupt() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(timeout_s, interrupt)
    start = time.perf_counter()
    timer.start()
    try:
        cursor = con.execute(sql, params) if params is not None else con.execute(sql)
        rows = cursor.fetchmany(max_rows + 1)
        columns = [d[0] for d in cursor.description or []]
    except duckdb.InterruptException:
        raise QueryTimeout(f"query stopped after the {timeout_s:g} s time limit") from None
    except duckdb.PermissionException as exc:
        raise QueryRefused(f"refused by the twin's sandbox: {exc}") from None
    except duckdb.Error:
        if timed_out.is_set():
            raise QueryTimeout(f"query stopped after the {timeout_s:g} s time limit") from None
        raise
    finally:
        timer.cancel()
    elapsed = (time.perf_counter() - start) * 1000
    return QueryResult(columns, [tuple(r) for r in rows[:max_rows]], len(rows) > max_rows, elapsed)
