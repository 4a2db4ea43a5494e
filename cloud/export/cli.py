"""``citytwin export``: run the deployment's exporters once (or the one ``--exporter`` names), each export audited."""

from __future__ import annotations

import argparse
import logging
import os
from datetime import date, datetime, timezone

from citytwin.deployment import Deployment
from citytwin.errors import ConfigError, Failed, UsageError
from cloud.audit.chain import AuditLog
from cloud.export.base import ExportFailed
from cloud.export.registry import build_exporter
from cloud.export.run import export
from cloud.twin.twin import Twin

log = logging.getLogger(__name__)


def since(text: str | None) -> datetime | None:
    """``--since`` as an aware time: an ISO date (midnight UTC) or date-time (UTC unless it says otherwise).

    Example:
        >>> since("2026-01-02").isoformat()
        '2026-01-02T00:00:00+00:00'
    """
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text) if "T" in text or " " in text else datetime.combine(
            date.fromisoformat(text), datetime.min.time())
    except ValueError:
        raise UsageError(f"--since {text!r} is not an ISO date or time; give e.g. 2026-01-02 or 2026-01-02T06:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def run(args: argparse.Namespace) -> int:
    """Export through every configured exporter (or ``--exporter``); 1 when any of them failed."""
    cfg: Deployment = args.deployment
    chosen = cfg.cloud.exporters
    if not chosen:
        raise ConfigError(f"{args.config} has no cloud.exporters, so nothing is exported; add e.g. cloud: {{exporters: "
                          "{frost: {type: sensorthings, url: http://frost:8080/FROST-Server/v1.1, origin: {lat: .., lon: ..}}}}")
    if args.exporter is not None:
        if args.exporter not in chosen:
            raise UsageError(f"--exporter {args.exporter!r} is not in cloud.exporters; configured: {', '.join(chosen)}")
        chosen = {args.exporter: chosen[args.exporter]}
    start = since(args.since)
    audit = AuditLog(cfg.audit.log_path(cfg.lake_dir))
    twin = Twin(cfg.lake_dir, cfg.site, cfg.cameras, settings=cfg.cloud.twin)
    failed: list[str] = []
    try:
        for name, config in chosen.items():
            exporter = build_exporter(name, config, cfg.site, list(cfg.cameras), os.environ)
            try:
                outcome = export(exporter, twin, audit, datetime.now(timezone.utc), start)
            except ExportFailed as exc:
                log.error("%s", exc)
                failed.append(str(exc))
                continue
            finally:
                exporter.close()
            print(f"{name}: {outcome.created} created, {outcome.present} already there, "
                  f"{outcome.details.get('suppressed', 0)} below k={config.k} suppressed -> {config.host}", flush=True)
    finally:
        twin.close()
    if failed:
        raise Failed("; ".join(failed) + "; nothing is recorded as exported, so the next run sends the same buckets")
    return 0
