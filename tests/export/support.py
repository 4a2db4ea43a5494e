"""A synthetic site for the exporter tests: two cameras with two lines and two zones each, and a day of events."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cloud.twin.synth import CityShape, generate
from cloud.twin.twin import Twin
from contract.site import CameraSpec, SiteSpec

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = START + timedelta(days=1, hours=1)  # every bucket of the day is closed
ORIGIN = {"lat": 53.55, "lon": 9.99}
BUCKETS = [900, 3600, 86400]
K = 5


def site(name: str | None = None) -> SiteSpec:
    return SiteSpec(id=name or f"s{uuid.uuid4().hex[:10]}", name="Test site", width_m=200, height_m=100)


def cameras() -> list[CameraSpec]:
    """cam-0 and cam-1 as the synthetic city names them, each with line-0/1 and zone-0/1."""
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]
    return [CameraSpec.model_validate({
        "id": f"cam-{i}", "map": {"x_m": 20.0 + 50 * i, "y_m": 30.0},
        "lines": [{"id": f"line-{j}", "points": [[0, 0], [10, 10]]} for j in range(2)],
        "zones": [{"id": f"zone-{j}", "polygon": square} for j in range(2)],
    }) for i in range(2)]


def lake_twin(tmp: Path, spec: SiteSpec, events: int = 3000) -> Twin:
    lake = tmp / "lake"
    generate(lake, CityShape(site=spec.id, cameras=2, days=1, events=events, start=START))
    return Twin(lake, spec, cameras())


def expected(twin: Twin, k: int = K) -> dict[str, dict[datetime, int]]:
    """Crossing counts and zone peaks at or above k, per ``camera/line/...`` key and bucket, computed in Python."""
    found: dict[str, Counter[datetime]] = {}
    rows = twin.query("SELECT camera, line, direction, object_class, ts FROM crossings").rows
    peaks: dict[str, dict[datetime, int]] = {}
    for bucket_s in BUCKETS:
        for camera, line, direction, cls, ts in rows:
            key = f"{camera}/line/{line}/{direction}/{cls}/{bucket_s}"
            found.setdefault(key, Counter())[_bucket(ts, bucket_s)] += 1
        for camera, zone, total, ts in twin.query("SELECT camera, zone, total, ts FROM occupancy").rows:
            cell = peaks.setdefault(f"{camera}/zone/{zone}/{bucket_s}", {})
            b = _bucket(ts, bucket_s)
            cell[b] = max(cell.get(b, 0), int(total))
    out: dict[str, dict[datetime, int]] = {}
    for key, counts in [*found.items(), *peaks.items()]:
        kept = {b: int(n) for b, n in counts.items() if n >= k}
        if kept:
            out[key] = kept
    return out


def remainders(cells: dict[str, dict[datetime, int]]) -> dict[tuple[str, datetime], int]:
    """Each published crossing count minus the largest published buckets inside it: what subtraction reveals.

    Found by brute force over intervals, not the way the exporter computes it.
    """
    spans: dict[str, list[tuple[datetime, datetime, str, int]]] = {}
    for key, counts in cells.items():
        if "/line/" in key:
            series, bucket_s = key.rsplit("/", 1)
            for start, n in counts.items():
                spans.setdefault(series, []).append((start, start + timedelta(seconds=int(bucket_s)), key, n))
    found: dict[tuple[str, datetime], int] = {}
    for members in spans.values():
        for start, end, key, n in members:
            inside = [m for m in members if start <= m[0] and m[1] <= end and (m[0], m[1]) != (start, end)]
            largest = [m for m in inside if not any(o[0] <= m[0] and m[1] <= o[1] and o != m for o in inside)]
            found[(key, start)] = n - sum(m[3] for m in largest)
    return found


def check_published(stored: dict[str, dict[datetime, int]], want: dict[str, dict[datetime, int]], k: int = K) -> int:
    """Assert that ``stored`` is ``want`` less exactly the counts that subtraction would reveal below k; how many those are."""
    assert all(stored[key][b] == want[key][b] for key in stored for b in stored[key])  # nothing sent that k holds back
    for cell, left in remainders(stored).items():
        assert left == 0 or left >= k, (cell, left)
    missing = [(key, b) for key in want for b in want[key] if b not in stored.get(key, {})]
    for key, b in missing:  # each one held back has a reason: published, it would reveal a count below k
        assert "/line/" in key, key
        trial = {**stored, key: {**stored.get(key, {}), b: want[key][b]}}
        assert 0 < remainders(trial)[(key, b)] < k, (key, b)
    return len(missing)


def _bucket(ts: datetime, bucket_s: int) -> datetime:
    epoch = int(ts.timestamp())
    return datetime.fromtimestamp(epoch - epoch % bucket_s, tz=timezone.utc)


def exporter_doc(kind: str, url: str, **more: Any) -> dict[str, Any]:
    return {"type": kind, "url": url, "origin": ORIGIN, "buckets_s": BUCKETS, "classes": ["person", "car"], "k": K,
            "grace_s": 0, "timeout_s": 10, **more}


def add_crossings(twin: Twin, camera: str, line: str, at: datetime, n: int) -> None:
    """``n`` more person crossings of ``line`` in the 'in' direction at ``at``, as late events in a file of their own."""
    import pyarrow as pa

    from cloud.twin.synth import SCHEMA, write_table

    node = f"{twin.site.id}-{camera}"
    seqs = [10**12 + int(at.timestamp()) + i for i in range(n)]
    table = pa.table({
        "event_id": [f"{node}:{s}" for s in seqs], "site": [twin.site.id] * n, "camera": [camera] * n, "node": [node] * n,
        "seq": seqs, "ts": pa.array([at] * n, pa.timestamp("us", tz="UTC")), "type": ["line_crossing"] * n,
        "body": [f'{{"line":"{line}","direction":"in","object_class":"person","track_id":{s % 10**6}}}' for s in seqs],
    }, schema=SCHEMA)
    write_table(twin.lake, at.replace(minute=0, second=0, microsecond=0), table, name=f"late-{seqs[0]}.parquet")
    twin.refresh()
