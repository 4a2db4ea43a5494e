"""The SQL of the rollups: minute buckets from the twin's deduplicated typed views, coarser ones from finer.

Minute rows come from the views of ``cloud.twin.views`` over one raw hour
(``crossings``, ``occupancy``, ``dwell``, ``health``), so they count each
event once by the twin's key. Quarter, hour and day rows are exact sums,
maxima, minima, "last by time" and histogram sums of the finer table's rows,
selected as ``finer``. Every statement returns the table's declared columns
in order, sorted by bucket and keys.

"Last" is by capture time, then ``event_id``, so two reports of one instant
always give the same answer, whichever file holds them.
"""

from __future__ import annotations

import pyarrow as pa

from cloud.rollup.tables import COLUMNS, DWELL_EDGES_S, KEYS, STEP, Resolution

_ARROW = {"TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "VARCHAR": pa.string(), "BIGINT": pa.int64(),
          "INTEGER": pa.int32(), "DOUBLE": pa.float64(), "BIGINT[]": pa.list_(pa.int64())}


def schema(kind: str) -> pa.Schema:
    """The Arrow schema of a ``kind``'s files (the same at every resolution)."""
    return pa.schema([(c.name, _ARROW[c.sql]) for c in COLUMNS[kind]])


def _order(kind: str) -> str:
    return "ORDER BY bucket_start, " + ", ".join(KEYS[kind])


def _bins() -> str:
    """The dwell histogram of the rows' ``seconds``: one count per bin of ``DWELL_EDGES_S``, then the rest."""
    lower = (0.0, *DWELL_EDGES_S)
    parts = [f"count(*) FILTER (WHERE seconds >= {lo} AND seconds < {hi})" for lo, hi in zip(lower, DWELL_EDGES_S)]
    parts.append(f"count(*) FILTER (WHERE seconds >= {DWELL_EDGES_S[-1]})")
    return "[" + ", ".join(parts) + "]"


_LAST = "struct_pack(t := ts, e := event_id)"
_MINUTE_SELECT: dict[str, str] = {
    "crossings": "count(*)",
    "occupancy": f"max(total), sum(total), count(total), arg_max(total, {_LAST}), max(ts)",
    "dwell": f"count(*), coalesce(sum(seconds), 0), {_bins()}, min(entered), max(entered)",
    "health": (f"count(*), sum(fps), min(fps), max(cpu_percent), max(rss_mb), max(spool_depth), max(dropped_frames), "
               f"max(ts), arg_max(fps, {_LAST})"),
}


def from_raw(kind: str) -> str:
    """Minute rows of ``kind`` from the twin's typed view (named like the kind) over the raw hour a cursor is given."""
    keys = ", ".join(KEYS[kind])
    return (f"SELECT date_trunc('minute', ts) AS bucket_start, {keys}, {_MINUTE_SELECT[kind]} "
            f"FROM {kind} GROUP BY ALL {_order(kind)}")


def _histogram_sum() -> str:
    return "[" + ", ".join(f"sum(histogram[{i + 1}])::BIGINT" for i in range(len(DWELL_EDGES_S) + 1)) + "]"


_COARSER_SELECT: dict[str, str] = {
    "crossings": "sum(crossings)::BIGINT",
    "occupancy": "max(max_total), sum(sum_total)::BIGINT, sum(samples)::BIGINT, arg_max(last_total, last_ts), max(last_ts)",
    "dwell": f"sum(dwells)::BIGINT, sum(total_s), {_histogram_sum()}, min(first_entered), max(last_entered)",
    "health": ("sum(reports)::BIGINT, sum(fps_sum), min(fps_min), max(cpu_max), max(rss_max), max(spool_depth_max), "
               "max(dropped_frames_max), max(last_ts), arg_max(last_fps, last_ts)"),
}


def _bucket(resolution: Resolution) -> str:
    """The start of the ``resolution`` bucket holding a finer row's ``bucket_start``, in the session's zone (UTC)."""
    if resolution in ("hour", "day"):
        return f"date_trunc('{resolution}', bucket_start)"
    # Buckets of whole minutes from DuckDB's origin (a midnight): quarters start at :00, :15, :30, :45.
    return f"time_bucket(INTERVAL {STEP[resolution] // STEP['minute']} MINUTE, bucket_start)"


def from_finer(kind: str, resolution: Resolution) -> str:
    """Rows of ``kind`` at ``resolution`` from the rows of the next finer table, selected as ``finer``.

    Finer buckets never share a ``last_ts`` across buckets of one series, so "last" needs no tie-break here.
    """
    keys = ", ".join(KEYS[kind])
    return (f"SELECT {_bucket(resolution)} AS bucket_start, {keys}, {_COARSER_SELECT[kind]} "
            f"FROM finer GROUP BY ALL {_order(kind)}")
