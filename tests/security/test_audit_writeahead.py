"""Actions are audited before they run: the real cockpit process killed mid-query, and the real ``citytwin query``."""

from __future__ import annotations

import getpass
import os
import signal
import threading
from pathlib import Path
from typing import Any

import httpx

from cloud.audit.chain import verify
from tests.security.audit_support import audit_lake, cockpits, site_users  # noqa: F401 (fixtures)
from tests.security.audit_support import CockpitProcess, Site, citytwin, make_site, wait_for

# Runs for seconds (27e9 rows) and stops at the twin's time limit; the test kills the cockpit long before.
SLOW_SQL = "SELECT count(*) FROM events a, events b, events c"


def _site(tmp_path: Path, lake: Path) -> Site:
    return make_site(tmp_path, lake, "127.0.0.1:1")  # no Kafka: nothing here needs it


def _phases(site: Site, action: str) -> list[tuple[str, Any]]:
    return [(r["details"]["phase"], r["details"].get("sql") or r["details"].get("intent"))
            for r in site.records() if r["action"] == action]


def test_a_query_is_on_record_before_it_runs_even_if_the_cockpit_dies_mid_query(
    tmp_path: Path, audit_lake: Path, site_users: Path, cockpits: list[CockpitProcess]
) -> None:
    site = _site(tmp_path, audit_lake)
    cockpit = CockpitProcess(site, site_users, tmp_path / "logs")
    cockpits.append(cockpit)
    headers = cockpit.token()
    answered: list[int] = []

    def ask() -> None:
        try:
            answered.append(cockpit.http.post("/api/sql", json={"sql": SLOW_SQL}, headers=headers).status_code)
        except httpx.TransportError:
            answered.append(-1)  # the cockpit was killed while the query ran

    asking = threading.Thread(target=ask)
    asking.start()
    wait_for(lambda: ("intent", SLOW_SQL) in _phases(site, "sql.query"), 8.0, "the intent of the running query")
    assert not answered, "the query had already finished: the test proves nothing"
    cockpit.proc.send_signal(signal.SIGKILL)  # a crash: no handler runs, nothing is written after this point
    cockpit.proc.wait(10)
    asking.join(30)
    assert _phases(site, "sql.query") == [("intent", SLOW_SQL)]  # on record; the missing outcome says it never finished
    assert verify(site.log).ok


def test_citytwin_query_records_the_os_user_and_the_statement_before_and_the_outcome_after(
    tmp_path: Path, audit_lake: Path
) -> None:
    site = _site(tmp_path, audit_lake)
    sql = "SELECT camera, count(*) AS n FROM crossings GROUP BY 1 ORDER BY 1"
    done = citytwin("query", "-c", str(site.config), sql, "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "camera,n" and len(done.stdout.splitlines()) == 4
    queries = [r for r in site.records() if r["action"] == "sql.query"]
    intent, outcome = queries
    user = getpass.getuser()
    assert intent["actor"] == f"os:{user}"
    assert {k: intent["details"][k] for k in ("phase", "via", "os_user", "uid", "sql")} == {
        "phase": "intent", "via": "citytwin query", "os_user": user, "uid": os.getuid(), "sql": sql}
    assert outcome["details"]["phase"] == "outcome" and outcome["details"]["intent"] == intent["seq"]
    assert outcome["details"]["rows"] == 3 and outcome["details"]["refused"] is False
    assert verify(site.log).ok


def test_citytwin_query_audits_refused_and_named_queries_too(tmp_path: Path, audit_lake: Path) -> None:
    site = _site(tmp_path, audit_lake)
    refused = citytwin("query", "-c", str(site.config), "COPY (SELECT 1) TO '/tmp/out.csv'")
    assert refused.returncode == 1 and "COPY" in refused.stderr
    named = citytwin("query", "-c", str(site.config), "--named", "busiest_zones",
                     "--param", "t1=2026-01-01T00:00:00+00:00", "--param", "t2=2026-01-02T00:00:00+00:00")
    assert named.returncode == 0, named.stderr
    copy, refusal, busiest, result = [r for r in site.records() if r["action"] == "sql.query"]
    assert copy["details"]["sql"].startswith("COPY")
    assert refusal["details"]["intent"] == copy["seq"] and refusal["details"]["refused"] is True
    assert busiest["details"]["named"] == "busiest_zones" and busiest["details"]["params"]["t1"].startswith("2026-01-01")
    assert "FROM occupancy" in busiest["details"]["sql"]
    assert result["details"]["intent"] == busiest["seq"] and result["details"]["refused"] is False


def test_citytwin_query_does_not_run_when_it_cannot_be_audited(tmp_path: Path, audit_lake: Path) -> None:
    site = _site(tmp_path, audit_lake)
    site.log.parent.mkdir(parents=True)
    site.log.symlink_to("/dev/full")  # every write fails with ENOSPC, as on a full disk
    done = citytwin("query", "-c", str(site.config), "SELECT 42 AS answer")
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert done.stdout == "" and "not run" in done.stderr and "No space left" in done.stderr
