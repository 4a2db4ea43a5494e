"""Heatmap cells on the city side: summed per bucket, placed by their centre, and held back below k."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cloud.audit.chain import AuditLog
from cloud.federation.export import aggregate, publish
from cloud.federation.settings import FederationSettings
from cloud.federation.signing import CellKey
from cloud.twin.twin import Twin
from contract.site import SiteSpec
from tests.cloud.federation.heat_support import expected_centre, heat_body, heat_event_ts
from tests.support.counts import deliver
from tests.support.lakefiles import raw_row, write_rows

K = 5
HOUR = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
SETTINGS = FederationSettings(bootstrap="region:9092", bucket_s=3600, k=K, grace_s=0, lookback_buckets=4)


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[Twin]:
    lake = tmp_path / "lake"
    lake.mkdir()
    twin = Twin(lake, SiteSpec(id="city", name="City", width_m=10, height_m=10), [])
    yield twin
    twin.close()


def heat(twin: Twin, seq: int, start: datetime, cells: list[tuple[int, int, int]]) -> None:
    deliver(twin, "cam-0", seq, heat_event_ts(start), heat_body(start, cells))


def export_of(twin: Twin) -> dict[tuple[float, float, datetime], int]:
    twin.refresh()
    export = aggregate(twin, SETTINGS, "ghent", HOUR - timedelta(hours=1), HOUR + timedelta(hours=2))
    return {(c.lat, c.lon, c.bucket_start): c.value for c in export.cells if c.kind == "heatmap"}  # type: ignore[misc]


def test_a_cell_of_k_leaves_and_one_of_k_minus_one_never_does(twin: Twin) -> None:
    heat(twin, 1, HOUR, [(0, 0, K), (1, 0, K - 1), (2, 0, K - 1)])
    heat(twin, 2, HOUR + timedelta(minutes=59), [(0, 0, 2), (1, 0, K - 1)])  # stamped 13:00, counted in its start's hour
    heat(twin, 2, HOUR + timedelta(minutes=59), [(0, 0, 2), (1, 0, K - 1)])  # delivered twice, counted once
    heat(twin, 3, HOUR + timedelta(hours=1), [(2, 0, 1), (3, 0, K)])  # the next hour is a bucket of its own
    got = export_of(twin)
    # (1, 0) sums to 2k - 2 but never held k objects at once: it could be one person standing still. It stays.
    assert got == {(*expected_centre(0, 0), HOUR): K + 2, (*expected_centre(3, 0), HOUR + timedelta(hours=1)): K}


def test_the_export_holds_no_grid_index_origin_node_or_track_and_is_audited(twin: Twin, tmp_path: Path) -> None:
    heat(twin, 1, HOUR, [(-2, 7, 40), (5, 5, 1)])
    twin.refresh()
    export = aggregate(twin, SETTINGS, "ghent", HOUR, HOUR + timedelta(hours=1))
    sent: list[bytes] = []
    audit = AuditLog(tmp_path / "audit.jsonl")
    publish(export, SETTINGS, CellKey("ghent-test", "ghent", b"k" * 32), lambda _key, value: sent.append(value), audit, "t")
    [cell] = [json.loads(v)["cell"] for v in sent]
    assert set(cell) == {"schema_version", "city", "camera", "kind", "subject", "direction", "cell_m", "lat", "lon",
                         "bucket_start", "bucket_s", "value", "k", "exported_at"}
    assert (cell["schema_version"], cell["kind"], cell["cell_m"], cell["value"]) == (3, "heatmap", 10.0, 40)
    assert (cell["lat"], cell["lon"]) == expected_centre(-2, 7)
    [record] = [json.loads(line) for line in audit.path.read_text().splitlines()]
    details = record["details"]
    assert (details["cells"], details["suppressed"]) == (1, 1)
    assert details["cells_by_kind"] == {"line": 0, "zone": 0, "heatmap": 1}
    assert details["suppressed_by_kind"] == {"line": 0, "zone": 0, "heatmap": 1}
    assert "heatmap" in details["contains"]


@pytest.mark.parametrize("grid", [
    {},  # the contract's own: it leaves
    {"cell_m": 0.5},  # finer than the contract's floor
    {"cell_m": 5000.0},
    {"origin": {"lon": 3.72, "lat": 95.0}},
    {"origin": {"lon": "east", "lat": 51.0}},
    {"cells": [{"east": 10**6, "north": 0, "objects": 50}]},
    {"cells": [{"east": 0, "north": 0, "objects": -50}]},
])
def test_a_lake_heatmap_that_is_not_the_contracts_never_leaves(tmp_path: Path, grid: dict[str, object]) -> None:
    body = heat_body(HOUR, [(0, 0, 50)])
    body["heatmap"] = {**body["heatmap"], **grid}
    lake = tmp_path / "lake"
    write_rows(lake, "odd.parquet", [raw_row("count", "cam-0", 1, heat_event_ts(HOUR), body)])
    twin = Twin(lake, SiteSpec(id="city", name="City", width_m=10, height_m=10), [])
    try:
        assert export_of(twin) == ({(*expected_centre(0, 0), HOUR): 50} if not grid else {})
    finally:
        twin.close()
