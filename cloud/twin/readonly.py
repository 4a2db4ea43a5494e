"""Running one statement people typed (``citytwin query``, the cockpit console), in layers.

1. The sandbox (``sandbox.py``): a DuckDB that can change no table, no file
   and no setting, whatever the statement. This is what keeps the lake safe.
2. A statement allowlist from DuckDB's own parser: exactly one SELECT, or a
   plain EXPLAIN of one (``EXPLAIN ANALYZE`` runs its statement, so it is
   refused); everything else is refused with its statement type named.
3. The limits of ``cloud.sql``: a time limit (the query is interrupted), and
   a cap on rows, on result bytes and on the size of one value. Memory,
   threads and spill are DuckDB settings of the sandbox.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from citytwin.errors import CitytwinError
from cloud.twin.settings import SqlSettings

log = logging.getLogger(__name__)

MiB = 2**20
_EXPLAIN = re.compile(r"\s*explain\s+(.*)", re.IGNORECASE | re.DOTALL)
# How DuckDB words the sandbox's refusals: a catalog write on the read-only database, a locked setting.
_SANDBOX_SAYS = ("read-only mode", "configuration has been locked")
_FIRST_CHUNK = 16  # rows fetched at first; later chunks are sized from the rows seen so far


class QueryRefused(CitytwinError, ValueError):
    """The statement is not allowed; the message says why."""


class QueryTooLarge(QueryRefused):
    """A limit of ``cloud.sql`` stopped the query (memory, spill, or one value's size); the message names it."""


class QueryTimeout(CitytwinError, RuntimeError):
    """The statement ran past the time limit and was interrupted."""


@dataclass(frozen=True)
class QueryResult:
    """Rows of one query; ``cut_by`` says which limit truncated them, if one did."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_ms: float
    cut_by: str | None = None


def _statements(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    try:
        return list(con.extract_statements(sql))
    except duckdb.Error as exc:
        raise QueryRefused(f"not valid SQL: {exc}") from None


def _kind(statement: Any) -> str:
    return str(statement.type).rsplit(".", 1)[-1]


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise ``QueryRefused`` unless ``sql`` is exactly one SELECT or a plain EXPLAIN of one."""
    statements = _statements(con, sql)
    if len(statements) != 1:
        raise QueryRefused(f"exactly one statement per query, got {len(statements)}")
    kind = _kind(statements[0])
    if kind == "EXPLAIN":
        explained = _EXPLAIN.fullmatch(statements[0].query)
        try:
            inner = _statements(con, explained.group(1)) if explained else []
        except QueryRefused:
            inner = []
        if len(inner) != 1 or _kind(inner[0]) != "SELECT":
            raise QueryRefused("only a plain EXPLAIN of one SELECT is allowed, written first: EXPLAIN ANALYZE and "
                               "EXPLAIN options run or reshape the statement")
    elif kind != "SELECT":
        raise QueryRefused(f"{kind} statements are not allowed: the twin is read-only (only SELECT and EXPLAIN)")


def value_bytes(value: Any) -> int:
    """About how many bytes ``value`` takes in a response: text and bytes by length, containers by their contents."""
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, dict):
        return 8 + sum(value_bytes(k) + value_bytes(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return 8 + sum(value_bytes(v) for v in value)
    return 8


def _fetch(
    cursor: duckdb.DuckDBPyConnection, columns: list[str], limits: SqlSettings
) -> tuple[list[tuple[Any, ...]], str | None]:
    """Rows until a limit cuts them, and which limit that was; a value over ``max_cell_kb`` refuses the query.

    Chunks are sized so that one holds about a tenth of the byte budget, so a few huge rows never arrive at once.
    """
    budget, cell_cap = int(limits.max_result_mb * MiB), int(limits.max_cell_kb * 1024)
    rows: list[tuple[Any, ...]] = []
    used, widest, chunk = 0, 1, _FIRST_CHUNK
    while True:
        batch = cursor.fetchmany(min(chunk, limits.max_rows + 1 - len(rows)))
        if not batch:
            return rows, None
        for row in batch:
            if len(rows) == limits.max_rows:
                return rows, f"the {limits.max_rows:,} row limit (cloud.sql.max_rows)"
            sizes = [value_bytes(v) for v in row]
            for column, size in zip(columns, sizes):
                if size > cell_cap:
                    raise QueryTooLarge(
                        f"row {len(rows) + 1}, column {column!r} holds {size:,} bytes; one value may hold at most "
                        f"{cell_cap:,} (cloud.sql.max_cell_kb): select a part of it, e.g. left(x, 1000) or length(x)")
            if used + sum(sizes) > budget:
                return rows, f"the {limits.max_result_mb:g} MB result limit (cloud.sql.max_result_mb)"
            used += sum(sizes)
            widest = max(widest, sum(sizes))
            rows.append(tuple(row))
        chunk = max(1, min(2048, budget // 10 // widest))


def _refusal(exc: duckdb.Error, limits: SqlSettings) -> QueryRefused | None:
    """The error as people should read it, when it is the sandbox or a limit speaking."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        first = str(exc).splitlines()[0]
        return QueryTooLarge(
            f"the query needs more than the {limits.memory_limit_mb} MB of memory and {limits.spill_mb} MB of spill "
            f"that typed SQL may use (cloud.sql.memory_limit_mb, cloud.sql.max_spill_mb); filter on date, aggregate, "
            f"or select fewer columns ({first})")
    if isinstance(exc, duckdb.PermissionException) or any(s in str(exc) for s in _SANDBOX_SAYS):
        return QueryRefused(f"refused by the twin's sandbox, which can change no table, file or setting: {exc}")
    return None


def run_query(
    cursor: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any] | dict[str, Any] | None,
    limits: SqlSettings,
) -> QueryResult:
    """Check (when the allowlist is on), run with the time limit, and fetch within the caps.

    Give each query a cursor of its own: an interrupt stops only that cursor's query.
    """
    if limits.statement_allowlist:
        check_statement(cursor, sql)
    timed_out = threading.Event()

    def interrupt() -> None:
        timed_out.set()
        cursor.interrupt()

    timer = threading.Timer(limits.timeout_s, interrupt)
    start = time.perf_counter()
    timer.start()
    try:
        result = cursor.execute(sql, params) if params is not None else cursor.execute(sql)
        columns = [d[0] for d in result.description or []]
        rows, cut_by = _fetch(result, columns, limits)
    except duckdb.InterruptException:
        raise QueryTimeout(f"query stopped after the {limits.timeout_s:g} s time limit (cloud.sql.timeout_s)") from None
    except duckdb.Error as exc:
        if timed_out.is_set():
            raise QueryTimeout(f"query stopped after the {limits.timeout_s:g} s time limit (cloud.sql.timeout_s)") from None
        refusal = _refusal(exc, limits)
        if refusal is not None:
            raise refusal from None
        raise
    finally:
        timer.cancel()
    elapsed = (time.perf_counter() - start) * 1000
    return QueryResult(columns, rows, cut_by is not None, elapsed, cut_by)
