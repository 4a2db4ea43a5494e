"""GET /api/flows through the real app: a camera's top turns, queues, speeds and heatmap over the 15 minutes up to an instant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloud.cockpit.flows import TOP_TURNS
from cloud.cockpit.service import Cockpit
from tests.cloud.cockpit.support import login
from tests.support.counts import deliver

CLASSES = ("person", "car", "bicycle", "bus", "truck", "motorcycle")


def _turn(destination: str, object_class: str, trips: int) -> dict[str, Any]:
    return {"origin": {"kind": "line", "id": "line-0", "direction": "in"}, "destination": {"kind": "zone", "id": destination},
            "object_class": object_class, "trips": trips}


def _body(ts: datetime, turns: Sequence[dict[str, Any]] = (), queues: Sequence[dict[str, Any]] = (), **newer: Any) -> dict[str, Any]:
    return {"interval_start": ts - timedelta(minutes=1), "interval_s": 60.0, "by_class": {}, "turns": list(turns),
            "queues": list(queues), **newer}


def _speed(line: str, direction: str, object_class: str, samples: int, mean: float, p85: float) -> dict[str, Any]:
    return {"line": line, "direction": direction, "object_class": object_class, "samples": samples, "mean_kmh": mean,
            "p85_kmh": p85}


def _grid(lon: float, *cells: tuple[int, int, int]) -> dict[str, Any]:
    return {"cell_m": 5.0, "origin": {"lon": lon, "lat": 51.9995},
            "cells": [{"east": e, "north": n, "objects": k} for e, n, k in cells]}


GRID_A, GRID_B = 4.3725, 4.3800  # two calibrations of cam-0: the node's grid moved 3 minutes before now, then back


@pytest.fixture
def now(cockpit: Cockpit) -> datetime:
    """Count events of cam-0 20, 5, 3 and 1 minutes before the instant returned, one of cam-1, one uncalibrated of cam-2."""
    at = datetime.now(timezone.utc).replace(microsecond=0)
    twelve = [_turn(f"zone-{i % 2}", CLASSES[i // 2], i + 1) for i in range(12)]  # 12 pairs, 1..12 trips
    ago = {m: at - timedelta(minutes=m) for m in (20, 5, 3, 1)}
    events = [
        ("cam-0", ago[20], _body(ago[20], [_turn("zone-0", "person", 500)], [{"zone": "zone-0", "mean": 9.0, "peak": 40}],
                                  heatmap=_grid(GRID_A, (0, 0, 100)))),
        ("cam-0", ago[5], _body(ago[5], twelve, [{"zone": "zone-0", "mean": 1.0, "peak": 6}],
                                speeds=[_speed("line-0", "in", "person", 4, 4.0, 5.0)], heatmap=_grid(GRID_A, (0, 0, 2), (1, 0, 1)))),
        ("cam-0", ago[3], _body(ago[3], heatmap=_grid(GRID_B, (5, 5, 9)))),
        ("cam-0", ago[1], _body(ago[1], [_turn("zone-1", "person", 4)],
                                [{"zone": "zone-0", "mean": 2.5, "peak": 4}, {"zone": "zone-1", "mean": 0.0, "peak": 0}],
                                speeds=[_speed("line-0", "in", "person", 1, 6.0, 6.0), _speed("line-1", "out", "car", 2, 30.0, 35.0)],
                                heatmap=_grid(GRID_A, (0, 0, 3), (-1, 2, 1)))),
        ("cam-1", ago[1], _body(ago[1], [_turn("zone-0", "bus", 99)], [{"zone": "zone-0", "mean": 7.0, "peak": 7}],
                                speeds=[_speed("line-0", "in", "bus", 9, 50.0, 60.0)], heatmap=_grid(GRID_A, (0, 0, 999)))),
        ("cam-2", ago[1], _body(ago[1], speeds=[], heatmap=None)),
    ]
    for seq, (camera, ts, body) in enumerate(events, start=10**6):
        deliver(cockpit.twin, camera, seq, ts, body)
    cockpit.refresh()
    return at


def _flows(client: TestClient, **params: str) -> Any:
    r = client.get("/api/flows", params=params, headers=login(client, "vic"))
    assert r.status_code == 200, r.text
    return r.json()


def test_the_top_turns_of_the_window_most_trips_first(client: TestClient, now: datetime) -> None:
    flows = _flows(client, camera="cam-0", at=now.isoformat())
    assert flows["window_min"] == 15 and flows["camera"] == "cam-0"
    # 12 pairs at 5 minutes, one of them (line-0 in -> zone-1, person: 2 trips) again at 1 minute; the 20-minute one is out.
    assert flows["pairs"] == 12 and flows["trips"] == sum(range(1, 13)) + 4
    trips = [t["trips"] for t in flows["turns"]]
    assert len(trips) == TOP_TURNS and trips == sorted(trips, reverse=True) and trips[0] == 12
    top_person = next(t for t in flows["turns"] if t["object_class"] == "person" and t["destination"]["id"] == "zone-1")
    assert top_person == {"origin": {"kind": "line", "id": "line-0", "direction": "in"},
                          "destination": {"kind": "zone", "id": "zone-1", "direction": None},
                          "object_class": "person", "trips": 2 + 4}


def test_queues_now_and_at_their_peak(client: TestClient, now: datetime) -> None:
    queues = {q["zone"]: q for q in _flows(client, camera="cam-0", at=now.isoformat())["queues"]}
    assert set(queues) == {"zone-0", "zone-1"}
    zone0 = queues["zone-0"]
    assert (zone0["mean_now"], zone0["peak_now"], zone0["peak"], zone0["mean"]) == (2.5, 4, 6, 1.75)
    assert datetime.fromisoformat(zone0["as_of"]) == now - timedelta(minutes=1)
    assert (queues["zone-1"]["mean_now"], queues["zone-1"]["peak"]) == (0.0, 0)


def test_speeds_per_line_direction_and_class_weighted_by_their_samples(client: TestClient, now: datetime) -> None:
    speeds = _flows(client, camera="cam-0", at=now.isoformat())["speeds"]
    assert speeds == [
        {"line": "line-0", "direction": "in", "object_class": "person", "samples": 5, "mean_kmh": pytest.approx(4.4),
         "p85_kmh": pytest.approx(5.2)},
        {"line": "line-1", "direction": "out", "object_class": "car", "samples": 2, "mean_kmh": 30.0, "p85_kmh": 35.0},
    ]


def test_the_heatmap_is_the_newest_grid_summed_over_the_window(client: TestClient, now: datetime) -> None:
    heat = _flows(client, camera="cam-0", at=now.isoformat())["heatmap"]
    assert (heat["cell_m"], heat["origin"], heat["intervals"]) == (5.0, {"lon": GRID_A, "lat": 51.9995}, 2)
    assert heat["cells"] == [{"east": 0, "north": 0, "objects": 5}, {"east": 1, "north": 0, "objects": 1},
                             {"east": -1, "north": 2, "objects": 1}]  # grid B's cell is not laid on grid A
    moved = _flows(client, camera="cam-0", at=(now - timedelta(minutes=2)).isoformat())["heatmap"]
    assert (moved["origin"]["lon"], moved["intervals"], moved["cells"]) == (GRID_B, 1, [{"east": 5, "north": 5, "objects": 9}])


def test_an_uncalibrated_camera_has_no_speeds_and_no_heatmap(client: TestClient, now: datetime) -> None:
    flows = _flows(client, camera="cam-2", at=now.isoformat())
    assert (flows["speeds"], flows["heatmap"]) == ([], None)


def test_a_past_instant_sees_only_what_came_before_it(client: TestClient, now: datetime) -> None:
    flows = _flows(client, camera="cam-0", at=(now - timedelta(minutes=3)).isoformat())
    assert flows["trips"] == sum(range(1, 13)) and flows["pairs"] == 12
    assert [(q["zone"], q["peak"], q["mean_now"]) for q in flows["queues"]] == [("zone-0", 6, 1.0)]
    assert flows["speeds"][0]["samples"] == 4 and flows["heatmap"]["origin"]["lon"] == GRID_B
    older = _flows(client, camera="cam-0", at=(now - timedelta(minutes=10)).isoformat())
    assert (older["trips"], [(q["zone"], q["peak"]) for q in older["queues"]]) == (500, [("zone-0", 40)])
    assert older["heatmap"]["cells"] == [{"east": 0, "north": 0, "objects": 100}] and older["speeds"] == []
    early = _flows(client, camera="cam-0", at=(now - timedelta(minutes=30)).isoformat())
    assert (early["trips"], early["pairs"], early["turns"], early["queues"]) == (0, 0, [], [])


def test_a_camera_without_turns_or_queues_has_empty_flows(client: TestClient, now: datetime) -> None:
    flows = _flows(client, camera="cam-2")
    assert (flows["trips"], flows["pairs"], flows["turns"], flows["queues"]) == (0, 0, [], [])


@pytest.mark.parametrize("camera", ["cam-7", "cam-0' OR '1'='1", "cam-0\u202e", "", "%", "*"])
def test_a_camera_the_site_does_not_have_is_not_found(client: TestClient, now: datetime, camera: str) -> None:
    r = client.get("/api/flows", params={"camera": camera}, headers=login(client, "vic"))
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["code"] == "not_found" and error["message"].isascii() and "GET /api/map" in error["message"]


@pytest.mark.parametrize("params", [{}, {"camera": "c" * 65}, {"camera": "cam-0", "at": "yesterday"},
                                    {"camera": "cam-0", "at": "1900-01-01T00:00:00Z"}])
def test_bad_requests_are_refused_with_the_error_shape(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/flows", params=params, headers=login(client, "vic"))
    assert r.status_code in (400, 422)
    assert set(r.json()) == {"error"} and r.json()["error"]["message"]


def test_the_answer_is_typed_in_the_openapi_spec(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    answer = spec["paths"]["/api/flows"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/CameraFlows"}
    model = spec["components"]["schemas"]["CameraFlows"]
    assert {"turns", "queues", "speeds", "heatmap", "trips", "pairs", "window_min"} <= set(model["properties"])
    assert all(p.get("description") for p in model["properties"].values())
