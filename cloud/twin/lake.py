"""Which Parquet files of the lake the twin reads, and how their columns map to its views.

The sink writes Hive partitions ``date=YYYY-MM-DD/hour=HH/`` and renames a
file into place only once it is complete; a file that is still being written
(a temporary name) is never listed. A file whose footer cannot be read
(truncated, corrupt) is skipped with a warning naming it, so one bad file
never takes the twin down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

log = logging.getLogger(__name__)

# The rules' alert log, kept under the lake so that the twin's alerts view and backups include it.
ALERT_LOG = Path("alerts") / "alerts.jsonl"
# The operators' decisions, outside the lake: the cockpit writes them, so it needs the lake read-only.
DECISION_LOG = Path("decisions") / "decisions.jsonl"


def alert_log(lake: Path) -> Path:
    """Where the rule service appends alert changes."""
    return lake / ALERT_LOG


def default_decision_log(lake: Path) -> Path:
    """Where the cockpit appends operators' decisions unless ``rules.decisions`` says otherwise: beside the lake."""
    return lake.parent / DECISION_LOG


# Columns the twin needs from every lake file; anything else is ignored.
ENVELOPE = ("event_id", "site", "camera", "node", "seq", "ts", "type", "body")


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
            names = set(pq.read_metadata(path).schema.names)
            ok = all(col in names for col in ENVELOPE)
            if not ok:
                log.warning("skipping lake file %s: missing columns %s", path, sorted(set(ENVELOPE) - names))
        except Exception as exc:  # pyarrow raises several types for a damaged footer
            log.warning("skipping unreadable lake file %s: %s", path, exc)
            ok = False
        self._seen[path] = (size, mtime, ok)
        return ok

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
