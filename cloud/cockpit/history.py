"""The history chart's answer: crossings per bucket and direction over a window, read by ``cloud.twin.history``.

The reading (rollups where exact, raw events elsewhere, only the partitions
the window needs) is the twin's, the one reader the benchmark measures too;
this module checks the request and shapes the answer.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from cloud.cockpit.errors import BadRequest
from cloud.cockpit.jsonsafe import records
from cloud.twin.history import chart
from cloud.twin.twin import Twin

_BUCKET = re.compile(r"^\s*(\d{1,4})\s+(second|minute|hour|day)s?\s*$")
MAX_BUCKETS = 5000


def parse_bucket(text: str) -> timedelta:
    """``'15 minutes'`` -> timedelta; 400 for anything else."""
    match = _BUCKET.match(text)
    if not match or int(match.group(1)) == 0:
        raise BadRequest(f"bucket {text!r} is not an interval like '1 minute', '15 minutes', '1 hour' or '1 day'")
    n, unit = int(match.group(1)), match.group(2)
    return timedelta(**{f"{unit}s": n})


def history(
    twin: Twin, bucket: str, start: datetime, end: datetime, camera: str | None, line: str | None
) -> dict[str, Any]:
    """Crossings per bucket and direction between ``start`` and ``end``."""
    size = parse_bucket(bucket)
    if end <= start:
        raise BadRequest("end must be after start")
    if (end - start) / size > MAX_BUCKETS:
        raise BadRequest(f"too many buckets: at most {MAX_BUCKETS}; choose a larger bucket or a shorter range")
    result = chart(twin, "crossings", start, end, size, camera=camera or None, line=line or None)
    return {"bucket": bucket.strip(), "bucket_s": size.total_seconds(), "start": start.isoformat(),
            "end": end.isoformat(), "camera": camera, "line": line, "resolution": result.resolution or "raw",
            "points": records(result.columns, result.rows)}
