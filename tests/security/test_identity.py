"""A node speaks only for itself: topic, MQTT user, camera, node and event_id must all name the sender.

Before the bridge checked identities, camera A published ``node: <B's node>,
event_id: "<B's node>:7"`` on its own topic: the twin kept the forgery and
dropped B's real event 7, and a forged ``node_health`` for B hid B's silence.
Here the broker enforces the ACLs ``citytwin mqtt-acl`` generates, and the
bridge logs in as its own user.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloud.security.mqtt_acl import BRIDGE_USER
from cloud.twin.twin import Twin
from contract.site import CameraSpec, SiteSpec
from tests.cloud.ingest_support import MakeIngest, camera_list
from tests.security.pipeline import Pipeline, legacy_lake_file, make_ingest, pipeline, valid, wire  # noqa: F401
from tests.support.acl_broker import acl_broker

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt]

SITE = SiteSpec(id="campus", name="Campus", width_m=100, height_m=100)
CAMERAS = [CameraSpec(id=c, map={"x_m": 1, "y_m": 1}) for c in ("cam-a", "cam-b")]  # type: ignore[arg-type]
A, B = "campus-cam-a", "campus-cam-b"


def _json(doc: dict[str, object]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def test_a_forged_event_for_another_node_is_dead_lettered_and_the_real_one_reaches_the_twin(
    tmp_path: Path, make_ingest: MakeIngest, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    with acl_broker(tmp_path / "mqtt", SITE, CAMERAS) as (port, passwords):
        monkeypatch.setenv("CITYTWIN_TEST_BRIDGE_PASSWORD", passwords[BRIDGE_USER])
        mqtt = {"host": "127.0.0.1", "port": port, "username": BRIDGE_USER, "password_env": "CITYTWIN_TEST_BRIDGE_PASSWORD"}
        setup = make_ingest(top={"mqtt": mqtt, "cameras": camera_list(["cam-a", "cam-b"])}, bridge={"topic_prefix": "citytwin"})
        running = Pipeline(setup, ("127.0.0.1", port)).start()
        try:
            forged = [
                ("citytwin/campus/cam-a/events/line_crossing",
                 _json(wire("cam-a", 7, node=B, body={"direction": "out", "track_id": 666}))),
                ("citytwin/campus/cam-a/events/node_health", _json(wire("cam-a", 8, kind="node_health", node=B))),
            ]
            # On B's own topic the broker drops it: A's credentials may not publish there.
            across = [("citytwin/campus/cam-b/events/node_health", _json(wire("cam-b", 9, kind="node_health")))]
            own = [("citytwin/campus/cam-a/events/line_crossing", valid("cam-a", 1).to_json())]
            running.publish(forged + across + own, login=(A, passwords[A]))
            real = valid("cam-b", 7)
            running.publish([("citytwin/campus/cam-b/events/line_crossing", real.to_json())], login=(B, passwords[B]))

            letters = running.dead_letters(2)
            assert sorted(dl.raw for dl in letters) == sorted(payload for _, payload in forged)
            for letter in letters:
                assert letter.error == "identity", letter
                assert f"node '{B}' may not speak for camera cam-a: its node is {A}" in letter.reason
            expected = {real.event_id, f"{A}:1"}
            assert running.wait_for_lake(expected) >= expected, running.logs()
            with running.twin() as twin:
                rows = twin.query("SELECT camera, node, seq, type, body FROM events ORDER BY node, seq").rows
        finally:
            running.stop()
    assert [(c, n, s, t) for c, n, s, t, _ in rows] == [("cam-a", A, 1, "line_crossing"), ("cam-b", B, 7, "line_crossing")]
    assert json.loads(rows[1][4])["direction"] == "in", "B's event 7 must be B's own"


def test_events_of_a_site_or_camera_the_deployment_does_not_list_are_dead_lettered(pipeline: Pipeline) -> None:  # noqa: F811
    strangers = [
        (pipeline.topic("cam-1", site="bench1764"), _json(wire("cam-1", 1, site="bench1764"))),
        (pipeline.topic("cam-99"), _json(wire("cam-99", 1))),
    ]
    listed = valid("cam-1", 1)
    pipeline.publish([*strangers, (pipeline.topic("cam-1"), listed.to_json())])
    letters = pipeline.dead_letters(2)
    assert sorted(dl.raw for dl in letters) == sorted(payload for _, payload in strangers)
    assert {dl.error for dl in letters} == {"unknown_source"}
    reasons = " | ".join(sorted(dl.reason for dl in letters))
    assert "site 'bench1764' is not this deployment's site (campus)" in reasons
    assert "camera 'cam-99' is not one of site campus's cameras" in reasons
    assert pipeline.wait_for_lake({listed.event_id}) == {listed.event_id}, pipeline.logs()


def test_a_forgery_already_in_the_lake_cannot_shadow_the_real_event(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    twin = Twin(lake, SITE, CAMERAS)
    try:
        legacy_lake_file(lake, 0, [wire("cam-a", 7, node=B, body={"direction": "out"})])  # the forgery came first
        twin.refresh()
        legacy_lake_file(lake, 1, [wire("cam-b", 7)])
        twin.refresh()
        rows = twin.query("SELECT camera, node, seq FROM events WHERE camera = 'cam-b'").rows
    finally:
        twin.close()
    assert rows == [("cam-b", B, 7)], "B's real event 7 must stay in the twin"
