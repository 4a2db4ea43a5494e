"""Count events into a twin, through the contract wherever it describes every field of the body.

``speeds`` and ``heatmap`` are newer than the rest of the count body: where
the contract in this checkout does not have them yet, a body carrying them is
written as a raw lake row instead (as an old lake may hold any body), so the
twin's views and the cockpit read the same JSON either way. Once the contract
has them (``SPEEDHEAT``), every body must pass it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cloud.twin.twin import Twin
from contract.bodies import CountBody
from edge.events.factory import EventFactory
from tests.support.lakefiles import raw_row, write_rows

NEWER = {"speeds", "heatmap"}
SPEEDHEAT = NEWER <= set(CountBody.model_fields)


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))


def deliver(twin: Twin, camera: str, seq: int, ts: datetime, body: dict[str, Any], site: str = "city") -> None:
    """Count event ``seq`` of node ``{site}-{camera}``: on the live tail, validated, or else as a raw lake file.

    The twin sees a raw file at its next refresh.
    """
    if SPEEDHEAT or not NEWER & set(body):
        twin.tail.add(EventFactory(site, camera, f"{site}-{camera}", sequence=lambda: seq).make("count", ts, body))
        return
    write_rows(twin.lake, f"count-{camera}-{seq}.parquet", [raw_row("count", camera, seq, ts, _json(body), site)])
