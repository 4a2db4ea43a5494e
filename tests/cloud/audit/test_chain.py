"""Tamper test: alter, delete or swap any single record and verify names it."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

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
