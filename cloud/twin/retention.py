"""Retention: delete lake partitions older than N days, logging and auditing each deletion."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from cloud.audit.chain import AuditLog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deleted:
    """One removed ``date=`` partition."""

    path: Path
    day: date
    files: int
    bytes: int


def expired(lake: Path, keep_days: int, now: datetime) -> list[tuple[Path, date]]:
    """``date=`` partitions wholly older than ``keep_days`` before ``now``."""
    cutoff = (now - timedelta(days=keep_days)).date()
    found = []
    for folder in sorted(lake.glob("date=*")):
        try:
            day = date.fromisoformat(folder.name.removeprefix("date="))
        except ValueError:
            log.warning("retention: ignoring %s, not a date=YYYY-MM-DD partition", folder)
            continue
        if day < cutoff:
            found.append((folder, day))
    return found


def enforce(
    lake: Path, keep_days: int, now: datetime, audit: AuditLog | None = None, actor: str = "retention", dry_run: bool = False
) -> list[Deleted]:
    """Delete expired partitions; each deletion is logged and, with ``audit``, recorded before it happens."""
    if keep_days < 1:
        raise ValueError(f"keep_days must be at least 1, got {keep_days}")
    deleted = []
    for folder, day in expired(lake, keep_days, now):
        files = [p for p in folder.rglob("*") if p.is_file()]
        item = Deleted(folder, day, len(files), sum(p.stat().st_size for p in files))
        if dry_run:
            log.info("retention: would delete %s (%d files, %d bytes)", folder, item.files, item.bytes)
            deleted.append(item)
            continue
        if audit is not None:
            # Recorded first: a crash mid-delete leaves an audit entry, never a silent gap.
            audit.append(actor, "retention.delete", {
                "path": str(folder), "date": day.isoformat(), "files": item.files, "bytes": item.bytes, "keep_days": keep_days,
            })
        shutil.rmtree(folder)
        log.info("retention: deleted %s (%d files, %d bytes, older than %d days)", folder, item.files, item.bytes, keep_days)
        deleted.append(item)
    return deleted
