"""The SensorThings exporter against a real FROST-Server: entities once, Observations in bulk, re-runs add nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.audit.chain import AuditLog
from cloud.export.aggregates import read
from cloud.export.base import Exporter
from cloud.export.registry import build_exporter
from cloud.export.run import export, window
from cloud.export.sensorthings.settings import SensorThingsConfig
from cloud.twin.twin import Twin
from contract.site import SiteSpec
from tests.export.support import (NOW, START, add_crossings, cameras, check_published, expected, exporter_doc, lake_twin,
                                  site)
from tests.support.frost import Frost

pytestmark = [pytest.mark.slow]


def get(frost: Frost, path: str, **params: str) -> Any:
    answer = httpx.get(f"{frost.root}/{path}", params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def count(frost: Frost, path: str, flt: str) -> int:
    return int(get(frost, path, **{"$filter": flt, "$count": "true", "$top": "0"})["@iot.count"])


def stored(frost: Frost, site_id: str) -> dict[str, dict[datetime, int]]:
    """Every Observation of the site's Datastreams, by Datastream key (site prefix dropped) and bucket start."""
    found: dict[str, dict[datetime, int]] = {}
    streams = get(frost, "Datastreams", **{"$filter": f"properties/citytwin_site eq '{site_id}'", "$top": "1000",
                                            "$expand": "Observations($top=10000;$select=phenomenonTime,result)"})
    for stream in streams["value"]:
        key = stream["properties"]["citytwin_key"].removeprefix(f"{site_id}/")
        for obs in stream["Observations"]:
            start = datetime.fromisoformat(obs["phenomenonTime"].split("/")[0].replace("Z", "+00:00"))
            found.setdefault(key, {})[start.astimezone(timezone.utc)] = obs["result"]
    return found


def test_export_to_frost_creates_entities_once_and_observations_without_duplicates(tmp_path: Path, frost: Frost) -> None:
    spec = site()
    twin = lake_twin(tmp_path, spec)
    want = expected(twin)
    config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", frost.root))
    audit = AuditLog(tmp_path / "audit.jsonl")
    exporter = build_exporter("frost", config, spec, cameras(), {})

    first = export(exporter, twin, audit, NOW, START)
    held = check_published(stored(frost, spec.id), want)
    total = sum(len(v) for v in want.values()) - held
    assert total > 100  # the day has enough crossings above k to say something
    assert (first.created, first.present) == (total, 0)
    of_site = f"Datastream/properties/citytwin_site eq '{spec.id}'"
    assert count(frost, "Observations", of_site) == total
    assert count(frost, "Observations", f"{of_site} and result lt {config.k}") == 0  # suppressed below k
    # 2 cameras x (2 lines x 2 directions x 2 classes + 2 zones) x 3 bucket lengths
    assert count(frost, "Datastreams", f"properties/citytwin_site eq '{spec.id}'") == 60
    things = get(frost, "Things", **{"$filter": f"properties/citytwin_site eq '{spec.id}'", "$expand": "Locations"})["value"]
    assert sorted(t["properties"]["camera"] for t in things) == ["cam-0", "cam-1"]
    lon, lat = things[0]["Locations"][0]["location"]["coordinates"]
    assert 9.99 < lon < 10.0 and 53.54 < lat < 53.55  # east and south of the plan's corner

    again = export(exporter, twin, audit, NOW, START)
    assert (again.created, again.present, again.entities) == (0, total, 0)
    assert count(frost, "Observations", of_site) == total
    assert count(frost, "Things", f"properties/citytwin_site eq '{spec.id}'") == 2

    records = [r for r in audit.records() if r["action"] == "export.sensorthings"]
    assert [r["details"]["phase"] for r in records] == ["intent", "outcome"] * 2
    assert records[0]["details"]["host"] == f"127.0.0.1:{frost.port}"
    assert records[1]["details"]["created"] == total and records[3]["details"]["created"] == 0
    twin.close()


def test_a_moved_camera_moves_its_location_and_no_observation_is_added(tmp_path: Path, frost: Frost) -> None:
    spec = site()
    twin = lake_twin(tmp_path, spec, events=600)
    config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", frost.root))
    audit = AuditLog(tmp_path / "audit.jsonl")
    export(build_exporter("frost", config, spec, cameras(), {}), twin, audit, NOW, START)
    moved = [c.model_copy(update={"map": c.map.model_copy(update={"y_m": 90.0}), "name": "Gate"}) for c in cameras()]
    outcome = export(build_exporter("frost", config, spec, moved, {}), twin, audit, NOW, START)
    assert outcome.created == 0
    things = get(frost, "Things", **{"$filter": f"properties/citytwin_site eq '{spec.id}'", "$expand": "Locations"})["value"]
    assert {t["name"] for t in things} == {"Gate"}
    assert all(t["Locations"][0]["location"]["coordinates"][1] < 53.5493 for t in things)  # 90 m south of the corner
    twin.close()


def exporting(tmp: Path, frost: Frost) -> tuple[SiteSpec, Twin, SensorThingsConfig, AuditLog, Exporter[Any]]:
    """A day of 1500 events, and an exporter of it to FROST."""
    spec = site()
    twin = lake_twin(tmp, spec, events=1500)
    config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", frost.root))
    return spec, twin, config, AuditLog(tmp / "audit.jsonl"), build_exporter("frost", config, spec, cameras(), {})


def test_late_events_correct_the_buckets_already_exported(tmp_path: Path, frost: Frost) -> None:
    spec, twin, config, audit, exporter = exporting(tmp_path, frost)
    first = export(exporter, twin, audit, NOW, START)
    add_crossings(twin, "cam-0", "line-0", START + timedelta(hours=3, minutes=5), 7)
    want = expected(twin)
    again = export(exporter, twin, audit, NOW, START)
    # The 15-minute, hour and day buckets of that moment each count 7 more: stored ones are patched, not doubled.
    assert again.details["corrected"] + again.created >= 3 and again.details["corrected"] >= 1
    now = stored(frost, spec.id)
    span = window(config, NOW, START)
    sent = read(twin, span.start, span.ends, config.classes, config.k)
    cells = [(c.key, c.start, c.count) for c in sent.crossings] + [(p.key, p.start, p.peak) for p in sent.peaks]
    assert all(now[key][b] == n == want[key][b] for key, b, n in cells)  # what is published now is what the lake says
    assert first.created + again.created == sum(len(v) for v in now.values())
    twin.close()


def test_a_correction_smaller_than_k_is_held_back_and_sent_once_it_grows(tmp_path: Path, frost: Frost) -> None:
    spec, twin, config, audit, exporter = exporting(tmp_path, frost)
    export(exporter, twin, audit, NOW, START)
    key = "cam-0/line/line-0/in/person/900"
    before = quarters(frost, spec.id, key)
    busiest = max(before, key=lambda b: before[b])
    add_crossings(twin, "cam-0", "line-0", busiest + timedelta(minutes=1), config.k - 2)
    export(exporter, twin, audit, NOW, START)
    assert quarters(frost, spec.id, key)[busiest] == before[busiest]  # the difference would be k-2 people
    add_crossings(twin, "cam-0", "line-0", busiest + timedelta(minutes=2), 2)
    export(exporter, twin, audit, NOW, START)
    assert quarters(frost, spec.id, key)[busiest] == before[busiest] + config.k
    twin.close()


def quarters(frost: Frost, site_id: str, key: str) -> dict[datetime, int]:
    """The results FROST holds for one Datastream, by bucket start."""
    answer = httpx.get(f"{frost.root}/Datastreams", timeout=30, params={
        "$filter": f"properties/citytwin_key eq '{site_id}/{key}'",
        "$expand": "Observations($top=1000;$select=phenomenonTime,result)"}).json()
    (stream,) = answer["value"]
    return {datetime.fromisoformat(o["phenomenonTime"].split("/")[0].replace("Z", "+00:00")): o["result"]
            for o in stream["Observations"]}
