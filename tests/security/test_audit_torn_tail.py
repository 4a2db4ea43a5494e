"""A torn or unwritable audit log never turns requests into 500s, through the real cockpit app over HTTP.

A crash or a full disk in the middle of a write leaves a torn last line. The
next writer cuts it and records the repair; readers show it without trusting
it; and when the log cannot be written at all, the cockpit refuses the
request with 503 in its one error shape instead of running it unaudited.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud.audit.chain import AuditLog, verify
from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import Users
from tests.cloud.cockpit.conftest import client, cockpit  # noqa: F401 (fixtures)
from tests.cloud.cockpit.fixtures import cockpit_lake, cockpit_users, cockpits  # noqa: F401 (fixtures)
from tests.cloud.cockpit.support import fire_alert, login, make_cockpit


def _a_record_line(path: Path) -> bytes:
    return path.read_bytes().split(b"\n")[0]


# What a crash or a full disk can leave at the end of the log, each a cousin of the others.
TORN: dict[str, Callable[[Path], bytes]] = {
    "half a record": lambda log: _a_record_line(log)[:40],
    "a whole record but its newline": lambda log: _a_record_line(log).replace(b'"seq": 0', b'"seq": 99'),
    "zeros from a crash before the data reached the disk": lambda log: b"\0" * 4096,
    "a fragment longer than the read-back window": lambda log: b'{"seq": 7, "details": {"sql": "' + b"x" * 300_000,
    "bytes that are not UTF-8": lambda log: b'\xff\xfe{"seq": 3, "act',
    "a lone quote": lambda log: b'"',
}


def _tear(path: Path, torn: bytes) -> int:
    """Append ``torn`` as a write cut short; returns the seq of the last whole record."""
    last = json.loads(path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1])["seq"]
    with path.open("ab") as fh:
        fh.write(torn)
    return int(last)


@pytest.mark.parametrize("kind", TORN)
def test_a_torn_tail_is_cut_recorded_and_never_blocks_a_login(client: TestClient, cockpit: Cockpit, kind: str) -> None:
    login(client, "vic")
    torn = TORN[kind](cockpit.audit.path)
    last = _tear(cockpit.audit.path, torn)
    assert client.post("/api/login", json={"username": "mallory", "password": "guess"}).status_code == 401
    headers = login(client, "ada")  # the admin's login too; before the repair this was a 500 for everyone
    assert client.post("/api/sql", json={"sql": "SELECT 1 AS one"}, headers=headers).status_code == 200
    records = [json.loads(line) for line in cockpit.audit.path.read_bytes().split(b"\n") if line]
    repairs = [r for r in records if r["action"] == "audit.repair"]
    assert [r["details"] for r in repairs] == [
        {"bytes_cut": len(torn), "sha256": hashlib.sha256(torn).hexdigest(), "resumed_after": last}]
    assert records[last + 1]["action"] == "audit.repair"  # the repair comes first, then what triggered it
    assert "ada" in [r["actor"] for r in records[last + 2:] if r["action"] == "cockpit.login"]
    verdict = verify(cockpit.audit.path)
    assert verdict.ok and verdict.records == len(records), verdict


def test_a_log_that_is_nothing_but_a_torn_first_record_starts_over(cockpit_lake: Path, tmp_path: Path,
                                                                   cockpit_users: Users) -> None:
    torn = b'{"seq": 0, "ts": "2026-'
    (tmp_path / "audit.jsonl").write_bytes(torn)
    cockpit = make_cockpit(cockpit_lake, tmp_path, cockpit_users)  # opening the log repairs it
    try:
        with TestClient(create_app(cockpit, background_refresh=False)) as client:
            records = client.get("/api/audit", headers=login(client, "aud")).json()[::-1]
    finally:
        cockpit.twin.close()
    assert [(r["seq"], r["action"]) for r in records] == [(0, "audit.repair"), (1, "cockpit.login")]
    assert records[0]["details"]["resumed_after"] == -1 and records[0]["details"]["bytes_cut"] == len(torn)
    assert verify(cockpit.audit.path).ok


def test_reading_a_torn_log_shows_the_torn_line_instead_of_failing(client: TestClient, cockpit: Cockpit) -> None:
    headers = login(client, "aud")
    _tear(cockpit.audit.path, b'{"seq": 1, "actor": "ol')
    r = client.get("/api/audit", headers=headers)  # reading appends nothing, so nothing is repaired yet
    assert r.status_code == 200, r.text
    newest = r.json()[0]
    assert newest["action"] == "audit.unreadable" and newest["seq"] is None
    assert newest["details"]["reason"].startswith("an incomplete last line")
    assert [x["action"] for x in r.json()[1:]] == ["cockpit.login"]


def test_a_service_starting_on_a_torn_log_repairs_it(tmp_path: Path) -> None:
    log = tmp_path / "audit" / "audit.jsonl"
    AuditLog(log).append("ada", "sql.query", {"sql": "SELECT 1"})
    _tear(log, b'{"seq": 1, "act')
    config = tmp_path / "site.yaml"
    config.write_text(f"site: {{id: campus, name: Campus, width_m: 10, height_m: 10}}\nlake: {{path: {tmp_path / 'lake'}}}\n"
                      "kafka: {bootstrap: '127.0.0.1:1'}\n")
    (tmp_path / "lake").mkdir()
    done = subprocess.run([sys.executable, "-m", "citytwin.cli", "retention", "-c", str(config)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    actions = [json.loads(line)["action"] for line in log.read_text().splitlines()]
    assert actions == ["sql.query", "audit.repair", "config.change"]


def test_no_space_for_the_audit_log_refuses_requests_with_503(client: TestClient, cockpit: Cockpit) -> None:
    """/dev/full fails every write with ENOSPC, as a full disk does."""
    headers = login(client, "ada")
    fire_alert(cockpit, "a-1", "zone-0 over capacity")
    path = cockpit.audit.path
    path.unlink()
    path.symlink_to("/dev/full")
    checks = [
        client.post("/api/sql", json={"sql": "SELECT * FROM no_such_table"}, headers=headers),  # not even parsed
        client.post("/api/alerts/a-1/ack", headers=headers),
        client.post("/api/login", json={"username": "ada", "password": "admin-pass-1"}),
    ]
    for r in checks:
        assert r.status_code == 503, (r.request.url, r.text)
        body = r.json()
        assert set(body) == {"error"} and body["error"]["code"] == "audit_unavailable"
        assert "not carried out" in body["error"]["message"] and "/dev/full" not in body["error"]["message"]
    # The decision did not happen: it could not be recorded first.
    path.unlink()
    path.touch()
    alert = client.get("/api/alerts", headers=headers).json()[0]
    assert alert["id"] == "a-1" and alert["acknowledged_by"] is None
