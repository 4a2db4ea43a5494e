"""One export: the window of closed buckets, the suppressed aggregates, the audit record, then the exporter.

The intent (destination, window, what is sent, how much was suppressed) is
in the audit log before any request leaves, and the outcome (created,
already present, or the error) follows it; if the intent cannot be written,
nothing is sent. No progress is kept: each export covers its whole window
again and the exporter adds only what the platform lacks, so a failed
export leaves nothing half-recorded and the next one sends the same buckets.
Two exports to the same service root from one deployment never overlap (a
lock beside the audit log), since both would find the same buckets missing
and send them twice. The secrets an exporter holds are blanked out of every
error before it reaches the audit log or the log.

Example:
    >>> from datetime import datetime, timezone
    >>> from cloud.export.sensorthings.settings import SensorThingsConfig
    >>> c = SensorThingsConfig(type="sensorthings", url="http://f/v1.1", origin={"lat": 53.5, "lon": 10}, grace_s=0)
    >>> w = window(c, datetime(2026, 1, 3, 10, 7, tzinfo=timezone.utc))
    >>> w.start.isoformat(), w.ends[900].isoformat(), w.ends[86400].isoformat()
    ('2026-01-01T00:00:00+00:00', '2026-01-03T10:00:00+00:00', '2026-01-03T00:00:00+00:00')
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cloud.audit.chain import AuditLog
from cloud.audit.writeahead import begin
from cloud.export.aggregates import read
from cloud.export.base import Exporter, ExportFailed, Outcome, Window
from cloud.export.common import ExporterBase
from cloud.twin.buckets import bucket_start
from cloud.twin.twin import Twin

log = logging.getLogger(__name__)


def window(config: ExporterBase, now: datetime, since: datetime | None = None) -> Window:
    """The closed buckets an export at ``now`` covers: from ``since`` (default ``lookback_days`` ago), per bucket length.

    The start is aligned to the longest bucket, so that no bucket of any length is cut in two.
    """
    longest = max(config.buckets_s)
    start = bucket_start(since or now - timedelta(days=config.lookback_days), longest)
    closed = now - timedelta(seconds=config.grace_s)
    return Window(start, {b: bucket_start(closed, b) for b in config.buckets_s})


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret blanked out."""
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


@contextlib.contextmanager
def alone(folder: Path, exporter: Exporter[Any]) -> Iterator[None]:
    """Hold the lock of ``exporter``'s service root for the block; ``ExportFailed`` when another export holds it."""
    digest = hashlib.sha256(str(exporter.config.url).encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".export-{digest}.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportFailed(f"exporter {exporter.name}: another export to {exporter.config.url} is running; "
                               "wait for it to finish, it sends the same buckets") from None
        yield


def export(exporter: Exporter[Any], twin: Twin, audit: AuditLog, now: datetime, since: datetime | None = None) -> Outcome:
    """Audit, then run ``exporter`` over its window; raises ``ExportFailed`` (outcome audited) or ``AuditWriteError``."""
    with alone(audit.path.parent, exporter):
        return _export(exporter, twin, audit, now, since)


def _export(exporter: Exporter[Any], twin: Twin, audit: AuditLog, now: datetime, since: datetime | None) -> Outcome:
    config = exporter.config
    span = window(config, now, since)
    aggregates = read(twin, span.start, span.ends, config.classes, config.k, config.health_bucket())
    datasets, attributes = config.sends()
    with begin(audit, f"export:{exporter.name}", f"export.{config.type}", {
        "destination": str(config.url), "host": config.host, "exporter": exporter.name, "start": span.start.isoformat(),
        "ends": {str(b): e.isoformat() for b, e in span.ends.items()}, "k": config.k, "datasets": datasets,
        "attributes": attributes, "crossings": len(aggregates.crossings), "peaks": len(aggregates.peaks),
        "health": len(aggregates.health), "suppressed": aggregates.suppressed,
    }) as step:
        try:
            outcome = exporter.export(aggregates, span)
        except ExportFailed as exc:
            raise ExportFailed(redact(str(exc), exporter.secrets())) from None
        step.note(created=outcome.created, present=outcome.present, entities=outcome.entities, **outcome.details)
    log.info("export %s: %d created, %d already present, %d below k=%d suppressed", exporter.name, outcome.created,
             outcome.present, aggregates.suppressed, config.k)
    outcome.details["suppressed"] = aggregates.suppressed
    return outcome
