"""The city side: aggregate the twin into count cells, suppress small ones, audit, and publish.

The cells are crossings per line and direction, peak occupancy per zone, and
objects per heatmap cell (``cloud.federation.heatcells``), each per bucket;
every kind is held back below ``k`` by ``cloud.federation.suppression`` (a
heatmap cell by its busiest interval, see ``heatcells``). The
differencing rule of ``cloud.export.nesting`` has nothing to find here: a
city exports one bucket length, and the cells of a heatmap lie side by side,
none inside another.

Each export covers the last ``lookback_buckets`` closed buckets (a bucket is
closed ``grace_s`` after it ends, so late events still count). Re-exporting a
bucket sends the same keys again and the region keeps the newest value, so
exports can run on any schedule and after any outage without double counting.
The audit record is written before anything is sent: nothing leaves the city
without a trace. Every cell is sent signed with the city's key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cloud.audit.chain import AuditLog
from cloud.federation.countcell import CountCell
from cloud.federation.heatcells import Measured, heatmap_cells
from cloud.federation.settings import FederationSettings
from cloud.federation.signing import CellKey, read_key, seal
from cloud.federation.suppression import suppress
from cloud.twin.buckets import bucket_start
from cloud.twin.twin import Twin

log = logging.getLogger(__name__)

# Only the days of the export's window are read: the lake is partitioned by date.
_DAYS = "date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)"
_LINES = ("SELECT camera, line, direction, time_bucket(to_seconds($bucket), ts) AS b, count(*) FROM crossings "
          "WHERE ts >= $start AND ts < $end AND " + _DAYS + " GROUP BY ALL")
# Rows whose total does not read as a number (NULL) say nothing about a peak; they are left out, never fatal.
_ZONES = ("SELECT camera, zone, time_bucket(to_seconds($bucket), ts) AS b, max(total) FROM occupancy "
          "WHERE ts >= $start AND ts < $end AND " + _DAYS + " AND total IS NOT NULL GROUP BY ALL")

Send = Callable[[str, bytes], None]  # (key, value)


@dataclass(frozen=True)
class Export:
    """What one export sent and what it held back."""

    start: datetime
    end: datetime
    cells: list[CountCell]
    suppressed: int
    suppressed_by_kind: dict[str, int]

    def sent_by_kind(self) -> dict[str, int]:
        """How many cells of each kind the export holds."""
        counts = dict.fromkeys(self.suppressed_by_kind, 0)
        for cell in self.cells:
            counts[cell.kind] = counts.get(cell.kind, 0) + 1
        return counts


def window(settings: FederationSettings, now: datetime) -> tuple[datetime, datetime]:
    """The closed buckets an export at ``now`` covers, as [start, end)."""
    end = bucket_start(now - timedelta(seconds=settings.grace_s), settings.bucket_s)
    return end - timedelta(seconds=settings.bucket_s * settings.lookback_buckets), end


def aggregate(twin: Twin, settings: FederationSettings, city: str, start: datetime, end: datetime) -> Export:
    """Count cells of [start, end); cells below ``k`` are counted as suppressed and left out."""
    params: dict[str, Any] = {"bucket": float(settings.bucket_s), "start": start, "end": end}
    raw: list[dict[str, Any]] = []
    for camera, line, direction, b, n in twin.read(_LINES, params).rows:
        raw.append({"camera": camera, "kind": "line", "subject": line, "direction": direction, "bucket_start": b, "value": n})
    for camera, zone, b, peak in twin.read(_ZONES, params).rows:
        raw.append({"camera": camera, "kind": "zone", "subject": zone, "bucket_start": b, "value": peak})
    measured: list[Measured] = [(r, int(r["value"])) for r in raw] + heatmap_cells(twin, params)
    now = datetime.now(timezone.utc)
    kept: list[CountCell] = []
    held: dict[str, int] = {}
    for kind in ("line", "zone", "heatmap"):
        above, held[kind] = suppress([m for m in measured if m[0]["kind"] == kind], settings.k, lambda m: m[1])
        kept += [CountCell(city=city, bucket_s=settings.bucket_s, k=settings.k, exported_at=now, **r) for r, _ in above]
    return Export(start, end, kept, sum(held.values()), held)


def signing_key(settings: FederationSettings, city: str, environ: Mapping[str, str] | None = None) -> CellKey:
    """The city's signing key from ``federation.key_env``; raises ``SigningKeyError`` saying what to set."""
    return read_key(settings.key_env, settings.key_id or city, city, "federation.key_env", environ)


def publish(export: Export, settings: FederationSettings, key: CellKey, send: Send, audit: AuditLog, actor: str) -> None:
    """Audit the export, then hand every cell, signed with ``key``, to ``send``."""
    audit.append(actor, "federation.export", {
        "destination": f"{settings.bootstrap}/{settings.topic}", "city": key.city, "start": export.start.isoformat(),
        "end": export.end.isoformat(), "bucket_s": settings.bucket_s, "k": settings.k, "cells": len(export.cells),
        "suppressed": export.suppressed, "cells_by_kind": export.sent_by_kind(),
        "suppressed_by_kind": export.suppressed_by_kind, "key_id": key.id,
        "contains": "aggregated counts per line, zone and heatmap cell (its size and rounded centre) and bucket",
    })
    for cell in export.cells:
        send(cell.key, seal(cell.model_dump(mode="json"), key))
    log.info("federation: exported %d cells of %s..%s to %s (%d below k=%d suppressed)", len(export.cells),
             export.start.isoformat(), export.end.isoformat(), settings.topic, export.suppressed, settings.k)
