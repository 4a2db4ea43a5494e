"""Append-only, hash-chained audit records in a JSON-lines file.

Each record carries the hash of the one before it, so editing, deleting or
reordering any record breaks the chain from that point on; ``verify`` names
the first record that does not fit. Losing the newest records, or a whole
chain rewritten consistently by someone who can write the file, leaves a
chain that still fits: that is what anchors are for. Every long-running
writer anchors the head (``head()``) at ``audit.anchor_interval_s`` and on
shutdown, to a file outside the lake and to a Kafka topic
(``cloud.audit.anchoring``); ``verify`` given those anchors reports a log that
ends before an anchored seq, or differs from it at one.

A record is complete when its line ends with a newline; the writer puts the
line and its newline in one write and fsyncs before returning, and actions
that run on someone's behalf are recorded before they run
(``cloud.audit.writeahead``). A crash or a full disk in the middle of a write
leaves a torn last line: the next writer (on open or on append) cuts the log
back to its last complete record and records an ``audit.repair`` naming the
bytes cut, their SHA-256 and the seq it resumed after. A torn line never
blocks a writer. A damaged record that is followed by others is not
repaired: ``verify`` reports it, and appends go on after it.

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
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from citytwin.errors import EXIT_NOT_AUDITED, CitytwinError
from cloud.audit.anchor import Anchor

log = logging.getLogger(__name__)

GENESIS = "0" * 64
REPAIR = "audit.repair"
UNREADABLE = "audit.unreadable"
_FIELDS = {"seq": int, "ts": str, "actor": str, "action": str, "details": dict, "prev": str, "hash": str}


def _digest(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _parse(raw: bytes) -> dict[str, Any] | None:
    """A line as a record of the right shape, or None."""
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or any(type(record.get(k)) is not t for k, t in _FIELDS.items()):
        return None
    return record


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


class AuditWriteError(CitytwinError, OSError):
    """A record could not be made durable; whatever it was to record must not go ahead."""

    exit_code = EXIT_NOT_AUDITED


@dataclass(frozen=True)
class _Tail:
    """The newest readable record (seq and hash), where the last complete line ends, and the file size."""

    seq: int
    hash: str
    complete: int
    size: int


def _read_at(fh: BinaryIO, start: int, size: int) -> bytes:
    """``size`` bytes from ``start``; an unbuffered read may return fewer, so read until done or at the end."""
    fh.seek(start)
    parts, left = [], size
    while left > 0 and (part := fh.read(left)):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _tail(fh: BinaryIO) -> _Tail:
    """Read backwards just far enough to find the newest readable record after the last complete line."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    chunk = 65536
    while True:
        start = max(0, size - chunk)
        data = _read_at(fh, start, size - start)
        cut = data.rfind(b"\n") + 1
        if cut or start == 0:
            lines = data[:cut].split(b"\n")[(1 if start else 0):]  # a chunk's first line may be partial
            for raw in reversed(lines):
                record = _parse(raw) if raw.strip() else None
                if record is not None:
                    return _Tail(record["seq"], record["hash"], start + cut, size)
            if start == 0:
                return _Tail(-1, GENESIS, cut, size)
        chunk *= 4


class AuditLog:
    """Appends records; safe across processes through an exclusive file lock. Opening it repairs a torn tail."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
        except OSError as exc:
            raise AuditWriteError(f"cannot open the audit log {path}: {exc.strerror or exc}; "
                                  "check that its folder exists and is writable") from exc
        self.repair()

    def _open(self) -> BinaryIO:
        try:
            return self.path.open("r+b", buffering=0)  # unbuffered: a failed write fails here, not later on close
        except OSError as exc:
            raise AuditWriteError(f"cannot open the audit log {self.path}: {exc.strerror or exc}; "
                                  "check that it exists and is writable") from exc

    def _write(self, fh: BinaryIO, tail: _Tail, actor: str, action: str, details: dict[str, Any]) -> tuple[dict[str, Any], _Tail]:
        """Append one record after ``tail``; the record and the new tail."""
        record: dict[str, Any] = {
            "seq": tail.seq + 1,
            "ts": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "details": details,
            "prev": tail.hash,
        }
        record["hash"] = _digest(record)
        line = json.dumps(record, sort_keys=True, ensure_ascii=False).encode() + b"\n"
        try:
            fh.seek(tail.size)
            written = 0
            while written < len(line):
                written += fh.write(line[written:]) or 0
            os.fsync(fh.fileno())
        except OSError as exc:
            self._undo(fh, tail.size)
            raise AuditWriteError(f"could not write to the audit log {self.path}: {exc.strerror or exc}; "
                                  "free space on its disk or fix its permissions") from exc
        end = tail.size + len(line)
        return record, _Tail(record["seq"], record["hash"], end, end)

    def _undo(self, fh: BinaryIO, size: int) -> None:
        """Cut a write that failed half-way; if even that fails, the next writer's repair does it."""
        try:
            os.ftruncate(fh.fileno(), size)
        except OSError:
            log.warning("audit: could not cut a failed write off %s; the next write will repair it", self.path)

    def _repair(self, fh: BinaryIO, tail: _Tail) -> _Tail:
        """Cut a torn last line and record that; the tail to write after."""
        if tail.complete == tail.size:
            return tail
        torn = _read_at(fh, tail.complete, tail.size - tail.complete)
        try:
            os.ftruncate(fh.fileno(), tail.complete)
            os.fsync(fh.fileno())
        except OSError as exc:
            raise AuditWriteError(f"could not repair the torn end of the audit log {self.path}: {exc.strerror or exc}; "
                                  "free space on its disk or fix its permissions") from exc
        details = {"bytes_cut": len(torn), "sha256": hashlib.sha256(torn).hexdigest(), "resumed_after": tail.seq}
        log.warning("audit: cut %d bytes of a torn record off the end of %s (resuming after seq %d)",
                    len(torn), self.path, tail.seq)
        return self._write(fh, _Tail(tail.seq, tail.hash, tail.complete, tail.complete), "audit", REPAIR, details)[1]

    def append(self, actor: str, action: str, details: dict[str, Any] | None = None) -> Record:
        """Write one record durably and return it; raises ``AuditWriteError`` when it could not be."""
        with self._open() as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                tail = self._repair(fh, _tail(fh))
                record, _ = self._write(fh, tail, actor, action, details or {})
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return Record(**record)

    def repair(self) -> bool:
        """Cut a torn last line, if there is one, and record the repair; True when something was cut."""
        with self._open() as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                tail = _tail(fh)
                return self._repair(fh, tail) != tail
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def records(self, last: int | None = None) -> list[dict[str, Any]]:
        """The records as written, oldest first; with ``last``, only the newest ``last`` of them (see ``read``)."""
        return read(self.path, last)

    def head(self) -> tuple[int, str]:
        """Sequence number and hash of the newest complete record (-1 and the genesis hash when empty)."""
        return head(self.path)


def _shared(path: Path) -> bytes:
    with path.open("rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)  # never a line half-written by another process
        try:
            return fh.read()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read(path: Path, last: int | None = None) -> list[dict[str, Any]]:
    """The records of the log at ``path``, oldest first, without changing it.

    Lines are split on newlines only: statements may hold U+2028 and friends,
    which ``splitlines()`` would cut at. A line that is not a record (damaged,
    or torn at the end) appears as an ``audit.unreadable`` entry with a null
    seq, so readers see that something is there without trusting it.
    """
    data = _shared(path)
    lines = data.split(b"\n")
    torn = len(lines) - 1 if lines[-1].strip() else None
    numbered = [(n, raw) for n, raw in enumerate(lines, start=1) if raw.strip()]
    out = []
    for number, raw in numbered[-last:] if last is not None else numbered:
        record = _parse(raw) if number - 1 != torn else None
        if record is None:
            why = "an incomplete last line (a write cut short)" if number - 1 == torn else "not a valid record"
            record = {"seq": None, "ts": "", "actor": "", "action": UNREADABLE, "prev": "", "hash": "",
                      "details": {"line": number, "bytes": len(raw), "reason": why}}
        out.append(record)
    return out


def head(path: Path) -> tuple[int, str]:
    """Sequence number and hash of the newest complete record of the log at ``path``."""
    with path.open("rb", buffering=0) as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        try:
            tail = _tail(fh)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return tail.seq, tail.hash


@dataclass(frozen=True)
class Verdict:
    """Result of checking a whole log."""

    ok: bool
    records: int
    line: int | None = None
    seq: int | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.ok:
            return f"audit log intact: {self.records} records" + "".join(f"; {note}" for note in self.notes)
        where = f"at line {self.line} " if self.line is not None else ""
        return f"audit log broken {where}(record seq {self.seq}): {self.reason}"


def _link(record: dict[str, Any], prev: str, count: int) -> str | None:
    """What is wrong with ``record`` as the ``count``-th record after ``prev``, if anything."""
    seq = record["seq"]
    if record["prev"] != prev:
        why = "a record before it was deleted or moved" if seq != count else "its link to the previous record is wrong"
        return f"{why} (prev hash does not match)"
    if seq != count:
        return f"expected seq {count}: records were deleted or reordered"
    if _digest(record) != record["hash"]:
        return "its content was edited (hash does not match)"
    return None


def _anchored(anchors: Iterable[Anchor]) -> dict[int, list[Anchor]]:
    by_seq: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        by_seq.setdefault(anchor.seq, []).append(anchor)
    return by_seq


def verify(path: Path, expected_head: str | None = None, anchors: Iterable[Anchor] = ()) -> Verdict:
    """Check every link of the chain, and the log against ``anchors``; the first record that does not fit is named."""
    prev, count, torn = GENESIS, 0, 0
    by_seq = _anchored(anchors)
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                torn = len(raw)  # the last line, never finished: not a record
                break
            record = _parse(raw)
            if record is None:
                return Verdict(False, count, number, None, "not a valid record (not JSON, or fields missing)")
            seq = record["seq"]
            if (problem := _link(record, prev, count)) is not None:
                return Verdict(False, count, number, seq, problem)
            for anchor in by_seq.get(seq, []):
                if anchor.hash != record["hash"]:
                    return Verdict(False, count, number, seq, f"the chain was rewritten: this record's hash is "
                                   f"{record['hash']} but the anchor {anchor.where()} has {anchor.hash}")
            prev, count = record["hash"], count + 1
    if by_seq and (newest := max(by_seq)) >= count:
        anchor = by_seq[newest][0]
        return Verdict(False, count, None, count, f"records were cut off the end: the log ends at seq {count - 1} "
                       f"(hash {prev}) but the anchor {anchor.where()} has seq {newest} with hash {anchor.hash}; "
                       f"at least {newest - count + 1} of the newest records are missing")
    if expected_head is not None and prev != expected_head:
        return Verdict(False, count, count, count - 1, f"the newest hash {prev[:12]}… is not the published head {expected_head[:12]}…")
    notes = []
    if by_seq:
        newest = max(by_seq)
        since = f"; {count - 1 - newest} records were written after it" if count - 1 > newest else ""
        notes.append(f"matches the newest anchor (seq {newest}, {by_seq[newest][0].where()}){since}")
    if torn:
        notes.append(f"its last line is incomplete ({torn} bytes, a write cut short): "
                     f"the next writer cuts it and records an {REPAIR}")
    return Verdict(True, count, notes=tuple(notes))
