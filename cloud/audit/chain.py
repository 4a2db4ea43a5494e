"""Append-only, hash-chained audit records in a JSON-lines file.

Each record carries the hash of the one before it, so editing, deleting or
reordering any record breaks the chain from that point on; ``verify`` names
the first record that does not fit. Rewriting the whole file consistently is
still possible for someone who can write it, which is why ``head()`` exists:
publish the latest hash elsewhere (a ticket, another city, a notary) and a
later rewrite no longer matches it.

Example:
    >>> import tempfile, pathlib
    >>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
    >>> _ = log.append("alice", "sql.query", {"sql": "SELECT 1", "rows": 1})
    >>> verify(log.path).ok
    True
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def _digest(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Record:
    """One audit entry as written."""

    seq: int
    ts: str
    actor: str
    action: str
    details: dict[str, Any]
    prev: str
    hash: str


class AuditLog:
    """Appends records; safe across processes through an exclusive file lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)

    def _last(self, fh: Any) -> tuple[int, str]:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return -1, GENESIS
        # Read backwards just far enough to find the last complete line.
        chunk = min(size, 65536)
        while True:
            fh.seek(size - chunk)
            tail = fh.read(chunk).rstrip(b"\n")
            if b"\n" in tail or chunk == size:
                last = json.loads(tail.rsplit(b"\n", 1)[-1])
                return int(last["seq"]), str(last["hash"])
            chunk = min(size, chunk * 4)

    def append(self, actor: str, action: str, details: dict[str, Any] | None = None) -> Record:
        """Write one record durably and return it."""
        with self.path.open("r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                seq, prev = self._last(fh)
                record: dict[str, Any] = {
                    "seq": seq + 1,
                    "ts": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
                    "actor": actor,
                    "action": action,
                    "details": details or {},
                    "prev": prev,
                }
                record["hash"] = _digest(record)
                fh.seek(0, os.SEEK_END)
                fh.write(json.dumps(record, sort_keys=True, ensure_ascii=False).encode() + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return Record(**record)

    def records(self, last: int | None = None) -> list[dict[str, Any]]:
        """The records as written, oldest first; with ``last``, only the newest ``last`` of them.

        Lines are split on newlines only: statements may hold U+2028 and
        friends, which ``splitlines()`` would cut at.
        """
        lines = [line for line in self.path.read_bytes().split(b"\n") if line.strip()]
        return [json.loads(line) for line in (lines[-last:] if last is not None else lines)]

    def head(self) -> tuple[int, str]:
        """Sequence number and hash of the newest record (-1 and the genesis hash when empty)."""
        with self.path.open("rb") as fh:
            return self._last(fh)


@dataclass(frozen=True)
class Verdict:
    """Result of checking a whole log."""

    ok: bool
    records: int
    line: int | None = None
    seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit log intact: {self.records} records"
        return f"audit log broken at line {self.line} (record seq {self.seq}): {self.reason}"


def verify(path: Path, expected_head: str | None = None) -> Verdict:
    """Check every link of the chain; the first record that does not fit is named."""
    prev, count = GENESIS, 0
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                record = json.loads(raw)
                seq = int(record["seq"])
            except (ValueError, KeyError, TypeError) as exc:
                return Verdict(False, count, number, None, f"not a valid record ({exc})")
            if record.get("prev") != prev:
                why = "a record before it was deleted or moved" if seq != count else "its link to the previous record is wrong"
                return Verdict(False, count, number, seq, f"{why} (prev hash does not match)")
            if seq != count:
                return Verdict(False, count, number, seq, f"expected seq {count}: records were deleted or reordered")
            if _digest(record) != record.get("hash"):
                return Verdict(False, count, number, seq, "its content was edited (hash does not match)")
            prev, count = record["hash"], count + 1
    if expected_head is not None and prev != expected_head:
        return Verdict(False, count, count, count - 1, f"the newest hash {prev[:12]}… is not the published head {expected_head[:12]}…")
    return Verdict(True, count)
