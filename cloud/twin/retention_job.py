"""Retention on a schedule: enforce the lake's policy now, or every ``retention.interval_s`` until stopped.

A failed pass (a partition that cannot be removed, a full disk for the audit
log) is logged and retried at the next interval rather than ending the
service; deletions stay audited before they happen (see ``retention.enforce``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prometheus_client import Counter

from citytwin.errors import CitytwinError, ConfigError
from citytwin.metrics import Exposition, PassSeries
from citytwin.metrics_settings import MetricsSettings
from citytwin.service import Pace
from cloud.audit.chain import AuditLog
from cloud.twin.retention import Deleted, enforce

log = logging.getLogger(__name__)

Report = Callable[[list[Deleted]], None]


@dataclass
class RetentionJob:
    """Deletes the lake's partitions older than ``keep_days``, auditing each deletion; as a service, every ``interval_s``."""

    lake: Path
    keep_days: int
    audit: AuditLog
    dry_run: bool = False
    interval_s: float = 3600.0
    report: Report = lambda _deleted: None
    metrics: Exposition = field(default_factory=lambda: Exposition("retention", MetricsSettings()))
    stopping: threading.Event = field(default_factory=threading.Event)
    _pace: Pace = field(init=False)
    _series: PassSeries = field(init=False)
    _deleted: Counter = field(init=False)
    failed: OSError | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.keep_days < 1:
            raise ConfigError(f"retention must keep at least 1 day, got {self.keep_days} (retention.lake_days or --days)")
        self._pace = Pace(self.interval_s, self.stopping)
        self._series = PassSeries(self.metrics, "run", "one pass over the lake")
        self._deleted = Counter(self.metrics.name("partitions_deleted"), "lake partitions deleted (or, dry, listed)",
                                registry=self.metrics.registry)

    def once(self) -> list[Deleted]:
        return enforce(self.lake, self.keep_days, datetime.now(timezone.utc), self.audit, dry_run=self.dry_run)

    def start(self) -> None:
        """Nothing to connect: the lake and the audit log are open."""

    def step(self) -> bool:
        """A pass now, and each later one ``interval_s`` after the previous began; False once stopped."""
        if not self._pace.wait():
            return False
        started = time.monotonic()
        try:
            deleted = self.once()
            self._deleted.inc(len(deleted))
            self.report(deleted)
            self.failed = None
        except OSError as exc:  # a folder that could not be read or removed, or an unaudited deletion: tried again
            log.exception("retention: pass over %s failed; retrying in %g s", self.lake, self.interval_s)
            self.failed = exc
        self._series.record(started, ok=self.failed is None)
        return True

    def stop(self) -> int:
        """0, or the status of the last pass's failure (3 when a deletion could not be audited, else 1)."""
        self.stopping.set()
        if self.failed is None:
            return 0
        return self.failed.exit_code if isinstance(self.failed, CitytwinError) else 1
