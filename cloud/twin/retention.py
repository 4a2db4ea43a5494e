"""Retention: delete lake partitions older than N days with their rollups, logging and auditing each deletion.

Removing a raw ``date=`` partition removes the same day's minute, quarter and hour
rollup folders too, then makes that month's day rollup again from the hour
files that remain (``cloud.rollup``), so no rollup outlives its events.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from cloud.audit.chain import AuditLog
from cloud.rollup.tables import COLUMNS, ROOT, TABLES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deleted:
    """One removed ``date=`` partition."""

    path: Path
    day: date
    files: int
    bytes: int
    rollups: tuple[Path, ...] = ()  # the day's minute, quarter and hour rollup folders, removed with it


def _rollup_days(lake: Path, day: date) -> list[Path]:
    """The minute, quarter and hour rollup folders of ``day``."""
    found = []
    for t in TABLES:
        if t.resolution == "day":
            continue
        folder = lake / t.partition_dir(day)
        folder = folder.parent if t.resolution == "minute" else folder  # minute tables: date=/hour=
        if folder.is_dir():
            found.append(folder)
    return found


def expired(lake: Path, keep_days: int, now: datetime) -> list[tuple[Path, date]]:
    """``date=`` partitions wholly older than ``keep_days`` before ``now``; also days only rollups still hold."""
    cutoff = (now - timedelta(days=keep_days)).date()
    found = []
    folders = {f.name: f for f in lake.glob("date=*")}
    for kind in COLUMNS:
        for f in (lake / ROOT / f"{kind}_minute").glob("date=*"):
            folders.setdefault(f.name, lake / f.name)
    for _name, folder in sorted(folders.items()):
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
        rolled = tuple(_rollup_days(lake, day))
        files = [p for where in (folder, *rolled) for p in where.rglob("*") if p.is_file()]
        item = Deleted(folder, day, len(files), sum(p.stat().st_size for p in files), rolled)
        if dry_run:
            log.info("retention: would delete %s (%d files, %d bytes)", folder, item.files, item.bytes)
            deleted.append(item)
            continue
        if audit is not None:
            # Recorded first: a crash mid-delete leaves an audit entry, never a silent gap.
            audit.append(actor, "retention.delete", {
                "path": str(folder), "date": day.isoformat(), "files": item.files, "bytes": item.bytes, "keep_days": keep_days,
                "rollups": [str(p) for p in rolled],
            })
        if folder.exists():  # a day only its rollups still held has no raw folder
            shutil.rmtree(folder)
        for where in rolled:
            shutil.rmtree(where)
        _remake_month(lake, day)
        log.info("retention: deleted %s (%d files, %d bytes, older than %d days)", folder, item.files, item.bytes, keep_days)
        deleted.append(item)
    return deleted


def _remake_month(lake: Path, day: date) -> None:
    """The day rollups of ``day``'s month, from the hour rollups that remain."""
    from cloud.rollup.make import Maker  # DuckDB, only once a day is removed
    from cloud.rollup.reconcile import remake

    maker = Maker(lake)
    try:
        remake(maker, "day", day)
    finally:
        maker.close()
