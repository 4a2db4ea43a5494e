"""No statement writes a file into the sandbox's own folder, where DuckDB keeps its catalog and spill files.

DuckDB adds its spill folder to the directories every statement may use,
even with external access off, and ``duckdb_settings()`` tells anyone where
it is. Once a query has spilled, a ``COPY ... TO`` there would write as much
as it likes (filling the disk, or overwriting another query's spilled
blocks), unless the sandbox never has a spill folder that such a statement
can reach.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cloud.twin.twin import Twin
from cloud.twin.readonly import QueryRefused
from cloud.twin.settings import SqlSettings
from tests.security.support import LIMITS, SITE, Place, cameras

TIGHT = LIMITS.model_copy(update={"memory_limit_mb": 64, "max_spill_mb": 256})
SPILLS = "SELECT count(*) FROM (SELECT DISTINCT i::VARCHAR || repeat('x', 40) FROM range(3000000) t(i))"
WRITES = ("COPY (SELECT repeat('x', 100000) AS x FROM range(100)) TO '{folder}/{name}' (FORMAT csv)",
          "COPY (SELECT 1 AS a, 2 AS b) TO '{folder}' (FORMAT csv, PARTITION_BY (a), OVERWRITE_OR_IGNORE)")


def _written_by_sql(folder: Path) -> list[str]:
    """Files under the private folder that are neither the catalog nor DuckDB's own spill files."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and p.name != "catalog.duckdb" and not p.name.startswith("duckdb_temp"))


@pytest.mark.parametrize("allowlist", [False, True], ids=["sandbox-alone", "with-allowlist"])
@pytest.mark.parametrize("write", WRITES, ids=["copy-file", "copy-partitioned"])
def test_no_statement_writes_into_the_spill_folder(place: Place, allowlist: bool, write: str) -> None:
    sql: SqlSettings = TIGHT.model_copy(update={"statement_allowlist": allowlist})
    twin = Twin(place.lake, SITE, cameras(), sql=sql)
    try:
        try:
            assert twin.query(SPILLS).rows == [(3_000_000,)]  # it spilled, so the spill folder exists now
        except QueryRefused as exc:
            assert not allowlist and "64 MB of memory and 0 MB of spill" in str(exc)  # no folder, no spill
        assert twin._sandbox is not None
        private = twin._sandbox.folder
        shown = twin.query("SELECT value FROM duckdb_settings() WHERE name = 'temp_directory'").rows[0][0]
        for folder in {shown or str(private / "spill"), str(private / "spill"), str(private)}:
            try:
                twin.query(write.format(folder=folder, name="x.csv"))
            except (QueryRefused, duckdb.Error):  # refused by the allowlist, or by DuckDB's file access check
                pass
        assert _written_by_sql(private) == [], "a statement wrote into the sandbox's private folder"
    finally:
        twin.close()
