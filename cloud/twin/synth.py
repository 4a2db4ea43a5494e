"""Synthetic city data for tests and the twin benchmark, written in the lake layout.

Events are made with the real event model and written as Hive-partitioned
Parquet (``date=/hour=``), one file per hour, zstd-compressed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

from cloud.sink.schema import SCHEMA as SINK_SCHEMA
from cloud.sink.settings import SinkSettings
from cloud.sink.writer import write_events

ZSTD_LEVEL = SinkSettings().zstd_level  # the sink's default

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("site", pa.string()),
        ("camera", pa.string()),
        ("node", pa.string()),
        ("seq", pa.int64()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("type", pa.string()),
        ("body", pa.string()),
    ],
    metadata=SINK_SCHEMA.metadata,  # the sink's mark: these files stand in for the ones it writes
)


@dataclass(frozen=True)
class CityShape:
    """How big the synthetic city is."""

    site: str = "city"
    cameras: int = 50
    days: int = 30
    events: int = 10_000_000
    start: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)


_HEALTH = (
    '{"fps":9.5,"stage_ms":{"detect":40.0},"frames":1,"dropped_frames":0,"cpu_percent":80.0,'
    '"rss_mb":300.0,"temperature_c":null,"spool_depth":0,"spool_dropped":0,"uptime_s":1.0}'
)


def _bodies(kind: np.ndarray, rng: np.random.Generator, times: np.ndarray) -> list[str]:
    """JSON bodies, formatted directly: ten million ``json.dumps`` calls would dominate the run."""
    n = len(kind)
    which = rng.integers(0, 2, n)
    inbound = rng.random(n) < 0.5
    person = rng.random(n) < 0.8
    track = rng.integers(1, 10**6, n)
    total = rng.integers(0, 12, n)
    stay = np.round(rng.exponential(30, n), 3)
    entered = (times - (stay * 1e6).astype("timedelta64[us]")).astype(str)
    out: list[str] = []
    for i in range(n):
        k = kind[i]
        if k == 0:
            out.append(
                f'{{"line":"line-{which[i]}","direction":"{"in" if inbound[i] else "out"}",'
                f'"object_class":"{"person" if person[i] else "car"}","track_id":{track[i]}}}'
            )
        elif k == 1:
            out.append(f'{{"zone":"zone-{which[i]}","total":{total[i]},"by_class":{{"person":{total[i]}}}}}')
        elif k == 2:
            out.append(
                f'{{"zone":"zone-{which[i]}","object_class":"person","track_id":{track[i]},'
                f'"entered":"{entered[i]}Z","seconds":{stay[i]}}}'
            )
        else:
            out.append(_HEALTH)
    return out


TYPES = np.array(["line_crossing", "zone_occupancy", "dwell", "node_health"])


def hourly_tables(shape: CityShape, seed: int = 7) -> Iterator[tuple[datetime, pa.Table]]:
    """One Arrow table per hour of the period, events spread evenly with a daily rhythm."""
    rng = np.random.default_rng(seed)
    hours = shape.days * 24
    weights = 0.3 + np.sin(np.linspace(0, np.pi * 2 * shape.days, hours) - np.pi / 2) ** 2
    per_hour = rng.multinomial(shape.events, weights / weights.sum())
    seq = np.zeros(shape.cameras, np.int64)
    for h, n in enumerate(per_hour):
        hour_start = shape.start + timedelta(hours=h)
        cams = rng.integers(0, shape.cameras, n)
        offsets = np.sort(rng.integers(0, 3_600_000_000, n))
        kinds = rng.choice(4, n, p=[0.6, 0.25, 0.1, 0.05])
        seqs = np.empty(n, np.int64)
        for c in np.unique(cams):
            mask = cams == c
            count = int(mask.sum())
            seqs[mask] = np.arange(seq[c], seq[c] + count)
            seq[c] += count
        nodes = np.char.add(f"{shape.site}-cam-", cams.astype(str))
        times = np.datetime64(hour_start.replace(tzinfo=None), "us") + offsets.astype("timedelta64[us]")
        table = pa.table(
            {
                "event_id": np.char.add(np.char.add(nodes, ":"), seqs.astype(str)),
                "site": np.full(n, shape.site),
                "camera": np.char.add("cam-", cams.astype(str)),
                "node": nodes,
                "seq": seqs,
                "ts": pa.array(times, pa.timestamp("us", tz="UTC")),
                "type": TYPES[kinds],
                "body": _bodies(kinds, rng, times),
            },
            schema=SCHEMA,
        )
        yield hour_start, table


def write_table(lake: Path, hour_start: datetime, table: pa.Table, name: str = "synthetic.parquet") -> Path:
    """Write ``table`` into its ``date=/hour=`` partition, as the sink lays out its files."""
    return write_events(table, lake / f"date={hour_start:%Y-%m-%d}" / f"hour={hour_start:%H}" / name, ZSTD_LEVEL)


def generate(lake: Path, shape: CityShape) -> int:
    """Fill ``lake`` with ``shape``; returns the number of rows written."""
    rows = 0
    for hour_start, table in hourly_tables(shape):
        write_table(lake, hour_start, table)
        rows += table.num_rows
    return rows
