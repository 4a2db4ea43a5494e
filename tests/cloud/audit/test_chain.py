"""Tamper test: alter, delete or swap any single record and verify names it."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from cloud.audit.anchor import Anchor
from cloud.audit.chain import AuditLog, verify

N = 6


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit = AuditLog(tmp_path / "audit.jsonl")
    for i in range(N):
        audit.append(f"user{i % 2}", "sql.query", {"sql": f"SELECT {i}", "rows": i})
    return audit


def lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines(keepends=True)


def test_intact_log_verifies(log: AuditLog) -> None:
    verdict = verify(log.path)
    assert verdict.ok and verdict.records == N


@pytest.mark.parametrize("index", range(N))
@pytest.mark.parametrize("field", ["actor", "details", "ts", "hash"])
def test_an_edit_is_named(log: AuditLog, index: int, field: str) -> None:
    rows = lines(log)
    record = json.loads(rows[index])
    record[field] = {"sql": "DROP"} if field == "details" else ("f" * 64 if field == "hash" else "mallory")
    rows[index] = json.dumps(record, sort_keys=True) + "\n"
    log.path.write_text("".join(rows))
    verdict = verify(log.path)
    assert not verdict.ok
    # Changing a hash also breaks the next link; either way the first bad record is the edited one.
    assert verdict.seq == index and verdict.line == index + 1


@pytest.mark.parametrize("index", range(N - 1))
def test_a_deletion_is_named(log: AuditLog, index: int) -> None:
    rows = lines(log)
    del rows[index]
    log.path.write_text("".join(rows))
    verdict = verify(log.path)
    assert not verdict.ok and verdict.seq == index + 1 and "deleted" in verdict.reason


def test_deleting_the_newest_record_needs_the_published_head(log: AuditLog) -> None:
    _, head = log.head()
    log.path.write_text("".join(lines(log)[:-1]))
    assert verify(log.path).ok  # indistinguishable without an anchor...
    verdict = verify(log.path, expected_head=head)
    assert not verdict.ok and "published head" in verdict.reason


@pytest.mark.parametrize("index", range(N - 1))
def test_a_swap_is_named(log: AuditLog, index: int) -> None:
    rows = lines(log)
    rows[index], rows[index + 1] = rows[index + 1], rows[index]
    log.path.write_text("".join(rows))
    verdict = verify(log.path)
    assert not verdict.ok and verdict.line == index + 1


def test_garbage_line_is_named(log: AuditLog) -> None:
    rows = lines(log)
    rows[2] = "{not json\n"
    log.path.write_text("".join(rows))
    verdict = verify(log.path)
    assert not verdict.ok and verdict.line == 3


def _writer(path: str, n: int) -> None:
    audit = AuditLog(Path(path))
    for i in range(n):
        audit.append("proc", "test.append", {"i": i})


def test_concurrent_writers_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    procs = [multiprocessing.Process(target=_writer, args=(str(path), 50)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    verdict = verify(path)
    assert verdict.ok and verdict.records == 150


def test_cli_exit_codes(log: AuditLog) -> None:
    cmd = [sys.executable, "-m", "citytwin.cli", "audit"]
    ok = subprocess.run([*cmd, "verify", "--log", str(log.path)], capture_output=True, text=True)
    assert ok.returncode == 0 and f"{N} records" in ok.stdout
    rows = lines(log)
    rows[3] = rows[3].replace("user1", "userX")
    log.path.write_text("".join(rows))
    bad = subprocess.run([*cmd, "verify", "--log", str(log.path)], capture_output=True, text=True)
    assert bad.returncode == 1 and "line 4 (record seq 3)" in bad.stderr


def test_a_damaged_record_in_the_middle_is_reported_not_repaired_and_appends_go_on(log: AuditLog) -> None:
    rows = lines(log)
    rows[2] = '{"seq": 2, "damaged\n'
    log.path.write_text("".join(rows))
    AuditLog(log.path).append("ada", "sql.query", {"sql": "SELECT 7"})  # opening and appending cut nothing
    after = lines(log)
    assert after[:N] == rows and json.loads(after[N])["seq"] == N
    verdict = verify(log.path)
    assert not verdict.ok and verdict.line == 3 and "not a valid record" in verdict.reason


def test_appends_go_on_after_a_damaged_last_record(log: AuditLog) -> None:
    rows = lines(log)
    log.path.write_text("".join(rows) + "not a record\n")
    record = log.append("ada", "sql.query", {"sql": "SELECT 7"})
    assert (record.seq, record.prev) == (N, json.loads(rows[-1])["hash"])  # chained to the last readable record
    verdict = verify(log.path)
    assert not verdict.ok and verdict.line == N + 1


def test_head_and_readers_never_count_a_torn_line(log: AuditLog) -> None:
    before = log.head()
    with log.path.open("ab") as fh:
        fh.write(json.dumps({"seq": N, "hash": "f" * 64}).encode())  # a record's bytes, but no newline: not written
    assert log.head() == before
    assert [r["action"] for r in log.records()][-1] == "audit.unreadable"
    verdict = verify(log.path)
    assert verdict.ok and verdict.records == N and "incomplete" in str(verdict)


def _anchor(seq: int, digest: str) -> Anchor:
    return Anchor.now(seq, digest, "/srv/audit.jsonl", "campus")


def test_verify_holds_the_log_to_its_anchors(log: AuditLog) -> None:
    records = [json.loads(row) for row in lines(log)]
    assert verify(log.path, anchors=[_anchor(2, records[2]["hash"]), _anchor(N - 1, records[-1]["hash"])]).ok
    cut = verify(log.path, anchors=[_anchor(N + 1, "a" * 64)])
    assert not cut.ok and "cut off" in cut.reason and f"seq {N + 1}" in cut.reason and records[-1]["hash"] in cut.reason
    rewritten = verify(log.path, anchors=[_anchor(3, "b" * 64)])
    assert not rewritten.ok and rewritten.seq == 3 and "b" * 64 in rewritten.reason and records[3]["hash"] in rewritten.reason
