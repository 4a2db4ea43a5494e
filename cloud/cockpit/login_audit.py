"""Failed logins into the audit log at a bounded rate, whoever sends them and however fast.

Anyone who can reach the login can fail it, and every audit record is an
fsync'd append to a log that is never trimmed. So within each window of
``window_s``, from the first attempt after the last summary:

- the first failure of each (user name, client) pair is recorded on its own,
  as a ``cockpit.login`` record with ``ok: false``, up to ``individual`` of them;
- every failure and every throttled (429) attempt of the window is counted, and
  if any of them was not recorded on its own, one ``cockpit.login_failures``
  record sums the window up: totals, then counts for the busiest
  ``summary_sources`` pairs, then the rest added up as ``other``.

Names and addresses are cut to ``MAX_TEXT`` characters, anything outside
printable ASCII is escaped and the result cut again, so a window costs a
bounded number of bytes however many distinct names are sprayed. The summary
is written by the first attempt after the window, by the cockpit's timer, or
at shutdown. Successful logins are not handled here; they are recorded one by
one.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cloud.audit.chain import AuditLog
from cloud.cockpit.settings import LoginAuditSettings

log = logging.getLogger(__name__)

MAX_TEXT = 32
_MAX_ESCAPED = 64
_UNPRINTABLE = re.compile(r"[^\x20-\x5b\x5d-\x7e]")  # a backslash too, so an escape cannot be forged
SUMMARY_ACTION = "cockpit.login_failures"


def sanitise(text: str | None) -> str:
    """``text`` safe to store and show: printable ASCII with the rest (and backslashes) escaped, from its first ``MAX_TEXT`` characters.

    >>> sanitise("ada\\x1b[2J\\u202e")
    'ada\\\\x1b[2J\\\\u202e'
    """
    if text is None:
        return "-"
    escaped = _UNPRINTABLE.sub(_escape, text[:MAX_TEXT])
    if len(escaped) > _MAX_ESCAPED or len(text) > MAX_TEXT:
        return escaped[:_MAX_ESCAPED] + "..."
    return escaped


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


@dataclass
class _Window:
    start: float
    counts: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # pair -> [failed, throttled]
    other: list[int] = field(default_factory=lambda: [0, 0])
    individual: int = 0

    def attempts(self) -> int:
        return sum(f + t for f, t in self.counts.values()) + sum(self.other)


class FailedLogins:
    """Counts failed and throttled logins per window and writes them to ``audit`` within the byte bounds above."""

    def __init__(self, audit: AuditLog, settings: LoginAuditSettings, clock: Callable[[], float] = time.time) -> None:
        self.audit = audit
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._window: _Window | None = None  # opened by the first attempt after the last summary

    def failed(self, username: str, client: str | None) -> None:
        """A password was checked and was wrong."""
        self._count(username, client, 0)

    def throttled(self, username: str, client: str | None) -> None:
        """An attempt was refused with 429 without checking its password."""
        self._count(username, client, 1)

    def _count(self, username: str, client: str | None, kind: int) -> None:
        pair = (sanitise(username), sanitise(client))
        with self._lock:
            now = self._clock()
            ended = self._roll(now)
            if self._window is None:
                self._window = _Window(now)
            window = self._window
            new = pair not in window.counts and len(window.counts) < self.settings.summary_sources
            alone = kind == 0 and new and window.individual < self.settings.individual
            if pair in window.counts or new:
                window.counts.setdefault(pair, [0, 0])[kind] += 1
            else:  # the table of pairs is full: count it, but remember nothing about it
                window.other[kind] += 1
            window.individual += alone
        if ended is not None:
            self._write_summary(ended)
        if alone:
            self.audit.append(pair[0], "cockpit.login", {"ok": False, "client": pair[1]})

    def flush(self, *, force: bool = False) -> bool:
        """Write the summary of the window if it has ended (or now, with ``force``); True if one was written."""
        with self._lock:
            ended = self._roll(self._clock(), force)
        return ended is not None and self._write_summary(ended)

    def _roll(self, now: float, force: bool = False) -> _Window | None:
        """The window taken out if it has ended (or at once with ``force``); None while it is open, or if there is none."""
        window = self._window
        if window is None or not (force or now >= window.start + self.settings.window_s):
            return None
        self._window = None
        return window

    def _write_summary(self, window: _Window) -> bool:
        if window.attempts() <= window.individual:
            return False  # everything in it is already in the log one by one
        end = max(self._clock(), window.start)
        busiest = sorted(window.counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
        details: dict[str, Any] = {
            "window_start": _iso(window.start),
            "window_end": _iso(min(end, window.start + self.settings.window_s)),
            "failed": sum(f for f, _ in window.counts.values()) + window.other[0],
            "throttled": sum(t for _, t in window.counts.values()) + window.other[1],
            "recorded_individually": window.individual,
            "by_source": [{"username": u, "client": c, "failed": f, "throttled": t} for (u, c), (f, t) in busiest],
            "other": {"failed": window.other[0], "throttled": window.other[1]},
        }
        try:
            self.audit.append("cockpit", SUMMARY_ACTION, details)
        except OSError:  # the log's own problem; the next window still counts, and the server keeps serving
            log.exception("cockpit: could not write the failed-login summary to %s", self.audit.path)
            return False
        return True


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")
