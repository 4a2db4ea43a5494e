"""Lake files written by hand, bodies as given: what an old node or an old bridge may have left in a lake."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cloud.twin.lake import ENVELOPE_SCHEMA


def raw_row(kind: str, camera: str, seq: int, ts: datetime, body: dict[str, Any], site: str = "city") -> dict[str, Any]:
    """One lake row of node ``{site}-{camera}``; the body is not checked against the contract."""
    node = f"{site}-{camera}"
    return {"event_id": f"{node}:{seq}", "site": site, "camera": camera, "node": node, "seq": seq, "ts": ts,
            "type": kind, "body": json.dumps(body)}


def write_rows(lake: Path, name: str, rows: list[dict[str, Any]]) -> Path:
    """``rows`` as one Parquet file ``name`` in the partition of the first row's capture time."""
    ts = rows[0]["ts"]
    folder = lake / f"date={ts:%Y-%m-%d}" / f"hour={ts:%H}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=ENVELOPE_SCHEMA), folder / name)
    return folder / name
