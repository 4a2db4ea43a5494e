"""The region's checks on each record, as a table; the regional deployment's keys; and a lake row that cannot be stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cloud.federation.admission import Admission, Refused
from cloud.federation.countcell import CountCell
from cloud.federation.region_config import Region, RegionDeployment, keyring
from cloud.federation.regional import Received, table
from cloud.federation.signing import CellKey, SigningKeyError
from tests.cloud.federation.support import SECRETS, cell, heat_cell, key_env, key_environ, key_id, region_doc, sign, signed_by

NOW = datetime.now(timezone.utc)
HOUR = datetime.fromisoformat(cell(NOW)["bucket_start"])  # the last closed hour


def keys(*cities: str) -> dict[str, CellKey]:
    return {key_id(c): CellKey(key_id(c), c, SECRETS[c].encode()) for c in cities}


def admit(raw: bytes, now: datetime = NOW, **region: Any) -> tuple[CountCell, str]:
    return Admission(Region(id="r", name="R", **region), keys("ghent", "bruges")).admit(raw, now)


@pytest.mark.parametrize(("raw", "error"), [
    (None, "empty"),
    (b"{", "invalid_json"),
    (b'[1, 2]', "unsigned"),
    (b'{"cell": {}, "key_id": "ghent-test"}', "unsigned"),
    (b'{"cell": [], "key_id": "ghent-test", "hmac_sha256": "00"}', "invalid_envelope"),
    (sign(cell(NOW), "ghent-test", SECRETS["bruges"]), "bad_signature"),
    (sign(cell(NOW), "GHENT", SECRETS["ghent"]), "invalid_envelope"),
    (signed_by("mallory", cell(NOW, city="mallory")), "unknown_key"),
    (signed_by("bruges", cell(NOW)), "city_mismatch"),
    (signed_by("ghent", cell(NOW, schema_version=1)), "schema"),
    (signed_by("ghent", cell(NOW, value="40")), "schema"),
    (signed_by("ghent", cell(NOW, k=9, value=40)), "k_below_minimum"),
    (signed_by("ghent", cell(NOW, value=1_000_001)), "out_of_range"),
    (signed_by("ghent", cell(NOW, bucket_s=2700)), "bucket_s"),
    (signed_by("ghent", cell(NOW, bucket_start=(HOUR + timedelta(minutes=30)).isoformat())), "bucket_start"),
    (signed_by("ghent", cell(NOW, bucket_start=(HOUR + timedelta(days=3650)).isoformat())), "future"),
    (signed_by("ghent", cell(NOW, exported_at=(NOW + timedelta(seconds=301)).isoformat())), "future"),
    (signed_by("ghent", cell(NOW, bucket_start=(HOUR - timedelta(hours=2)).isoformat(),
                             exported_at=(NOW - timedelta(seconds=901)).isoformat())), "stale"),
    (signed_by("ghent", cell(NOW, bucket_start="9999-12-31T00:00:00+00:00")), "future"),
    (signed_by("ghent", cell(NOW, bucket_start="1970-01-01T00:00:00+00:00")), "too_old"),
])
def test_refused(raw: bytes | None, error: str) -> None:
    with pytest.raises(Refused) as refused:
        admit(raw)  # type: ignore[arg-type]
    assert refused.value.error == error, refused.value.reason


@pytest.mark.parametrize(("changes", "error"), [
    ({"cell_m": 1.9}, "schema"),  # finer than the contract's MIN_HEATMAP_CELL_M
    ({"cell_m": 0.0}, "schema"),
    ({"cell_m": -10.0}, "schema"),
    ({"cell_m": 1e308}, "schema"),
    ({"cell_m": "10"}, "schema"),
    ({"cell_m": True}, "schema"),
    ({"cell_m": None}, "schema"),
    ({"lat": 90.5}, "schema"),
    ({"lat": -91.0}, "schema"),
    ({"lon": 180.000001}, "schema"),
    ({"lon": -1e300}, "schema"),
    ({"lat": None}, "schema"),
    ({"lat": 51.0500451}, "schema"),  # finer than the rounded centre: a position, not a cell
    ({"east": 3}, "schema"),
    ({"origin": {"lon": 3.72, "lat": 51.05}}, "schema"),
    ({"node": "ghent-cam-1"}, "schema"),
    ({"track_id": 7}, "schema"),
    ({"subject": "plaza"}, "schema"),
    ({"direction": "in"}, "schema"),
    ({"schema_version": 2}, "schema"),  # heatmap cells are version 3
    ({"schema_version": 4}, "schema"),
    ({"value": 10**12}, "schema"),
    ({"value": 1_000_001}, "out_of_range"),
    ({"value": 9}, "schema"),  # below the city's own k
    ({"k": 9, "value": 9}, "k_below_minimum"),
])
def test_hostile_heatmap_cells_are_refused(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(Refused) as refused:
        admit(signed_by("ghent", heat_cell(NOW, **changes)))
    assert refused.value.error == error, refused.value.reason
    assert refused.value.reason


def test_the_region_sets_its_own_heatmap_floor() -> None:
    raw = signed_by("ghent", heat_cell(NOW, cell_m=5.0))
    assert admit(raw)[0].cell_m == 5.0
    with pytest.raises(Refused) as refused:
        admit(raw, min_cell_m=10.0)
    assert refused.value.error == "cell_m" and "min_cell_m=10 m" in refused.value.reason
    with pytest.raises(ValueError, match="min_cell_m"):
        Region(id="r", name="R", min_cell_m=1.0)  # the region cannot go finer than the contract


def test_one_place_is_one_heatmap_cell_key() -> None:
    keys = {admit(signed_by("ghent", heat_cell(NOW, lat=lat, lon=lon, cell_m=m)))[0].key
            for lat, lon, m in ((0.0, 0.0, 10.0), (-0.0, -0.0, 10.0), (0, 0, 10))}
    assert keys == {f"ghent/cam-1/heatmap/10.0m@0.000000,0.000000/-/{HOUR.isoformat()}"}


def test_heatmap_cells_and_cells_of_version_2_are_let_in() -> None:
    heat, _ = admit(signed_by("ghent", heat_cell(NOW)))
    assert (heat.kind, heat.cell_m, heat.lat, heat.lon, heat.schema_version) == ("heatmap", 10.0, 51.050045, 3.720072, 3)
    assert heat.key.startswith("ghent/cam-1/heatmap/10.0m@51.050045,3.720072/-/")
    old, _ = admit(signed_by("ghent", cell(NOW)))  # a city not yet upgraded
    assert (old.schema_version, old.kind, old.cell_m) == (2, "zone", None)
    with pytest.raises(Refused, match="schema"):
        admit(signed_by("ghent", cell(NOW, cell_m=10.0, lat=51.05, lon=3.72)))  # a zone cell has no place


def test_the_regions_own_limits_are_settings() -> None:
    raw = signed_by("ghent", cell(NOW, k=5, value=7, bucket_s=2700, bucket_start=datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat()))
    with pytest.raises(Refused):
        admit(raw)
    got, kid = admit(raw, min_k=5, bucket_s=[2700], max_bucket_age_days=3650)
    assert (got.value, got.k, kid) == (7, 5, "ghent-test")


def test_the_same_bucket_in_another_time_zone_is_the_same_cell() -> None:
    utc = cell(NOW)
    start = datetime.fromisoformat(utc["bucket_start"])
    shifted = cell(NOW, bucket_start=start.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat())
    assert admit(signed_by("ghent", utc))[0].key == admit(signed_by("ghent", shifted))[0].key


def test_arrival_is_judged_by_the_regions_clock() -> None:
    raw = signed_by("ghent", cell(NOW))
    assert admit(raw)[0].city == "ghent"
    with pytest.raises(Refused, match="stale"):
        admit(raw, now=NOW + timedelta(hours=1))  # the same record, replayed an hour later


def test_keyring_takes_each_key_from_its_variable_and_refuses_shared_ones(tmp_path: Path) -> None:
    doc = region_doc("127.0.0.1:9092", "t", tmp_path)
    doc["cities"][0]["keys"].append({"id": "ghent-next", "env": "CITYTWIN_TEST_NEXT"})  # a key being rotated in
    cfg = RegionDeployment.model_validate(doc)
    ring = keyring(cfg, {**key_environ(), "CITYTWIN_TEST_NEXT": "n" * 32})
    assert {k: v.city for k, v in ring.items()} == {"ghent-test": "ghent", "ghent-next": "ghent", "bruges-test": "bruges"}
    assert "secret" not in repr(ring) and SECRETS["ghent"] not in repr(ring)
    with pytest.raises(SigningKeyError, match=r"cities\[0\].keys\[1\].env names the environment variable CITYTWIN_TEST_NEXT"):
        keyring(cfg, key_environ())
    with pytest.raises(SigningKeyError, match="same signing key"):
        keyring(cfg, {**key_environ(), "CITYTWIN_TEST_NEXT": SECRETS["bruges"]})


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["cities"][1]["keys"].__setitem__(0, {"id": "ghent-test", "env": key_env("bruges")}), "duplicate key ids"),
    (lambda d: d["cities"][0].pop("keys"), "keys"),
    (lambda d: d["region"].update(min_k=1), "min_k"),
    (lambda d: d["region"].update(bucket_s=[0]), "bucket_s"),
    (lambda d: d["cities"][0]["keys"][0].update(env="NOT A NAME"), "env"),
])
def test_the_regional_deployment_file_refuses(tmp_path: Path, change: Any, message: str) -> None:
    doc = region_doc("127.0.0.1:9092", "t", tmp_path)
    change(doc)
    with pytest.raises(ValueError, match=message):
        RegionDeployment.model_validate(doc)


def test_a_row_the_lake_cannot_store_is_set_aside_and_the_rest_kept() -> None:
    good, _ = admit(signed_by("ghent", cell(NOW)))
    # The model bounds every number; a cell built past them stands for any future column it does not fit.
    unfit = CountCell.model_construct(**{**good.model_dump(), "value": 2**63})
    rows, bad = table([Received(good, "ghent-test", NOW, 0, 1, b"good"), Received(unfit, "ghent-test", NOW, 0, 2, b"unfit")])
    assert rows.column("kafka_offset").to_pylist() == [1]
    assert [(r.offset, r.raw) for r, _ in bad] == [(2, b"unfit")] and "cannot store" in bad[0][1]
