"""A bounded, durable FIFO of outgoing messages, kept in SQLite.

Every event is written here before it is sent and deleted only after the
broker acknowledged it, so a broker outage or a node restart loses nothing
that was accepted. When the spool is full, new messages are refused and
counted (``dropped``) rather than evicting ones already accepted.

Example:
    >>> spool = Spool(":memory:", max_messages=2)
    >>> spool.put("t", b"a") and spool.put("t", b"b") and not spool.put("t", b"c")
    True
    >>> [(m.topic, m.payload) for m in spool.peek(10)], spool.dropped
    ([('t', b'a'), ('t', b'b')], 1)
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spooled:
    """One message waiting to be sent; ``key`` orders and identifies it."""

    key: int
    topic: str
    payload: bytes


class Spool:
    """Thread-safe FIFO on disk, bounded by message count and bytes."""

    def __init__(self, path: str | Path, max_messages: int = 100_000, max_bytes: int = 256 * 2**20) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.dropped = 0
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            # WAL + NORMAL survives a process crash; a power cut may lose the last commit.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS spool (key INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL)"
            )
            row = self._db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM spool").fetchone()
        except sqlite3.DatabaseError as exc:
            raise RuntimeError(f"event spool {self.path} is unusable ({exc}); move it aside and restart") from exc
        self._count, self._bytes = int(row[0]), int(row[1])
        if self._count:
            log.info("spool %s holds %d messages from a previous run; they are sent first", self.path, self._count)

    def __len__(self) -> int:
        return self._count

    @property
    def size_bytes(self) -> int:
        """Payload bytes waiting."""
        return self._bytes

    def put(self, topic: str, payload: bytes) -> bool:
        """Append a message; returns False (and counts a drop) when the spool is full."""
        with self._lock:
            if self._count >= self.max_messages or self._bytes + len(payload) > self.max_bytes:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.error(
                        "spool %s full (%d messages, %d bytes): dropped %d new events so far",
                        self.path, self._count, self._bytes, self.dropped,
                    )
                return False
            self._db.execute("INSERT INTO spool (topic, payload) VALUES (?, ?)", (topic, payload))
            self._count += 1
            self._bytes += len(payload)
            return True

    def peek(self, limit: int, after: int = 0) -> list[Spooled]:
        """Up to ``limit`` oldest messages with a key greater than ``after``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, topic, payload FROM spool WHERE key > ? ORDER BY key LIMIT ?", (after, limit)
            ).fetchall()
        return [Spooled(int(k), str(t), bytes(p)) for k, t, p in rows]

    def ack(self, keys: Iterable[int]) -> None:
        """Forget messages the broker has acknowledged."""
        keys = list(keys)
        if not keys:
            return
        with self._lock:
            marks = ",".join("?" * len(keys))
            row = self._db.execute(
                f"SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM spool WHERE key IN ({marks})", keys
            ).fetchone()
            self._db.execute(f"DELETE FROM spool WHERE key IN ({marks})", keys)
            self._count -= int(row[0])
            self._bytes -= int(row[1])

    def close(self) -> None:
        with self._lock:
            self._db.close()
