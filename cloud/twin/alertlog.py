"""The rows of the twin's ``alerts`` view: the rules' alert log and the operators' decisions, read in Python.

The decisions log lives outside the lake, where the twin's DuckDB connection
may not read files (``readonly.lock_down``), so both logs are read here and
handed to DuckDB as one Arrow table with a fixed schema: alert records first,
then decisions, each in the order written. A line that is not a JSON object
is skipped, as the alert feed skips it, and a value of the wrong type becomes
NULL, so one bad record never hides the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

log = logging.getLogger(__name__)

TIMESTAMP = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("kind", pa.string()), ("at", TIMESTAMP), ("alert_id", pa.string()), ("rule", pa.string()),
    ("subject", pa.string()), ("severity", pa.string()), ("state", pa.string()), ("started", TIMESTAMP),
    ("resolved", TIMESTAMP), ("value", pa.float64()), ("action", pa.string()), ("evidence", pa.string()),
    ("acked_by", pa.string()), ("false_alarm", pa.bool_()), ("by", pa.string()),
])


def _time(value: Any) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return stamp if stamp.tzinfo is not None else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _json(value: Any) -> str | None:
    return json.dumps(value, sort_keys=True) if value is not None else None


# One converter per column of SCHEMA, in its order.
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "kind": _text, "at": _time, "alert_id": _text, "rule": _text, "subject": _text, "severity": _text, "state": _text,
    "started": _time, "resolved": _time, "value": _number, "action": _text, "evidence": _json, "acked_by": _text,
    "false_alarm": _flag, "by": _text,
}


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            log.warning("alerts view: %s line %d is not a JSON object; skipped", path, number)
            continue
        rows.append({name: convert(record.get(name)) for name, convert in _CONVERT.items()})
    return rows


def read_alert_records(paths: Sequence[Path]) -> pa.Table:
    """Every record of the JSON-lines logs in ``paths``, in that order, as a table of ``SCHEMA``."""
    return pa.Table.from_pylist([row for path in paths for row in _rows(path)], schema=SCHEMA)


class AlertLogs:
    """``read_alert_records`` for a twin's refreshes, read again only when a log's size or mtime changed."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        self._seen: tuple[tuple[int, int], ...] | None = None
        self._table = SCHEMA.empty_table()

    def table(self) -> pa.Table:
        signature = tuple(_signature(path) for path in self.paths)
        if signature != self._seen:
            self._table = read_alert_records(self.paths)
            self._seen = signature
        return self._table


def _signature(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (-1, 0)
    return (stat.st_size, stat.st_mtime_ns)
