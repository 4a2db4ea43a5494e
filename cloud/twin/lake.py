"""Which Parquet files of the lake the twin reads, and how their columns map to its views.

The sink writes Hive partitions ``date=YYYY-MM-DD/hour=HH/`` and renames a
file into place only once it is complete; a file that is still being written
(a temporary name) is never listed. A file whose footer cannot be read
(truncated, corrupt), whose columns do not fit the lake schema (``ts`` as
text, a missing envelope column, a number where text belongs), or that lies
in a partition folder that is not a date and an hour, is skipped with a
warning naming it, so no file can stop a twin from opening or refreshing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

# The rules' alert log, kept under the lake so that the twin's alerts view and backups include it.
ALERT_LOG = Path("alerts") / "alerts.jsonl"


def alert_log(lake: Path) -> Path:
    """Where the rule service appends alert changes."""
    return lake / ALERT_LOG


# Columns the twin needs from every lake file; anything else is ignored.
ENVELOPE = ("event_id", "site", "camera", "node", "seq", "ts", "type", "body")

# The Hive partition columns, from the folder names.
PARTITIONS = pa.schema([("date", pa.date32()), ("hour", pa.string())])

# What the twin reads of every file: the sink's envelope columns, then the partition columns.
SCHEMA = pa.schema(
    [(name, pa.int64() if name == "seq" else pa.timestamp("us", tz="UTC") if name == "ts" else pa.string()) for name in ENVELOPE]
    + list(PARTITIONS)
)

_DAY, _HOUR = re.compile(r"date=(\d{4}-\d{2}-\d{2})"), re.compile(r"hour=([01]\d|2[0-3])")


def _fits(actual: pa.DataType, wanted: pa.DataType) -> bool:
    """Whether a file's column converts to the lake's type without loss or guesswork."""
    if pa.types.is_dictionary(actual):
        actual = actual.value_type
    if pa.types.is_string(wanted):
        return bool(pa.types.is_string(actual) or pa.types.is_large_string(actual) or pa.types.is_string_view(actual))
    if pa.types.is_int64(wanted):
        return bool(pa.types.is_signed_integer(actual)) or actual in (pa.uint8(), pa.uint16(), pa.uint32())
    if pa.types.is_timestamp(wanted):  # an instant: a time zone is required, and nanoseconds would not cast safely
        return bool(pa.types.is_timestamp(actual)) and actual.tz is not None and actual.unit in ("s", "ms", "us")
    return bool(actual == wanted)


def schema_problems(schema: pa.Schema) -> list[str]:
    """Why a file with ``schema`` cannot join the lake; empty when it can."""
    problems = [f"no column {name!r}" for name in ENVELOPE if schema.get_field_index(name) < 0]
    for wanted in SCHEMA:
        index = schema.get_field_index(wanted.name)
        if index >= 0 and not _fits(schema.field(index).type, wanted.type):
            problems.append(f"{wanted.name!r} is {schema.field(index).type}, not {wanted.type}")
    if len(set(schema.names)) != len(schema.names):
        problems.append("repeated column names")
    return problems


def partition_problem(path: Path) -> str | None:
    """Why ``date=…/hour=…/`` above ``path`` is not a real day and hour; ``None`` when it is."""
    day, hour = path.parent.parent.name, path.parent.name
    if not _DAY.fullmatch(day) or not _HOUR.fullmatch(hour):
        return f"folder {day}/{hour} is not date=YYYY-MM-DD/hour=00..23"
    try:
        date.fromisoformat(day.removeprefix("date="))
    except ValueError:
        return f"folder {day} is not a calendar date"
    return None


@dataclass
class LakeFiles:
    """Lists readable lake files; remembers verdicts by (size, mtime) so a refresh is cheap."""

    root: Path
    _seen: dict[Path, tuple[int, float, bool]] = field(default_factory=dict)
    skipped: list[Path] = field(default_factory=list)

    def _readable(self, path: Path, size: int, mtime: float) -> bool:
        known = self._seen.get(path)
        if known and known[:2] == (size, mtime):
            return known[2]
        try:
            problems = [p for p in [partition_problem(path)] if p] + schema_problems(pq.read_schema(path))
            if problems:
                log.warning("skipping lake file %s: it does not fit the lake schema: %s", path, "; ".join(problems))
        except Exception as exc:  # pyarrow raises several types for a damaged footer
            log.warning("skipping unreadable lake file %s: %s", path, exc)
            problems = ["unreadable"]
        self._seen[path] = (size, mtime, not problems)
        return not problems

    def reject(self, path: Path, reason: str) -> None:
        """Skip ``path`` from now on, until it changes: its footer was fine but its data could not be read."""
        size, mtime, _ = self._seen[path]
        self._seen[path] = (size, mtime, False)
        log.warning("skipping lake file %s: %s", path, reason)

    def signature(self, path: Path) -> tuple[int, float]:
        """Size and modification time of a file returned by the last ``list``."""
        size, mtime, _ = self._seen[path]
        return size, mtime

    def list(self, days: set[str] | None = None) -> list[Path]:
        """Readable ``*.parquet`` files, optionally only in ``date=`` partitions in ``days``."""
        if not self.root.exists():
            return []
        good: list[Path] = []
        skipped: list[Path] = []
        for path in sorted(self.root.glob("date=*/hour=*/*.parquet")):
            if path.name.startswith("."):
                continue
            if days is not None and path.parent.parent.name.removeprefix("date=") not in days:
                continue
            stat = path.stat()
            (good if self._readable(path, stat.st_size, stat.st_mtime) else skipped).append(path)
        self.skipped = skipped
        return good


def scan_sql(files: list[Path]) -> str:
    """A ``read_parquet`` over ``files`` with the partition columns; an empty relation when there are none."""
    if not files:
        return (
            "SELECT NULL::VARCHAR AS event_id, NULL::VARCHAR AS site, NULL::VARCHAR AS camera, NULL::VARCHAR AS node,"
            " NULL::BIGINT AS seq, NULL::TIMESTAMPTZ AS ts, NULL::VARCHAR AS type, NULL::VARCHAR AS body,"
            " NULL::DATE AS date, NULL::VARCHAR AS hour WHERE false"
        )
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    cols = ", ".join(ENVELOPE)
    return f"SELECT {cols}, date, hour FROM read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"
