"""Retention on a schedule: enforce the lake's policy now, or every ``retention.interval_s`` until stopped.

A failed pass (a partition that cannot be removed, a full disk for the audit
log) is logged and retried at the next interval rather than ending the
service; deletions stay audited before they happen (see ``retention.enforce``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from citytwin.errors import ConfigError
from cloud.audit.chain import AuditLog
from cloud.twin.retention import Deleted, enforce

log = logging.getLogger(__name__)

Report = Callable[[list[Deleted]], None]


@dataclass
class RetentionJob:
    """Deletes the lake's partitions older than ``keep_days``, auditing each deletion."""

    lake: Path
    keep_days: int
    audit: AuditLog
    dry_run: bool = False
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.keep_days < 1:
            raise ConfigError(f"retention must keep at least 1 day, got {self.keep_days} (retention.lake_days or --days)")

    def once(self) -> list[Deleted]:
        return enforce(self.lake, self.keep_days, datetime.now(timezone.utc), self.audit, dry_run=self.dry_run)

    def every(self, interval_s: float, report: Report) -> None:
        """Run a pass now and every ``interval_s`` until ``stop``; returns once stopped."""
        while not self.stopping.is_set():
            try:
                report(self.once())
            except OSError:
                log.exception("retention: pass over %s failed; retrying in %g s", self.lake, interval_s)
            self.stopping.wait(interval_s)

    def stop(self) -> None:
        self.stopping.set()
