"""A synthetic lake of rollups in the contract's layout (``cloud.rollup.tables``), for the history benchmark.

Crossings (one line per camera, two directions, two classes) and occupancy
(one zone per camera) at every resolution of the contract, drawn with a daily
rhythm; each resolution is drawn on its own, since the benchmark measures
reading them, not their agreement. Quarter, hour and day tables cover the
whole period; minute tables cover its newest ``minute_days`` days, because a
window read at minute resolution opens only the hours it covers
(``history.on_disk``), whatever else the table holds.

Every hour of the period also holds one raw file (one health report), and
each rollup file records that hour's listing as the reconciler would, so a
``Twin`` over the folder finds the rollups exact, as over a lake whose
reconciler is up to date, and lists a year of hourly partitions at refresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloud.rollup.sources import Listing, Recorded, digest, slot_key
from cloud.rollup.tables import RESOLUTIONS, STEP, VERSION, Table, table
from cloud.twin.synth import SCHEMA as RAW_SCHEMA
from cloud.twin.synth import write_table

_CLASSES = ("person", "car")
_DIRECTIONS = ("in", "out")
CROSSINGS_PER_S = 0.6  # per camera, at the day's mean


@dataclass(frozen=True)
class RollupShape:
    """How big the synthetic city's rollups are."""

    site: str = "city"
    cameras: int = 1000
    days: int = 365
    minute_days: int = 7
    start: datetime = datetime(2025, 1, 1, tzinfo=timezone.utc)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


def _rhythm(starts: np.ndarray) -> np.ndarray:
    """Relative activity at each bucket start (epoch seconds): quiet at night, busy by day; mean about 1."""
    hour = (starts % 86_400) / 3600
    return 0.2 + 1.6 * np.sin(np.pi * hour / 24) ** 2


def _strings(values: tuple[str, ...] | list[str], index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values), pa.array(index))


def _frame(shape: RollupShape, t: Table, first: datetime, buckets: int, series: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bucket starts, camera index and series index of every row, sorted by (bucket_start, camera, series)."""
    step = int(STEP[t.resolution].total_seconds())
    starts = int(first.timestamp()) + step * np.arange(buckets, dtype=np.int64)
    per_bucket = shape.cameras * series
    bucket = np.repeat(starts, per_bucket)
    camera = np.tile(np.repeat(np.arange(shape.cameras), series), buckets)
    kind = np.tile(np.arange(series), buckets * shape.cameras)
    return bucket, camera, kind


def _series(shape: RollupShape, bucket: np.ndarray, camera: np.ndarray) -> dict[str, pa.Array]:
    """The columns every table starts with: bucket start, site, camera."""
    return {
        "bucket_start": pa.array(bucket * 1_000_000, pa.timestamp("us", tz="UTC")),
        "site": pa.array(np.full(len(bucket), shape.site)),
        "camera": _strings([f"cam-{i}" for i in range(shape.cameras)], camera),
    }


def crossings(shape: RollupShape, t: Table, first: datetime, buckets: int, rng: np.random.Generator) -> pa.Table:
    bucket, camera, series = _frame(shape, t, first, buckets, 4)
    seconds = STEP[t.resolution].total_seconds()
    share = np.where(series // 2 == 0, 0.8, 0.2) / 2  # person or car, then in or out
    counts = rng.poisson(CROSSINGS_PER_S * seconds * share * _rhythm(bucket))
    return pa.table({
        **_series(shape, bucket, camera),
        "line": pa.array(np.full(len(bucket), "line-0")),
        "direction": _strings(_DIRECTIONS, series % 2),
        "object_class": _strings(_CLASSES, series // 2),
        "crossings": pa.array(counts, pa.int64()),
    })


def occupancy(shape: RollupShape, t: Table, first: datetime, buckets: int, rng: np.random.Generator) -> pa.Table:
    bucket, camera, _ = _frame(shape, t, first, buckets, 1)
    samples = np.maximum(1, rng.poisson(STEP[t.resolution].total_seconds() / 4, len(bucket)))
    level = 6 * _rhythm(bucket)
    return pa.table({
        **_series(shape, bucket, camera),
        "zone": pa.array(np.full(len(bucket), "zone-0")),
        "max_total": pa.array(rng.poisson(level * 1.5).astype(np.int32)),
        "sum_total": pa.array((level * samples).astype(np.int64)),
        "samples": pa.array(samples.astype(np.int64)),
        "last_total": pa.array(rng.poisson(level).astype(np.int32)),
        "last_ts": pa.array((bucket + int(STEP[t.resolution].total_seconds()) - 1) * 1_000_000,
                            pa.timestamp("us", tz="UTC")),
    })


_MAKERS = {"crossings": crossings, "occupancy": occupancy}


def _files(shape: RollupShape, t: Table) -> Iterator[tuple[datetime, int]]:
    """(first bucket, buckets) of each file of ``t``: an hour of minutes, a day of quarters or hours, a month of days."""
    if t.resolution == "minute":
        at = shape.end - timedelta(days=shape.minute_days)
        while at < shape.end:
            yield at, 60
            at += timedelta(hours=1)
    elif t.resolution in ("quarter", "hour"):
        for day in range(shape.days):
            yield shape.start + timedelta(days=day), timedelta(days=1) // STEP[t.resolution]
    else:
        at = shape.start
        while at < shape.end:
            following = (at.replace(day=1) + timedelta(days=32)).replace(day=1)
            yield at, (min(following, shape.end) - at).days
            at = following


_HEALTH = '{"fps":9.5,"frames":1,"dropped_frames":0,"cpu_percent":80.0,"rss_mb":300.0,"spool_depth":0}'


def raw_hour(root: Path, shape: RollupShape, hour: datetime, seq: int, name: str = "synthetic.parquet") -> Listing:
    """One raw file of one health report in ``hour``'s partition; returns the partition's listing (as ``sources``)."""
    node = f"{shape.site}-cam-0"
    rows = pa.table({"event_id": [f"{node}:{seq}"], "site": [shape.site], "camera": ["cam-0"], "node": [node],
                     "seq": [seq], "ts": [hour], "type": ["node_health"], "body": [_HEALTH]}, schema=RAW_SCHEMA)
    path = write_table(root, hour, rows, name)
    return tuple(sorted((p.name, p.stat().st_size) for p in path.parent.glob("*.parquet")))


def _recorded(t: Table, first: datetime, buckets: int, listings: dict[str, Listing]) -> Recorded:
    """What the reconciler would record in the file of ``t`` starting at ``first``: each raw hour's listing under it."""
    hours = (first + i * STEP["hour"] for i in range(int(buckets * STEP[t.resolution] / STEP["hour"])))
    keys = [slot_key((h.date(), f"{h.hour:02d}")) for h in hours]
    files = listings[keys[0]] if t.resolution == "minute" else ()
    return Recorded(VERSION, {k: digest(listings[k]) for k in keys if k in listings}, files)


def write(root: Path, shape: RollupShape, seed: int = 11) -> int:
    """Write a raw file per hour and every crossings and occupancy table of ``shape`` under ``root``; returns rollup rows."""
    rng = np.random.default_rng(seed)
    rows = 0
    listings: dict[str, Listing] = {}
    for h in range(shape.days * 24):
        hour = shape.start + h * STEP["hour"]
        listings[slot_key((hour.date(), f"{hour.hour:02d}"))] = raw_hour(root, shape, hour, h)
    for kind, make in _MAKERS.items():
        for resolution in RESOLUTIONS:
            t = table(f"{kind}_{resolution}")
            for first, buckets in _files(shape, t):
                data = make(shape, t, first, buckets, rng)
                meta = _recorded(t, first, buckets, listings).metadata()
                folder = root / t.partition_dir(first.date(), first.hour)
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(data.replace_schema_metadata(meta), folder / "part.parquet", compression="zstd")
                rows += data.num_rows
    return rows
