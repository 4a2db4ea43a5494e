"""``citytwin query``: run SQL or a named query against the twin; table, CSV or JSON out.

Every statement is audited write-ahead in the deployment's audit log
(``audit.path``): the OS user, the host and the statement are recorded before
it runs, its outcome after. When the log cannot be written the statement does
not run and the command exits with status 3. Output is safe for a terminal:
control and bidi characters in values are shown escaped (``\\x1b``); use
``--format json`` for the exact values.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import Any

import duckdb

from citytwin.deployment import Deployment
from citytwin.errors import ConfigError, Failed, UsageError
from citytwin.terminal import safe
from cloud.audit.chain import AuditLog, AuditWriteError
from cloud.audit.writeahead import Intent, begin, command_line_user
from cloud.twin.named import QUERIES
from cloud.twin.readonly import QueryRefused, QueryResult, QueryTimeout
from cloud.twin.spreadsheet import csv_text
from cloud.twin.twin import Twin


def _cell(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _text(value: Any) -> Any:
    """A cell as the table and CSV show it: numbers as they are, everything else as terminal-safe text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return safe(str(value))


def render(result: QueryResult, fmt: str) -> str:
    """The result as an aligned table, CSV or JSON lines."""
    rows = [[_cell(v) for v in row] for row in result.rows]
    if fmt == "json":
        # ASCII-only JSON escapes every control character but DEL; that one as well.
        return "\n".join(json.dumps(dict(zip(result.columns, row)), default=str).replace("\x7f", "\\u007f") for row in rows)
    columns = [safe(c) for c in result.columns]
    if fmt == "csv":  # often redirected into a file a spreadsheet opens: no cell may become a formula
        # The cells are terminal-safe, free of raw control characters: plain newlines cannot split a row.
        return csv_text(columns, [[_text(v) for v in row] for row in rows], lineterminator="\n").rstrip("\n")
    text = [[str(_text(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in text]
    return "\n".join(lines)


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--param expects name=value, got {pair!r}")
        try:
            out[key] = datetime.fromisoformat(value)
        except ValueError:
            out[key] = value
    return out


def _intent(audit: AuditLog, args: argparse.Namespace, params: dict[str, Any]) -> Intent:
    actor, what = command_line_user("citytwin query")
    if args.named:
        known = QUERIES.get(args.sql)
        what.update(named=args.sql, params={k: str(v) for k, v in params.items()}, sql=known.sql if known else None)
    else:
        what["sql"] = args.sql
    return begin(audit, actor, "sql.query", what)


def _execute(twin: Twin, args: argparse.Namespace, params: dict[str, Any], step: Intent) -> QueryResult | None:
    """The result, or None with the reason noted in ``step``: a refused or failed query is an outcome to audit."""
    try:
        result = twin.named(args.sql, **params) if args.named else twin.query(args.sql)
    except QueryRefused as exc:
        step.note(refused=True, reason=str(exc), rows=0)
    except (QueryTimeout, KeyError, ValueError, duckdb.Error) as exc:
        step.note(refused=False, error=str(exc).strip("'\""), rows=0)
    else:
        step.note(refused=False, rows=len(result.rows), truncated=result.truncated, elapsed_ms=round(result.elapsed_ms, 1))
        return result
    return None


def run(args: argparse.Namespace) -> int:
    cfg: Deployment = args.deployment
    if args.list:
        for name, query in sorted(QUERIES.items()):
            print(f"{name}({', '.join(query.params)}): {query.help}")
        return 0
    if not args.sql:
        raise UsageError("give a SQL statement, --named NAME, or --list")
    params = _params(args.param)
    try:
        step = _intent(AuditLog(cfg.audit.log_path(cfg.lake_dir)), args, params)
    except AuditWriteError as exc:
        raise AuditWriteError(f"not run, because it could not be audited: {exc}") from exc
    twin = Twin(cfg.lake_dir, cfg.site, cfg.cameras, sql=cfg.cloud.sql, decisions=cfg.rules.decisions_log(cfg.lake_dir),
                settings=cfg.cloud.twin)
    try:
        with step:
            result = _execute(twin, args, params, step)
    finally:
        twin.close()
    if result is None:
        raise Failed(str(step.outcome.get("reason") or step.outcome["error"]))
    print(render(result, args.format))
    if result.truncated:
        print(f"(truncated: {len(result.rows)} rows shown, cut by {result.cut_by})", file=sys.stderr)
    return 0


def run_retention(args: argparse.Namespace) -> int:
    """``citytwin retention``: delete lake partitions older than the policy, auditing each; once or ``--every``."""
    from citytwin.metrics import Exposition
    from citytwin.service import serve
    from cloud.audit.chain import AuditLog
    from cloud.twin.retention import Deleted
    from cloud.twin.retention_job import RetentionJob

    cfg: Deployment = args.deployment
    days = args.days if args.days is not None else cfg.retention.lake_days
    try:
        audit = AuditLog(args.audit_log or cfg.audit.log_path(cfg.lake_dir))
    except AuditWriteError as exc:  # the log is configuration here: nothing was refused yet
        raise ConfigError(str(exc)) from exc
    verb = "would delete" if args.dry_run else "deleted"

    def report(deleted: list[Deleted]) -> None:
        for item in deleted:
            print(f"{verb} {item.path} ({item.files} files, {item.bytes} bytes)", flush=True)
        print(f"{len(deleted)} partitions {verb}; keeping {days} days in {cfg.lake_dir}; audit log {audit.path}", flush=True)

    job = RetentionJob(cfg.lake_dir, days, audit, args.dry_run, cfg.retention.interval_s, report,
                       Exposition("retention", cfg.metrics))
    return serve(args, lambda _cfg, _args: job, "stopping after the current pass", once=not args.every)
