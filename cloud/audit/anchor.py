"""Anchors: the audit log's head (seq and hash) written down where the log's writer cannot rewrite it alone.

A hash chain shows an edit, a deletion or a reordering, but not the loss of
its newest records, nor a whole chain rewritten consistently by someone who
can write the file. An anchor, taken while the log was intact, closes both
gaps: a log that ends before an anchored seq was cut off, and a record whose
hash differs from the anchored one was rewritten. Anchors go to an
append-only file outside the lake (``audit.anchor_path``, created 0600) and to
a Kafka topic (``kafka.topics.audit_anchors``); ``cloud.audit.anchoring``
writes them, ``citytwin audit verify`` reads them.

Example:
    >>> import tempfile, pathlib
    >>> anchors = AnchorFile(pathlib.Path(tempfile.mkdtemp()) / "audit.anchors.jsonl")
    >>> anchors.append(Anchor.now(3, "ab" * 32, "/data/audit/audit.jsonl", "campus"))
    >>> [a.seq for a in anchors.read().anchors]
    [3]
"""

from __future__ import annotations

import fcntl
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Anchor(BaseModel):
    """The head of one audit log at one moment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=0, title="Sequence number of the newest record")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$", title="Hash of that record")
    ts: datetime = Field(title="When the anchor was taken (UTC)")
    host: str = Field(max_length=255, title="Host that took it")
    log: str = Field(max_length=4096, title="The audit log, as an absolute path on that host")
    site: str = Field(max_length=255, title="The deployment's site id")
    source: str = Field("", exclude=True, title="Where this copy was read from (not stored)")

    @classmethod
    def now(cls, seq: int, digest: str, log: str, site: str) -> Anchor:
        return cls(seq=seq, hash=digest, ts=datetime.now(timezone.utc), host=socket.gethostname() or "localhost",
                   log=log, site=site)

    @property
    def key(self) -> str:
        """The Kafka record key: one log of one site."""
        return key_of(self.site, self.log)

    def line(self) -> bytes:
        return self.model_dump_json().encode() + b"\n"

    def where(self) -> str:
        """When, by whom and where it was found, for reports."""
        return f"taken {self.ts.isoformat(timespec='seconds')} on {self.host}" + (f", from {self.source}" if self.source else "")


def key_of(site: str, log: str) -> str:
    return f"{site}:{log}"


def parse(raw: bytes, source: str) -> Anchor | None:
    """One stored anchor, or None when ``raw`` is not one."""
    try:
        return Anchor.model_validate_json(raw).model_copy(update={"source": source})
    except (ValidationError, ValueError):
        return None


@dataclass
class Found:
    """The anchors read from one place, and how many entries there could not be read."""

    anchors: list[Anchor] = field(default_factory=list)
    unreadable: int = 0


class AnchorFile:
    """An append-only JSON-lines file of anchors, readable and writable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, anchor: Anchor) -> None:
        """Add one anchor durably; raises ``OSError`` when the file cannot be written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            # A torn last line stays a line of its own rather than swallowing this anchor.
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
            os.write(fd, (b"\n" if torn else b"") + anchor.line())
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> Found:
        """Every anchor in the file, oldest first; a missing file holds none."""
        found = Found()
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return found
        for raw in data.split(b"\n"):
            if not raw.strip():
                continue
            anchor = parse(raw, str(self.path))
            if anchor is None:
                found.unreadable += 1
            else:
                found.anchors.append(anchor)
        return found
