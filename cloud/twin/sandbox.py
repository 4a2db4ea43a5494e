"""The sandbox for typed SQL: a DuckDB of its own that can change no table, no file and no setting.

Why nothing typed into it can write, whatever the statement (EXPLAIN ANALYZE,
CTEs, table functions, PRAGMA-like functions), by construction:

- Its only catalog is a DuckDB file that the twin writes into a private
  folder (never in the lake) and then opens ``read_only``: DuckDB refuses
  every INSERT, UPDATE, DELETE, CREATE, DROP and ATTACH on it.
- External access is off and no directory or path is allowed, so no
  statement reaches any file: COPY TO, EXPORT, read_csv, glob, INSTALL and
  LOAD all fail. DuckDB always opens its spill folder to SQL as well, so a
  spill folder is set only while the statement allowlist refuses COPY and
  EXPORT (``SqlSettings.spill_mb``); without the allowlist, queries run in
  memory alone and no folder is writable.
- The configuration is locked after it is set, so SET, RESET and PRAGMA
  cannot undo any of this or raise the memory and thread limits.

The data reaches it only as Arrow objects registered on a fresh cursor for
each query (``Sources``): the lake's readable files as a pyarrow dataset,
which pyarrow reads and which prunes by the ``date``/``hour`` partitions, the
live tail and the alert log as Arrow tables. A temporary table or macro a
query makes lives in its cursor and is gone with it. The names people use
(``events``, ``crossings``, ``counts(bucket)``, the registry tables...) are
the same as on the twin's trusted connection; see ``views.py``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from cloud.twin import alertlog, registry, views
from cloud.twin.lake import PARTITIONS, SCHEMA
from cloud.twin.readonly import QueryResult, run_query
from cloud.twin.settings import SqlSettings
from cloud.twin.store import BODY_COLUMNS, KEY
from contract.site import CameraSpec, SiteSpec

log = logging.getLogger(__name__)

# The Arrow objects each query's cursor is given, and the views over them.
LAKE, TAIL, ALERTS = "_lake_scan", "_tail_events", "_alert_log"
_ENVELOPE = ", ".join(SCHEMA.names)
SANDBOX_VIEWS = {
    "lake_raw": f"SELECT {_ENVELOPE} FROM {LAKE}",
    "alerts": f"SELECT * FROM {ALERTS}",
    # Duplicates share their capture time, hence their date: keyed on both, a filter on date still prunes files.
    "events": (
        f"SELECT {_ENVELOPE}, {BODY_COLUMNS} FROM (SELECT DISTINCT ON (date, {', '.join(KEY)}) * FROM "
        f"(SELECT * FROM lake_raw UNION ALL SELECT {_ENVELOPE} FROM {TAIL}))"
    ),
}
NO_ALERTS = alertlog.SCHEMA.empty_table()


def _alert_table(cursor: duckdb.DuckDBPyConnection) -> pa.Table:
    """The trusted ``alerts`` view as a table; an empty one, with a warning, when the log cannot be read."""
    try:
        return cursor.sql("SELECT * FROM alerts").to_arrow_table()
    except duckdb.Error as exc:
        log.warning("the alert log under the lake cannot be read (%s); typed SQL sees no alerts", exc)
        return NO_ALERTS


def lake_dataset(root: Path, files: Sequence[Path]) -> ds.Dataset:
    """The lake's ``files`` with the lake schema, ``date`` and ``hour`` taken from their partition folders."""
    partitioning = ds.partitioning(PARTITIONS, flavor="hive")
    return ds.dataset([str(f) for f in files], schema=SCHEMA, format="parquet", partitioning=partitioning,
                      partition_base_dir=str(root))


@dataclass(frozen=True)
class Sources:
    """What one query sees: the lake's readable files, the live tail and the alert log."""

    lake: ds.Dataset
    tail: pa.Table
    alerts: pa.Table

    @classmethod
    def empty(cls, root: Path) -> Sources:
        return cls(lake_dataset(root, []), SCHEMA.empty_table(), NO_ALERTS)

    @classmethod
    def of(cls, trusted: duckdb.DuckDBPyConnection, root: Path, files: Sequence[Path]) -> Sources:
        """The sources as the trusted connection holds them now: its tail table and its alerts view."""
        cursor = trusted.cursor()
        try:
            tail = cursor.sql(f"SELECT {_ENVELOPE} FROM tail").to_arrow_table()
            return cls(lake_dataset(root, files), tail, _alert_table(cursor))
        finally:
            cursor.close()

    def register(self, cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.register(LAKE, self.lake)
        cursor.register(TAIL, self.tail)
        cursor.register(ALERTS, self.alerts)


def _private_folder(settings: SqlSettings, lake: Path) -> Path:
    parent = settings.spill_dir
    if parent is not None and parent.resolve().is_relative_to(lake.resolve()):
        raise ValueError(f"cloud.sql.spill_dir {parent} is inside the lake {lake}; choose a folder outside it")
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="citytwin-sql-", dir=parent))  # mode 0700: this user's alone


def _write_catalog(path: Path, site: SiteSpec, cameras: Sequence[CameraSpec], offline_after_s: float, root: Path) -> None:
    """The registry tables, views and macros, bound to empty stand-ins for the sources."""
    con = duckdb.connect(str(path))
    try:
        Sources.empty(root).register(con)
        registry.load(con, site, cameras)
        views.create(con, {**SANDBOX_VIEWS, **{n: q for n, q in views.VIEWS.items() if n not in SANDBOX_VIEWS}}, offline_after_s)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _open_locked(path: Path, spill: Path, settings: SqlSettings) -> duckdb.DuckDBPyConnection:
    config: dict[str, Any] = {
        "enable_external_access": False,  # with no allowed_directories or allowed_paths: no file at all
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "python_enable_replacements": False,  # a name in a query never reaches a Python variable
        "memory_limit": f"{settings.memory_limit_mb}MiB",
        "threads": settings.threads,
        # No spill folder at all unless statements that write files are refused: SQL may write into it.
        "temp_directory": str(spill) if settings.spill_mb else "",
        "max_temp_directory_size": f"{settings.spill_mb}MiB",
    }
    con = duckdb.connect(str(path), read_only=True, config=config)
    con.execute("SET lock_configuration = true")
    return con


class Sandbox:
    """One read-only, locked DuckDB for typed SQL over a twin's registry and sources."""

    def __init__(
        self, lake: Path, site: SiteSpec, cameras: Sequence[CameraSpec], offline_after_s: float, settings: SqlSettings
    ) -> None:
        self.settings = settings
        self.folder = _private_folder(settings, lake)
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        catalog = self.folder / "catalog.duckdb"
        _write_catalog(catalog, site, cameras, offline_after_s, lake)
        self.con = _open_locked(catalog, self.folder / "spill", settings)
        log.debug("sandbox for typed SQL in %s", self.folder)

    def run(self, sql: str, params: Sequence[Any] | dict[str, Any] | None, sources: Sources) -> QueryResult:
        """Run one statement over ``sources``, on a cursor of its own, within the limits."""
        cursor = self.con.cursor()
        try:
            sources.register(cursor)
            return run_query(cursor, sql, params, self.settings)
        finally:
            cursor.close()

    def close(self) -> None:
        self.con.close()
        self._cleanup()
