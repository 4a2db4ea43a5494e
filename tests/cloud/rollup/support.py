"""Brute-force answers from the raw lake, computed without the twin's code, to check rollups against."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from cloud.rollup.make import KINDS
from cloud.sink import schema
from cloud.sink.compact import compact_folder
from cloud.sink.layout import hour_dir
from cloud.sink.settings import CompactionSettings
from cloud.sink.writer import write_chunk
from edge.events.factory import EventFactory

HOUR = datetime(2026, 3, 1, 7, tzinfo=timezone.utc)
TOPIC = "events"


def readable(lake: Path) -> list[str]:
    """The raw files whose footer reads (the damaged ones are left out, as the twin leaves them out)."""
    good = []
    for path in sorted(lake.glob("date=*/hour=*/*.parquet")):
        try:
            pq.read_metadata(path)
        except Exception:
            continue
        good.append(str(path))
    return good


_TYPES = {"crossings": "line_crossing", "occupancy": "zone_occupancy", "dwell": "dwell", "health": "node_health"}


def brute(lake: Path, sql: str) -> list[tuple[Any, ...]]:
    """``sql`` over ``raw``: one row per (site, camera, node, seq) of the readable files, with the body's fields."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = readable(lake)
    if not files:
        return []
    con.execute(
        "CREATE VIEW raw AS SELECT DISTINCT ON (site, camera, node, seq) *, "
        "json_extract_string(body, 'line') AS line, json_extract_string(body, 'direction') AS direction, "
        "json_extract_string(body, 'object_class') AS object_class, json_extract_string(body, 'zone') AS zone, "
        "CAST(json_extract_string(body, 'total') AS INTEGER) AS total, "
        "CAST(json_extract_string(body, 'seconds') AS DOUBLE) AS seconds, "
        "CAST(json_extract_string(body, 'fps') AS DOUBLE) AS fps "
        f"FROM read_parquet({files!r}, hive_partitioning = false)"
    )
    return con.execute(sql).fetchall()


def rollup(lake: Path, name: str, sql: str) -> list[tuple[Any, ...]]:
    """``sql`` over ``t``, the rollup table ``name``'s files."""
    files = sorted(str(p) for p in (lake / "rollups" / name).rglob("*.parquet"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if not files:
        return []
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({files!r}, hive_partitioning = false)")
    return con.execute(sql).fetchall()


def totals(lake: Path) -> dict[str, Any]:
    """Whole-lake totals of every kind from the day tables."""
    return {kind: rollup(lake, f"{kind}_day", f"SELECT {_MEASURE[kind]} FROM t")[0] for kind in KINDS}


_MEASURE = {"crossings": "sum(crossings)", "occupancy": "sum(samples), sum(sum_total), max(max_total)",
            "dwell": "sum(dwells), round(sum(total_s), 3)", "health": "sum(reports), round(sum(fps_sum), 3)"}
_RAW = {"crossings": "count(*)", "occupancy": "count(total), sum(total), max(total)",
        "dwell": "count(*), round(sum(seconds), 3)", "health": "count(*), round(sum(fps), 3)"}


def raw_totals(lake: Path) -> dict[str, Any]:
    """The same totals by brute force from raw."""
    return {kind: brute(lake, f"SELECT {_RAW[kind]} FROM raw WHERE type = '{_TYPES[kind]}'")[0] for kind in KINDS}


def rolled_copy(source: Path, dest: Path) -> Path:
    """A copy of the lake ``source`` at ``dest`` with every rollup made; returns ``dest``."""
    import shutil

    from cloud.rollup.reconcile import Reconciler
    from cloud.twin.listing import LakeFiles

    shutil.copytree(source, dest)
    reconciler = Reconciler(dest, LakeFiles(dest))
    try:
        report = reconciler.run()
    finally:
        reconciler.close()
    assert not report.failed, report.line()
    return dest


def rolled_then_changed(source: Path, dest: Path, folder: str = "date=2026-01-01/hour=13") -> Path:
    """A rolled copy of ``source`` at ``dest`` whose ``folder`` lost rows after its rollups were made: read from raw."""
    root = rolled_copy(source, dest)
    path = root / folder / "synthetic.parquet"
    rows = pq.read_table(path)
    pq.write_table(rows.slice(0, rows.num_rows // 3), path)
    return root


def crossings_and_counts(factory: EventFactory, first: datetime, seconds: int, every_s: float = 2.0) -> list[bytes]:
    """Crossings and occupancy reports of one camera from ``first`` for ``seconds``."""
    out = []
    for i in range(int(seconds / every_s)):
        at = first + timedelta(seconds=i * every_s)
        out.append(factory.make("line_crossing", at, {"line": "gate", "direction": "in" if i % 3 else "out",
                                                      "object_class": "person", "track_id": i}).to_json())
        out.append(factory.make("zone_occupancy", at, {"zone": "plaza", "total": i % 7, "by_class": {}}).to_json())
    return out


class Lake:
    """A lake written the way the sink writes it: Kafka offsets in order, one file per batch and hour."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.offset = 0
        self.factory = EventFactory("city", "cam-0", "city-cam-0")

    def batch(self, first: datetime, seconds: int, again: list[bytes] | None = None) -> list[bytes]:
        payloads = again if again is not None else crossings_and_counts(self.factory, first, seconds)
        offsets = list(range(self.offset, self.offset + len(payloads)))
        table, bad = schema.to_table(0, offsets, payloads, [0] * len(payloads))
        assert not bad
        write_chunk(self.root, TOPIC, 0, (offsets[0], offsets[-1]), table, 3)
        self.offset += len(payloads)
        return payloads

    def compact(self, hour: datetime = HOUR) -> None:
        """Merge every file of ``hour`` that compaction would merge now."""
        settings = CompactionSettings(min_age_s=0, min_files=2)
        compact_folder(hour_dir(self.root, hour), TOPIC, {0: self.offset}, settings, 3, now=1e12)
