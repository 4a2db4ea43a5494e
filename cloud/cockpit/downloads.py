"""The history panel's table as a file for people: CSV (spreadsheet-safe) or Parquet, with the panel's exact rows.

The rows are what ``live.history`` answers for the same controls, so a
download holds what the chart shows: one row per bucket, its start and its
crossings in and out, with the camera and line the panel was narrowed to.
The file name is made only of characters that cannot break out of a header.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from cloud.twin.spreadsheet import csv_text

Format = Literal["csv", "parquet"]
MEDIA_TYPES: dict[Format, str] = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
COLUMNS = ("bucket_start", "inbound", "outbound", "camera", "line")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _rows(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(p["bucket_start"], p["inbound"], p["outbound"], answer["camera"], answer["line"]) for p in answer["points"]]


def _parquet(answer: dict[str, Any]) -> bytes:
    rows = _rows(answer)
    table = pa.table({
        "bucket_start": pa.array([datetime.fromisoformat(r[0]) for r in rows], pa.timestamp("us", tz="UTC")),
        "inbound": pa.array([r[1] for r in rows], pa.int64()),
        "outbound": pa.array([r[2] for r in rows], pa.int64()),
        "camera": pa.array([r[3] for r in rows], pa.string()),
        "line": pa.array([r[4] for r in rows], pa.string()),
    })
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def history_file(answer: dict[str, Any], fmt: Format) -> bytes:
    """``answer`` (``live.history``'s) as a CSV or Parquet file."""
    if fmt == "csv":
        return csv_text(COLUMNS, _rows(answer)).encode()
    return _parquet(answer)


def file_name(answer: dict[str, Any], fmt: Format) -> str:
    """``history_{camera}_{line}_{start}_{bucket}.{fmt}``, only letters, digits, ``_`` and ``-`` before the suffix."""
    start = datetime.fromisoformat(answer["start"]).strftime("%Y%m%dT%H%M%SZ")
    parts = ["history", answer["camera"] or "site", answer["line"] or "", start, f"{int(answer['bucket_s'])}s"]
    stem = "_".join(_UNSAFE.sub("-", part)[:64] for part in parts if part)
    return f"{stem}.{fmt}"
