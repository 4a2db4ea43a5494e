"""A small lake with a critical alert, the attack table against typed SQL, and the checks that nothing changed.

Every attack is run against a fresh copy of the lake, through the cockpit's
``POST /api/sql`` and through ``citytwin query``; afterwards every file under
the lake (the Parquet files and the alert log) must be byte-identical, the
scratch folder outside the lake empty but for the planted secrets, a new twin
must open over the lake and see the same events, registry and named-query
answers, and the sandbox's settings must be as configured.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from cloud.rules.alerts import Alert
from cloud.rules.outlets import AlertStore, alert_record
from cloud.twin.twin import Twin
from cloud.twin.lake import alert_log
from cloud.twin.settings import SqlSettings
from cloud.twin.synth import CityShape, generate
from contract.site import CameraSpec, SiteSpec

SHAPE = CityShape(site="city", cameras=2, days=1, events=2_000)
SITE = SiteSpec(id="city", name="Test city", width_m=100, height_m=100)
MARKER = "TOP-SECRET-5f3a"  # planted in files outside the lake; must never come back
# Threads differ from the machine's default and from what the attacks set, so a change would show.
LIMITS = SqlSettings(threads=3, memory_limit_mb=256, max_spill_mb=256, timeout_s=30)
NO_ALLOWLIST = LIMITS.model_copy(update={"statement_allowlist": False})


def cameras() -> list[CameraSpec]:
    return [
        CameraSpec.model_validate({
            "id": f"cam-{i}", "map": {"x_m": 10 * i, "y_m": 10},
            "zones": [{"id": "zone-0", "polygon": [[0, 0], [300, 0], [300, 300], [0, 300]], "capacity": 5}],
        })
        for i in range(SHAPE.cameras)
    ]


def make_lake(lake: Path) -> Path:
    """The synthetic lake plus an alert log holding one critical alert, still firing."""
    generate(lake, SHAPE)
    alert = Alert(alert_id="a-crit", rule="plaza-full", subject="cam-0/zone-0", severity="critical", state="firing",
                  started=datetime(2026, 1, 1, 9, tzinfo=timezone.utc), value=9.0, evidence={"occupancy": 9},
                  action="close the gate")
    AlertStore(lake).send(alert_record("fired", alert))
    return lake


@dataclass(frozen=True)
class Place:
    """One test's copy of the lake, and a scratch folder outside it with planted secrets."""

    lake: Path
    scratch: Path

    @classmethod
    def copy(cls, pristine: Path, tmp: Path) -> Place:
        lake, scratch = tmp / "lake", tmp / "scratch"
        shutil.copytree(pristine, lake)
        scratch.mkdir()
        (scratch / "secret.csv").write_text(f"name,value\nkey,{MARKER}\n")
        pq.write_table(pa.table({"secret": [MARKER]}), scratch / "secret.parquet")
        return cls(lake, scratch)

    def fields(self) -> dict[str, str]:
        """The values the attack table's ``{placeholders}`` name."""
        first = sorted(self.lake.glob("date=*/hour=*/*.parquet"))[0]
        return {"lake_file": str(first), "new_lake_file": str(first.with_name("x.parquet")),
                "alert_log": str(alert_log(self.lake)), "scratch": str(self.scratch),
                "secret": str(self.scratch / "secret.csv"), "secret_parquet": str(self.scratch / "secret.parquet")}

    def config(self, sql: SqlSettings) -> Path:
        """A deployment file for ``citytwin query`` over this lake, with ``sql`` as ``cloud.sql``."""
        path = self.scratch.parent / "site.yaml"
        path.write_text(yaml.safe_dump({
            "site": SITE.model_dump(mode="json"), "lake": {"path": str(self.lake)},
            "cameras": [c.model_dump(mode="json") for c in cameras()],
            "cloud": {"sql": sql.model_dump(mode="json", exclude_none=True)},
        }))
        return path


def hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


WINDOW = {"t1": SHAPE.start, "t2": SHAPE.start + timedelta(days=1)}


@dataclass(frozen=True)
class Baseline:
    """What a twin over the untouched lake answers."""

    files: dict[str, str]
    events: int
    counts: int
    zones: list[tuple[Any, ...]]
    named: list[tuple[Any, ...]]

    @classmethod
    def of(cls, lake: Path) -> Baseline:
        twin = Twin(lake, SITE, cameras())
        try:
            return cls(hashes(lake), *_answers(twin))
        finally:
            twin.close()


def _answers(twin: Twin) -> tuple[int, int, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    events = twin.query("SELECT count(*) FROM events").rows[0][0]
    counts = twin.query("SELECT sum(crossings) FROM counts('1 hour')").rows[0][0]
    zones = twin.query("SELECT * FROM zones ORDER BY ALL").rows
    named = twin.named("busiest_zones", **WINDOW).rows
    return int(events), int(counts), zones, named


def assert_unharmed(place: Place, baseline: Baseline, sql: SqlSettings, twin: Twin | None = None) -> None:
    """Nothing under the lake changed, nothing was written outside it, and twins still answer as before."""
    assert hashes(place.lake) == baseline.files, "a file under the lake was changed, added or removed"
    assert sorted(p.name for p in place.scratch.iterdir()) == ["secret.csv", "secret.parquet"], "a file was written"
    if twin is not None:  # the twin that served the attack refreshes, and answers as a fresh one would
        twin.refresh()
        assert _answers(twin) == (baseline.events, baseline.counts, baseline.zones, baseline.named)
        assert_settings(twin, sql)
    fresh = Twin(place.lake, SITE, cameras(), sql=sql)
    try:
        assert _answers(fresh) == (baseline.events, baseline.counts, baseline.zones, baseline.named)
    finally:
        fresh.close()


def assert_settings(twin: Twin, sql: SqlSettings) -> None:
    """The sandbox still runs with the configured limits and without file access."""
    row = twin.query("SELECT current_setting('threads'), current_setting('enable_external_access'), "
                     "current_setting('lock_configuration'), current_setting('memory_limit')").rows[0]
    assert row[:3] == (sql.threads, False, True)
    assert abs(mebibytes(row[3]) - sql.memory_limit_mb) < 1, row[3]


def mebibytes(text: str) -> float:
    """DuckDB's '244.1 MiB' or '1.9 GiB' in MiB."""
    number, unit = text.split()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


# The attack table: every finding as it was reproduced, then each statement kind, plain and under EXPLAIN ANALYZE.
_FORGED_ROW = ("SELECT 'x:1' AS event_id, 'city' AS site, 'cam-0' AS camera, 'x' AS node, 1 AS seq, 'not a time' AS ts, "
               "'line_crossing' AS type, '{{}}' AS body")
FINDINGS = {
    "explain-analyze-delete-store": "EXPLAIN ANALYZE DELETE FROM store",
    "explain-analyze-update-zones": "EXPLAIN ANALYZE UPDATE zones SET capacity = 1",
    "explain-analyze-delete-sites": "EXPLAIN ANALYZE DELETE FROM sites",
    "explain-analyze-replace-macro": "EXPLAIN ANALYZE CREATE OR REPLACE MACRO counts(bucket) AS TABLE SELECT 0 AS crossings",
    "explain-analyze-drop-loaded-files": "EXPLAIN ANALYZE DROP TABLE loaded_files",
    "explain-analyze-copy-empties-lake-file":
        "EXPLAIN ANALYZE COPY (SELECT * FROM lake_raw WHERE false) TO '{lake_file}' (FORMAT parquet)",
    "explain-analyze-copy-text-ts-into-lake": f"EXPLAIN ANALYZE COPY ({_FORGED_ROW}) TO '{{new_lake_file}}' (FORMAT parquet)",
    "explain-analyze-rewrite-alert-log":
        "EXPLAIN ANALYZE COPY (SELECT 'resolve' AS kind, 'a-crit' AS alert_id, 'mallory' AS \"by\") "
        "TO '{alert_log}' (FORMAT json)",
}
KINDS = {
    "insert": "INSERT INTO sites VALUES ('evil', 'Evil', 1, 1)",
    "update": "UPDATE zones SET capacity = 1",
    "delete": "DELETE FROM sites",
    "create-table": "CREATE TABLE evil AS SELECT 1 AS x",
    "create-view": "CREATE OR REPLACE VIEW events AS SELECT * FROM lake_raw WHERE false",
    "drop": "DROP VIEW crossings",
    "copy-lake": "COPY (SELECT * FROM lake_raw WHERE false) TO '{lake_file}' (FORMAT parquet)",
    "copy-out": "COPY (SELECT * FROM events) TO '{scratch}/out.csv'",
    "attach-file": "ATTACH '{scratch}/evil.duckdb' AS evil",
    "attach-memory": "ATTACH ':memory:' AS evil",
    "set": "SET threads = 1",
    "pragma": "PRAGMA memory_limit = '100GB'",
    "call": "CALL pragma_version()",
    "install": "INSTALL httpfs",
    "load": "LOAD httpfs",
    "checkpoint": "CHECKPOINT",
    "export-database": "EXPORT DATABASE '{scratch}/export'",
}
OTHERS = {
    "cte-delete": "WITH d AS (SELECT 1) DELETE FROM sites",
    "cte-insert": "WITH d AS (SELECT 'evil', 'Evil', 1.0, 1.0) INSERT INTO sites SELECT * FROM d",
    "cte-returning": "WITH x AS (DELETE FROM sites RETURNING *) SELECT * FROM x",
    "query-delete": "SELECT * FROM query('DELETE FROM sites')",
    "query-copy": "SELECT * FROM query('COPY (SELECT 1) TO ''{scratch}/q.csv''')",
    "query-read": "SELECT * FROM query('SELECT * FROM read_text(''{secret}'')')",
    "query-table": "SELECT * FROM query_table('loaded_files')",
    "read-csv-passwd": "SELECT * FROM read_csv('/etc/passwd')",
    "read-csv-secret": "SELECT * FROM read_csv('{secret}')",
    "read-parquet-outside": "SELECT * FROM read_parquet('{secret_parquet}')",
    "read-parquet-lake": "SELECT count(*) FROM read_parquet('{lake_file}')",
    "replacement-scan": "SELECT * FROM '{secret}'",
    "glob": "SELECT * FROM glob('{scratch}/*')",
    "read-text": "SELECT * FROM read_text('{secret}')",
    "read-blob": "SELECT * FROM read_blob('{secret}')",
    "set-memory": "SET memory_limit = '100GB'",
    "set-external-access": "SET enable_external_access = true",
    "set-unlock": "SET lock_configuration = false",
    "set-allowed-directories": "SET allowed_directories = ['/']",
    "reset-threads": "RESET threads",
    "reset-all": "RESET ALL",
    "macro-create": "CREATE MACRO evil(x) AS x + 1",
    "macro-replace-counts": "CREATE OR REPLACE MACRO counts(bucket) AS TABLE SELECT 0 AS crossings",
    "macro-temp-counts": "CREATE TEMP MACRO counts(bucket) AS TABLE SELECT 0 AS crossings",
    "temp-table-shadows-zones": "CREATE TEMP TABLE zones AS SELECT 'evil' AS zone",
}
ATTACKS: dict[str, str] = {
    **FINDINGS,
    **{f"plain-{k}": sql for k, sql in KINDS.items()},
    **{f"explain-analyze-{k}": f"EXPLAIN ANALYZE {sql}" for k, sql in KINDS.items()},
    **OTHERS,
}
