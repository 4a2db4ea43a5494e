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
each query (``views.Sources``, the same ones the twin's trusted connection
reads): the lake's readable files as a pyarrow dataset, which pyarrow reads
and which prunes by the ``date``/``hour`` partitions, the live tail and the
alert log as Arrow tables, and each rollup table's files as a dataset of its
own (``crossings_minute`` ... ``health_day``, ``cloud.rollup.tables``), read-only
like the rest. A temporary table or macro a query makes lives in
its cursor and is gone with it. The names people use (``events``,
``crossings``, ``counts(bucket)``, the registry tables...) are the same as on
the twin's trusted connection; see ``views.py``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from citytwin.memory import DUCKDB
from cloud.twin import registry, views
from cloud.twin.readonly import QueryResult, run_query
from cloud.twin.settings import SqlSettings
from cloud.twin.views import Sources
from contract.site import CameraSpec, SiteSpec

log = logging.getLogger(__name__)


def private_folder(parent: Path | None, lake: Path, key: str, prefix: str) -> Path:
    """A new folder of this user's alone under ``parent`` (default: the system's temporary folder), never in the lake."""
    if parent is not None and parent.resolve().is_relative_to(lake.resolve()):
        raise ValueError(f"{key} {parent} is inside the lake {lake}; choose a folder outside it")
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))  # mode 0700


def locked_config(memory_limit_mb: int, threads: int, spill: Path | None, spill_mb: int) -> dict[str, Any]:
    """DuckDB settings that reach no file but ``spill``, load no extension and bound memory and threads."""
    return {
        "enable_external_access": False,  # with no allowed_directories or allowed_paths: no file at all
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "python_enable_replacements": False,  # a name in a query never reaches a Python variable
        "memory_limit": f"{memory_limit_mb}MiB",
        "threads": threads,
        "temp_directory": str(spill) if spill is not None and spill_mb else "",
        "max_temp_directory_size": f"{spill_mb}MiB",
        **DUCKDB,  # freed pages go back to the system within seconds, not at the largest query so far
    }


def _write_catalog(path: Path, site: SiteSpec, cameras: Sequence[CameraSpec], offline_after_s: float, root: Path) -> None:
    """The registry tables, views and macros, bound to empty stand-ins for the sources."""
    con = duckdb.connect(str(path), config=DUCKDB)
    try:
        registry.load(con, site, cameras)
        views.create(con, root, offline_after_s)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _open_locked(path: Path, spill: Path, settings: SqlSettings) -> duckdb.DuckDBPyConnection:
    # No spill folder at all unless statements that write files are refused: SQL may write into it.
    config = locked_config(settings.memory_limit_mb, settings.threads, spill, settings.spill_mb)
    con = duckdb.connect(str(path), read_only=True, config=config)
    con.execute("SET lock_configuration = true")
    return con


class Sandbox:
    """One read-only, locked DuckDB for typed SQL over a twin's registry and sources."""

    def __init__(
        self, lake: Path, site: SiteSpec, cameras: Sequence[CameraSpec], offline_after_s: float, settings: SqlSettings
    ) -> None:
        self.settings = settings
        self.folder = private_folder(settings.spill_dir, lake, "cloud.sql.spill_dir", "citytwin-sql-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        catalog = self.folder / "catalog.duckdb"
        _write_catalog(catalog, site, cameras, offline_after_s, lake)
        self.con = _open_locked(catalog, self.folder / "spill", settings)
        log.debug("sandbox for typed SQL in %s", self.folder)

    def run(self, sql: str, params: Sequence[Any] | dict[str, Any] | None, sources: Sources) -> QueryResult:
        """Run one statement over ``sources``, on a cursor of its own, within the limits."""
        cursor = self.con.cursor()
        try:
            sources.register(cursor, sql)
            return run_query(cursor, sql, params, self.settings)
        finally:
            cursor.close()

    def close(self) -> None:
        self.con.close()
        self._cleanup()
