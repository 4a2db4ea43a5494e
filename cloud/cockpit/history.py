"""The history chart: crossings per bucket and direction over a window, from rollups where exact and raw elsewhere.

The rollup resolution follows the window (``cloud.rollup.tables.resolution_for``:
minutes up to a day, hours up to a month, days beyond), refined until its step
divides the chart's bucket, so that every rollup row falls in one bucket. The
rollup's exact buckets (``Twin.exact``) are read from it; the hours it does not
hold exactly (the current hour, the window's ragged edges, a late file the
reconciler has not reached, the live tail) are read from raw events,
deduplicated, and the two are summed per bucket. A bucket of less than a
minute, or not a whole number of minutes, is read from raw alone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from cloud.cockpit.errors import BadRequest
from cloud.cockpit.jsonsafe import records
from cloud.rollup.tables import RESOLUTIONS, STEP, Resolution, resolution_for
from cloud.twin.rollups import raw_filter
from cloud.twin.twin import Twin

_BUCKET = re.compile(r"^\s*(\d{1,4})\s+(second|minute|hour|day)s?\s*$")
MAX_BUCKETS = 5000
# The UTC hour a minute rollup row belongs to, from its partition columns: no per-row time-zone arithmetic.
_HOUR = "make_timestamptz(year(date), month(date), day(date), CAST(hour AS INTEGER), 0, 0, 'UTC')"


def parse_bucket(text: str) -> timedelta:
    """``'15 minutes'`` -> timedelta; 400 for anything else."""
    match = _BUCKET.match(text)
    if not match or int(match.group(1)) == 0:
        raise BadRequest(f"bucket {text!r} is not an interval like '1 minute', '15 minutes', '1 hour' or '1 day'")
    n, unit = int(match.group(1)), match.group(2)
    return timedelta(**{f"{unit}s": n})


def resolution(size: timedelta, window: timedelta) -> Resolution | None:
    """The rollup resolution a chart of ``size`` buckets over ``window`` reads; None: raw alone."""
    for res in reversed(RESOLUTIONS[: RESOLUTIONS.index(resolution_for(window)) + 1]):
        if size % STEP[res] == timedelta(0):
            return res
    return None


def _filters(camera: str | None, line: str | None, params: dict[str, Any]) -> list[str]:
    where = []
    if camera:
        where.append("camera = $camera")
        params["camera"] = camera
    if line:
        where.append("line = $line")
        params["line"] = line
    return where


def _month(at: datetime) -> str:
    return f"{at.astimezone(timezone.utc):%Y-%m}"


def _sql(res: Resolution | None, where: list[str], raw_hours: str) -> str:
    raw = ["ts >= $start", "ts < $end", "date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)", *where]
    rolled = ""
    if res is not None:  # the rollup's exact buckets from it, every other hour from raw
        raw.append(raw_hours)
        days = "month BETWEEN $m1 AND $m2" if res == "day" else "date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)"
        held = _HOUR if res == "minute" else "bucket_start"  # what $exact lists: hours, or the table's own buckets
        rolled = (f" UNION ALL SELECT bucket_start, direction, crossings FROM crossings_{res} "
                  f"WHERE {' AND '.join([days, f'list_contains($exact, {held})', *where])}")
    parts = f"SELECT ts AS instant, direction, 1 AS n FROM crossings WHERE {' AND '.join(raw)}{rolled}"
    return ("SELECT time_bucket($size, instant) AS bucket_start, "
            "coalesce(sum(n) FILTER (WHERE direction = 'in'), 0)::BIGINT AS inbound, "
            "coalesce(sum(n) FILTER (WHERE direction = 'out'), 0)::BIGINT AS outbound "
            f"FROM ({parts}) GROUP BY ALL ORDER BY bucket_start")


def history(
    twin: Twin, bucket: str, start: datetime, end: datetime, camera: str | None, line: str | None
) -> dict[str, Any]:
    """Crossings per bucket and direction between ``start`` and ``end``."""
    size = parse_bucket(bucket)
    if end <= start:
        raise BadRequest("end must be after start")
    if (end - start) / size > MAX_BUCKETS:
        raise BadRequest(f"too many buckets: at most {MAX_BUCKETS}; choose a larger bucket or a shorter range")
    params: dict[str, Any] = {"start": start, "end": end, "size": size}
    where = _filters(camera, line, params)
    res = resolution(size, end - start)
    raw_hours = "true"
    if res is not None:
        exact = twin.exact(f"crossings_{res}", start, end)
        params["exact"] = exact
        held = [d + timedelta(hours=h) for d in exact for h in range(24)] if res == "day" else exact
        raw_hours = raw_filter(start, end, held, twin.slots())
        if res == "day":
            params.update(m1=_month(start), m2=_month(end))
    result = twin.read(_sql(res, where, raw_hours), params)
    return {"bucket": bucket.strip(), "bucket_s": size.total_seconds(), "start": start.isoformat(),
            "end": end.isoformat(), "camera": camera, "line": line, "resolution": res or "raw",
            "points": records(result.columns, result.rows)}
