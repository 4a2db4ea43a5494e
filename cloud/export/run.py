"""One export: the window of closed buckets, the suppressed aggregates, the audit record, then the exporter.

The intent (destination, window, what is sent, how much was suppressed) is
in the audit log before any request leaves, and the outcome (created,
already present, or the error) follows it; if the intent cannot be written,
nothing is sent. No progress is kept: each export covers its whole window
again and the exporter adds only what the platform lacks, so a failed
export leaves nothing half-recorded and the next one sends the same buckets.

Example:
    >>> from datetime import datetime, timezone
    >>> from cloud.export.sensorthings.settings import SensorThingsConfig
    >>> c = SensorThingsConfig(type="sensorthings", url="http://f/v1.1", origin={"lat": 53.5, "lon": 10}, grace_s=0)
    >>> w = window(c, datetime(2026, 1, 3, 10, 7, tzinfo=timezone.utc))
    >>> w.start.isoformat(), w.ends[900].isoformat(), w.ends[86400].isoformat()
    ('2026-01-01T00:00:00+00:00', '2026-01-03T10:00:00+00:00', '2026-01-03T00:00:00+00:00')
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from cloud.audit.chain import AuditLog
from cloud.audit.writeahead import begin
from cloud.export.aggregates import read
from cloud.export.base import Exporter, Outcome, Window
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


def export(exporter: Exporter[Any], twin: Twin, audit: AuditLog, now: datetime, since: datetime | None = None) -> Outcome:
    """Audit, then run ``exporter`` over its window; raises ``ExportFailed`` (outcome audited) or ``AuditWriteError``."""
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
        outcome = exporter.export(aggregates, span)
        step.note(created=outcome.created, present=outcome.present, entities=outcome.entities, **outcome.details)
    log.info("export %s: %d created, %d already present, %d below k=%d suppressed", exporter.name, outcome.created,
             outcome.present, aggregates.suppressed, config.k)
    outcome.details["suppressed"] = aggregates.suppressed
    return outcome
