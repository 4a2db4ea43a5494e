"""Write-ahead auditing: an action taken on someone's behalf is recorded before it runs, and its outcome after.

The intent record (who, what, the statement) is durable before the action
starts, so a crash, a kill or a full disk can never leave an action that ran
without a trace; if it cannot be written, ``AuditWriteError`` is raised and
the action must not run. The outcome record names the intent's seq and says
how it ended (rows, error, elapsed time). An intent without an outcome is an
action that was started but never finished.

Example:
    >>> import tempfile, pathlib
    >>> from cloud.audit.chain import AuditLog
    >>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
    >>> with begin(log, "alice", "sql.query", {"sql": "SELECT 1"}) as step:
    ...     step.note(rows=1)
    >>> [(r["details"]["phase"], r["details"].get("intent")) for r in log.records()]
    [('intent', None), ('outcome', 0)]
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
import time
from types import TracebackType
from typing import Any

from cloud.audit.chain import AuditLog, AuditWriteError, Record

log = logging.getLogger(__name__)


class Intent:
    """A durable intent record; collects the outcome and records it when the action ends."""

    def __init__(self, audit: AuditLog, record: Record) -> None:
        self.audit = audit
        self.record = record
        self.outcome: dict[str, Any] = {}
        self._started = time.monotonic()
        self._closed = False

    @property
    def seq(self) -> int:
        return self.record.seq

    def note(self, **outcome: Any) -> None:
        """Add to what the outcome record will say."""
        self.outcome.update(outcome)

    def done(self, **outcome: Any) -> Record | None:
        """Record the outcome once; a failure is logged, not raised, since the action has already run."""
        if self._closed:
            return None
        self._closed = True
        self.note(**outcome)
        # The action's own timing, when it notes one, is more precise than the time between the records.
        details = {"phase": "outcome", "intent": self.seq,
                   "elapsed_ms": round((time.monotonic() - self._started) * 1000, 1), **self.outcome}
        try:
            return self.audit.append(self.record.actor, self.record.action, details)
        except AuditWriteError as exc:
            log.error("audit: the outcome of %s (intent seq %d) was not recorded: %s", self.record.action, self.seq, exc)
            return None

    def __enter__(self) -> Intent:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: TracebackType | None) -> None:
        if exc is not None and not self.outcome:  # what the action noted on its way out says it better
            self.note(error=f"{kind.__name__ if kind else 'error'}: {exc}")
        self.done()


def begin(audit: AuditLog, actor: str, action: str, details: dict[str, Any]) -> Intent:
    """Record the intent durably; raises ``AuditWriteError`` when it cannot be, and then the action must not run."""
    return Intent(audit, audit.append(actor, action, {"phase": "intent", **details}))


def command_line_user(via: str) -> tuple[str, dict[str, Any]]:
    """The actor and the details that name who runs a command: login name, uid (which no variable can change), host."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (e.g. an arbitrary container uid)
        name = f"uid:{os.getuid()}"
    return f"os:{name}", {"via": via, "os_user": name, "uid": os.getuid(), "host": socket.gethostname()}
