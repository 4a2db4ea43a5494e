"""Per-hour answers kept on disk, outside the lake, so that a twin process opened later does not read those hours again.

``Daily`` computes small answers per hour of the lake (first and last event
time and count, the zones and nodes seen), each valid while that hour's files
stay as they were. In memory alone, every process that opens a twin pays for
all of them once: at 100M events, the first ``/api/range`` read every raw file
of the lake. Here they are kept in one SQLite file per lake in the twin's
state folder (``cloud.twin.state_dir``), keyed by the question, the hour and a
digest of the hour's file listing, and shared by the machine's twin processes:
an hour's answer is computed once in its life, then again only when its files
change. What is kept is a few rows per hour, never events.

A store that cannot be read or written is not an error: the answers are then
computed in memory as before, and a warning says why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Hashable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Slot = tuple[date, str]
Rows = list[tuple[Any, ...]]
_VERSION = 1
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS answers (question TEXT NOT NULL, slot TEXT NOT NULL, listing TEXT NOT NULL, "
    "rows TEXT NOT NULL, PRIMARY KEY (question, slot))"
)


def store_file(state_dir: Path, lake: Path) -> Path:
    """The store of ``lake``'s hourly answers in ``state_dir``: one file per lake, named by its resolved path."""
    name = hashlib.sha256(str(lake.resolve()).encode()).hexdigest()[:16]
    return state_dir / "hourly" / f"{name}-v{_VERSION}.sqlite"


def digest(value: Hashable) -> str:
    """A stable digest of a question or an hour's listing (tuples of names, sizes and times)."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


def _cell(value: Any) -> Any:
    # Only what the hourly questions return: times, dates, text, numbers, booleans, NULL.
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _uncell(value: Any) -> Any:
    if isinstance(value, dict):
        return datetime.fromisoformat(value["t"]) if "t" in value else date.fromisoformat(value["d"])
    return value


def _slot_key(slot: Slot) -> str:
    return f"{slot[0].isoformat()}/{slot[1]}"


class HourlyStore:
    """Answers per (question, hour), valid for one digest of that hour's listing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._con: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._failed = path is None

    def _connect(self) -> sqlite3.Connection | None:
        if self._con is None and not self._failed:
            assert self.path is not None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False, isolation_level=None)
                con.execute("PRAGMA journal_mode=WAL")  # readers in other processes never wait for a writer
                con.execute(_SCHEMA)
                self._con = con
            except (OSError, sqlite3.Error) as exc:
                self._give_up(exc)
        return self._con

    def _give_up(self, exc: Exception) -> None:
        log.warning("hourly answers cannot be kept in %s (%s); they are computed in memory", self.path, exc)
        self._failed = True
        if self._con is not None:
            self._con.close()
            self._con = None

    def get(self, question: str, listing: Mapping[Slot, Hashable]) -> dict[Slot, Rows]:
        """The kept answers of ``question`` for the hours of ``listing`` whose files are as they were."""
        with self._lock:
            con = self._connect()
            if con is None or not listing:
                return {}
            try:
                kept = {slot: con.execute("SELECT listing, rows FROM answers WHERE question = ? AND slot = ?",
                                          (question, _slot_key(slot))).fetchone() for slot in listing}
            except sqlite3.Error as exc:
                self._give_up(exc)
                return {}
        out: dict[Slot, Rows] = {}
        for slot, found in kept.items():
            if found is None or found[0] != digest(listing[slot]):
                continue
            try:
                out[slot] = [tuple(_uncell(c) for c in row) for row in json.loads(found[1])]
            except (ValueError, TypeError, KeyError):
                continue  # a damaged entry is computed again
        return out

    def put(self, question: str, answers: Mapping[Slot, Rows], listing: Mapping[Slot, Hashable],
            gone: Iterable[Slot] = ()) -> None:
        """Keep ``answers`` under their hours' listings; forget the hours in ``gone`` (retention, compaction)."""
        entries = [(question, _slot_key(s), digest(listing[s]), json.dumps([[_cell(c) for c in r] for r in rows]))
                   for s, rows in answers.items()]
        removed = [(question, _slot_key(s)) for s in gone]
        if not entries and not removed:
            return
        with self._lock:
            con = self._connect()
            if con is None:
                return
            try:
                with con:
                    con.execute("BEGIN IMMEDIATE")
                    con.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", entries)
                    con.executemany("DELETE FROM answers WHERE question = ? AND slot = ?", removed)
            except (sqlite3.Error, TypeError, ValueError) as exc:
                self._give_up(exc)

    def kept_slots(self, question: str) -> set[str]:
        """The hours, as ``date/hour``, that ``question`` has an answer for."""
        with self._lock:
            con = self._connect()
            if con is None:
                return set()
            try:
                return {row[0] for row in con.execute("SELECT slot FROM answers WHERE question = ?", (question,))}
            except sqlite3.Error as exc:
                self._give_up(exc)
                return set()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
