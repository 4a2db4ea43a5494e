"""Text that outsiders wrote never reaches an operator's terminal raw: audit records, dead letters, query results.

A failed login records the user name as it was typed, over HTTP, by anyone;
a dead letter holds whatever a device published; lake values come from the
edge. Each is printed by the real CLI in a separate process, and the output
must hold none of the control, bidi or invisible characters, only their
escapes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud.audit.chain import AuditLog
from cloud.cockpit.service import Cockpit
from cloud.dlq.publish import DeadLetterPublisher
from cloud.dlq.records import DeadLetter
from tests.cloud.cockpit.conftest import client, cockpit  # noqa: F401 (fixtures)
from tests.cloud.cockpit.fixtures import cockpit_lake, cockpit_users, cockpits  # noqa: F401 (fixtures)
from tests.security.audit_support import HOSTILE, DlqSite, audit_lake, citytwin, dlq_site, make_site  # noqa: F401

# Clear the screen, retitle the window, write the clipboard (OSC 52), overwrite the line, reverse what follows.
NAMES = [
    "\x1b[2J\x1b[Hadmin",
    "\x1b]0;owned\x07mallory",
    "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07x",
    "olga\r\x1b[Kada logged in",
    "eve\x08\x08\x08ada",
    "\u202enimda",
    "\u2066ada\u2069\u200f\u200b\ufeff",
    "\x9b2J\x7f\x00\u2028fake line",
]


def _raw_controls(text: str) -> list[str]:
    return [repr(ch) for ch in HOSTILE if ch in text]


def test_audit_show_escapes_the_user_name_a_failed_login_recorded(client: TestClient, cockpit: Cockpit) -> None:
    typed = "\x1b]0;owned\x07\x1b[2J\r\x08\u202e\u2066\u200f\u200b\ufeff\x9b\x7f\x00\u2028ada"
    assert not [ch for ch in HOSTILE if ch not in typed]
    r = client.post("/api/login", json={"username": typed, "password": "wrong"})
    assert r.status_code == 401, r.text
    # The cockpit records a name nobody logged in with escaped and cut (its bytes are bounded): no raw control lands.
    text = cockpit.audit.path.read_text()
    assert not _raw_controls(text.replace("\n", "")), text
    records = [json.loads(line) for line in text.split("\n") if line]
    escaped = "\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x08\\u202e\\u2066\\u200f\\u200b\\ufeff"
    assert any(str(r["actor"]).startswith(escaped) for r in records), records
    done = citytwin("audit", "show", "--log", str(cockpit.audit.path))
    assert done.returncode == 0, done.stderr
    assert not _raw_controls(done.stdout), done.stdout
    assert escaped in done.stdout


@pytest.mark.parametrize("name", NAMES)
def test_audit_show_keeps_each_record_on_its_own_line_whatever_the_actor(tmp_path: Path, name: str) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    for actor in (name, "ada"):
        log.append(actor, "cockpit.login", {"ok": False, "client": "testclient"})
    done = citytwin("audit", "show", "--log", str(log.path))
    assert done.returncode == 0 and not _raw_controls(done.stdout), done.stdout
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[1].split()[2] == "ada", lines  # nothing overwrote or hid the next record


def test_audit_show_escapes_hostile_text_in_every_field(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append("\x1b[31mred", "\x1b[8mhidden", {"sql": "SELECT 1 \u202e --", "\x1b[2Jkey": "\x7f"})
    done = citytwin("audit", "show", "--log", str(log.path))
    assert done.returncode == 0 and not _raw_controls(done.stdout), done.stdout
    assert "\\x1b[31mred" in done.stdout and "\\x1b[8mhidden" in done.stdout and "\\u202e" in done.stdout


def test_query_output_escapes_hostile_values_and_column_names(tmp_path: Path, audit_lake: Path) -> None:
    site = make_site(tmp_path, audit_lake, "127.0.0.1:1")
    sql = ("SELECT chr(27) || '[2J' || 'x' AS \"a\x1b[8m\", chr(8) || chr(13) || chr(127) AS b, "
           "'\u202eevil\u2066' AS c, chr(155) || 'C1' AS d, 'Zoë 🚲 Ωμέγα' AS e")
    for fmt in ("table", "csv", "json"):
        done = citytwin("query", "-c", str(site.config), sql, "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert not _raw_controls(done.stdout), (fmt, done.stdout)
        assert "Zoë 🚲 Ωμέγα" in done.stdout or "Zo\\u00eb" in done.stdout  # ordinary text is left alone
    table = citytwin("query", "-c", str(site.config), sql).stdout
    assert "\\x1b[2Jx" in table and "\\x08\\x0d\\x7f" in table and "\\u202eevil\\u2066" in table and "Zoë 🚲" in table
    row = json.loads(citytwin("query", "-c", str(site.config), sql, "--format", "json").stdout)
    assert row["b"] == "\b\r\x7f" and row["a\x1b[8m"] == "\x1b[2Jx"  # JSON escapes them and still carries them exactly


@pytest.mark.kafka
def test_dlq_list_and_show_escape_hostile_payloads_and_reasons(dlq_site: DlqSite) -> None:
    config = str(dlq_site.path)
    publisher = DeadLetterPublisher(dlq_site.cfg.kafka, "citytwin-tests")
    payload = b'{"seq": 1}\x1b[2J\x1b]0;owned\x07\r\nnow: valid now (can be replayed)\n\x9b\xe2\x80\xae\xff'
    publisher.send(DeadLetter.of(payload, "schema", "bad \x1b[31mreason\u202e", "mqtt", "citytwin/\x1b[8m/x", "bridge\x07"))
    publisher.flush()
    listed = citytwin("dlq", "-c", config, "list")
    assert listed.returncode == 0, listed.stderr
    assert not _raw_controls(listed.stdout), listed.stdout
    assert "bad \\x1b[31mreason\\u202e" in listed.stdout and "citytwin/\\x1b[8m/x" in listed.stdout
    shown = citytwin("dlq", "-c", config, "show", "0:0")
    assert shown.returncode == 0, shown.stderr
    assert not _raw_controls(shown.stdout), shown.stdout
    # A payload cannot forge the tool's own lines: its newlines are escaped too.
    assert [line for line in shown.stdout.splitlines() if line.startswith("now:")] == [
        line for line in shown.stdout.splitlines() if line.startswith("now: still invalid")]
    assert "\\x1b[2J\\x1b]0;owned\\x07\\x0d\\x0anow: valid now" in shown.stdout and "\\xff" in shown.stdout
