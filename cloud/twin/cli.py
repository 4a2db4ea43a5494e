"""``citytwin query``: run SQL or a named query against the twin; table, CSV or JSON out."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import date, datetime
from typing import Any

from citytwin.configfile import ConfigError
from cloud.siteconfig import load_site
from cloud.twin.named import QUERIES
from cloud.twin.readonly import QueryRefused, QueryResult, QueryTimeout
from cloud.twin.twin import Twin


def _cell(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def render(result: QueryResult, fmt: str) -> str:
    """The result as an aligned table, CSV or JSON lines."""
    rows = [[_cell(v) for v in row] for row in result.rows]
    if fmt == "json":
        return "\n".join(json.dumps(dict(zip(result.columns, row)), default=str) for row in rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    text = [[str(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(result.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(result.columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in text]
    return "\n".join(lines)


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--param expects name=value, got {pair!r}")
        try:
            out[key] = datetime.fromisoformat(value)
        except ValueError:
            out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    try:
        registry = load_site(args.config)
    except ConfigError as exc:
        print(f"citytwin query: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for name, query in sorted(QUERIES.items()):
            print(f"{name}({', '.join(query.params)}): {query.help}")
        return 0
    if not args.sql:
        print("citytwin query: give a SQL statement, --named NAME, or --list", file=sys.stderr)
        return 2
    twin = Twin(registry.lake, registry.site, registry.cameras, decisions=registry.decisions)
    try:
        if args.named:
            result = twin.named(args.sql, **_params(args.param))
        else:
            result = twin.query(args.sql)
    except (QueryRefused, QueryTimeout, KeyError, ValueError) as exc:
        print(f"citytwin query: {exc}", file=sys.stderr)
        return 1
    print(render(result, args.format))
    if result.truncated:
        print(f"(truncated at {twin.max_rows} rows)", file=sys.stderr)
    return 0


def run_retention(args: argparse.Namespace) -> int:
    """``citytwin retention``: delete lake partitions older than the policy, auditing each; once or ``--every``."""
    from citytwin.lifecycle import stop_on_signals
    from cloud import config
    from cloud.audit.chain import AuditLog
    from cloud.twin.retention import Deleted
    from cloud.twin.retention_job import RetentionJob

    try:
        cfg = config.load(args.config)
        days = args.days if args.days is not None else cfg.retention.lake_days
        audit = AuditLog(args.audit_log or cfg.audit.log_path(cfg.lake.path))
        job = RetentionJob(cfg.lake.path, days, audit, args.dry_run)
    except (ConfigError, ValueError, OSError) as exc:
        print(f"citytwin retention: {exc}", file=sys.stderr)
        return 2
    verb = "would delete" if args.dry_run else "deleted"

    def report(deleted: list[Deleted]) -> None:
        for item in deleted:
            print(f"{verb} {item.path} ({item.files} files, {item.bytes} bytes)", flush=True)
        print(f"{len(deleted)} partitions {verb}; keeping {days} days in {cfg.lake.path}; audit log {audit.path}", flush=True)

    if not args.every:
        report(job.once())
        return 0
    stop_on_signals(job.stop, "stopping after the current pass")
    job.every(cfg.retention.interval_s, report)
    return 0
