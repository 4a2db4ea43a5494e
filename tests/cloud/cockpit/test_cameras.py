"""Every configured camera is accounted for: its state from its node's reports, listed and counted."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloud.cockpit.app import create_app
from cloud.cockpit import scene
from cloud.cockpit.cameras import STATES, camera_states
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import Users
from edge.events.factory import EventFactory
from tests.cloud.cockpit.fixtures import MakeCockpit
from tests.cloud.cockpit.support import NEVER_STARTED, login, make_cockpit
from tests.support.lakefiles import raw_row, write_rows

NOW = "2026-06-01T12:00:00+00:00"


def _node(camera: str, *, online: bool = True, fps: float = 9.5, synced: bool | None = True, **extra: Any) -> dict[str, Any]:
    return {"site": "city", "camera": camera, "node": f"city-{camera}", "last_seen": NOW, "age_s": 3.0 if online else 900.0,
            "online": online, "fps": fps, "latency_ms": 40.0, "clock_offset_ms": 1.0, "clock_synced": synced, **extra}


def _scene(verdict: str, *flags: str) -> dict[str, Any]:
    return {"scene": verdict, "scene_flags": list(flags) if verdict in ("reliable", "flagged") else None}


CASES = {
    "no report": (None, "never_seen"),
    "fine": (_node("c"), "online"),
    "quiet too long": (_node("c", online=False), "silent"),
    "silent beats a poor scene": (_node("c", online=False, **_scene("flagged", "dark")), "silent"),
    "slow": (_node("c", fps=0.5), "degraded"),
    "clock seconds off": (_node("c", synced=False, clock_offset_ms=-2500.0), "degraded"),
    "unsynced but close": (_node("c", synced=False, clock_offset_ms=3.0), "online"),
    "dark scene": (_node("c", **_scene("flagged", "dark")), "unreliable"),
    "several flags": (_node("c", fps=0.5, **_scene("flagged", "blur", "low_contrast")), "unreliable"),
    "no flag raised": (_node("c", **_scene("reliable")), "online"),
    "scene not judged": (_node("c", **_scene("not_judged")), "online"),
    "scene report of an unknown shape": (_node("c", **_scene("unknown")), "online"),
    "scene field absent": (_node("c"), "online"),
}


@pytest.mark.parametrize(("node", "state"), CASES.values(), ids=CASES.keys())
def test_each_camera_gets_one_state(node: dict[str, Any] | None, state: str) -> None:
    result = camera_states([{"site": "city", "camera": "c", "name": "C"}], [node] if node else [], degraded_fps=2.0)
    (camera,) = result["cameras"]
    assert camera["state"] == state and camera["configured"]
    assert result["counts"] == {s: int(s == state) for s in STATES}
    assert (camera["reasons"] == []) == (state == "online")


def test_the_newest_node_speaks_and_unconfigured_reporters_are_kept() -> None:
    old = _node("a", online=False) | {"last_seen": "2026-05-01T00:00:00+00:00", "node": "old"}
    result = camera_states([{"site": "city", "camera": "a", "name": None}], [old, _node("a"), _node("zz")], 2.0)
    assert [(c["camera"], c["node"], c["state"], c["configured"]) for c in result["cameras"]] == [
        ("a", "city-a", "online", True), ("zz", "city-zz", "online", False)]


_QUALITY = {"brightness": 20.0, "colour": 1.5, "contrast": 30.0, "sharpness": 0.5, "confidence": None,
            "confidence_baseline": None}


def _report(**changes: Any) -> str:
    return json.dumps({**_QUALITY, "flags": ["dark", "blur"], "reliable": False, **changes})


SCENES: dict[str, tuple[str | None, str, tuple[str, ...]]] = {
    # the scene as the twin holds it -> verdict, flags
    "absent": (None, "not_judged", ()),
    "null": ("null", "not_judged", ()),
    "flags raised": (_report(), "flagged", ("dark", "blur")),
    "no flag": (_report(flags=[], reliable=True), "reliable", ()),
    "confidence figures": (_report(confidence=0.4, confidence_baseline=0.7, flags=["confidence_drift"]), "flagged",
                           ("confidence_drift",)),
    # anything the contract does not describe is unknown, whatever it seems to say
    "a verdict string": ('"ok"', "unknown", ()),
    "a flag as a string": ('"dark"', "unknown", ()),
    "a boolean": ("false", "unknown", ()),
    "a list of flags": ('["dark"]', "unknown", ()),
    "another object": ('{"ok": false, "issues": ["blur"]}', "unknown", ()),
    "flags alone": ('{"flags": ["dark"], "reliable": false}', "unknown", ()),
    "an undeclared flag": (_report(flags=["haunted"]), "unknown", ()),
    "six flags": (_report(flags=["dark"] * 6), "unknown", ()),
    "an unknown field": (_report(faces=1), "unknown", ()),
    "reliable despite flags": (_report(reliable=True), "unknown", ()),
    "unreliable without a flag": (_report(flags=[], reliable=False), "unknown", ()),
    "brightness out of range": (_report(brightness=300.0), "unknown", ()),
    "flags not a list": (_report(flags="dark"), "unknown", ()),
    "not JSON": ("[1, 2", "unknown", ()),
    "markup": ("<script>", "unknown", ()),
    "huge": ('"' + "x" * 100_000 + '"', "unknown", ()),
}


@pytest.mark.parametrize(("raw", "verdict", "flags"), SCENES.values(), ids=SCENES.keys())
def test_one_parser_reads_the_contracts_scene_and_calls_anything_else_unknown(
    raw: str | None, verdict: str, flags: tuple[str, ...]
) -> None:
    read = scene.read(raw)
    assert (read.verdict, read.flags) == (verdict, flags)
    fields = read.fields()
    assert fields["scene"] == verdict
    assert fields["scene_flags"] == (list(flags) if verdict in ("reliable", "flagged") else None)
    assert scene.problems(fields) == (list(flags) if verdict == "flagged" else [])


def _health(factory: EventFactory, at: datetime, fps: float) -> Any:
    body = {"fps": fps, "stage_ms": {"infer": 30.0}, "frames": 100, "dropped_frames": 0, "cpu_percent": 50.0,
            "rss_mb": 200.0, "uptime_s": 100.0, "clock_synced": True}
    return factory.make("node_health", at, body)


@pytest.fixture
def watched(cockpit_lake: Path, cockpit_users: Users, tmp_path: Path) -> Iterator[Cockpit]:
    """The test cockpit with a fourth camera that was configured but never started."""
    lake = shutil.copytree(cockpit_lake, tmp_path / "lake")
    cockpit = make_cockpit(lake, tmp_path, cockpit_users, extra=[NEVER_STARTED])
    yield cockpit
    cockpit.twin.close()


def test_every_configured_camera_is_listed_with_its_state(watched: Cockpit) -> None:
    now = datetime.now(timezone.utc)
    for camera, fps in (("cam-0", 9.5), ("cam-1", 0.5)):
        factory = EventFactory(site="city", camera=camera, node=f"city-{camera}", sequence=iter(range(10**6, 10**7)).__next__)
        watched.twin.tail.add(_health(factory, now - timedelta(seconds=2), fps))
    watched.refresh()
    with TestClient(create_app(watched, background_refresh=False)) as client:
        body = client.get("/api/cameras", headers=login(client, "vic")).json()
        live = client.get("/api/live", headers=login(client, "vic")).json()
    states = {c["camera"]: c["state"] for c in body["cameras"]}
    assert states == {"cam-0": "online", "cam-1": "degraded", "cam-2": "silent", "cam-9": "never_seen"}
    assert body["counts"] == {"never_seen": 1, "silent": 1, "unreliable": 0, "degraded": 1, "online": 1}
    assert live["camera_counts"] == body["counts"] and len(live["cameras"]) == 4
    never = next(c for c in body["cameras"] if c["camera"] == "cam-9")
    assert never["name"] == "Never started" and never["node"] is None and never["reasons"]


def test_the_degraded_floor_is_a_setting(cockpits: MakeCockpit) -> None:
    cockpit = cockpits(settings={"degraded_fps": 20})
    factory = EventFactory(site="city", camera="cam-0", node="city-cam-0", sequence=iter(range(10**6, 10**7)).__next__)
    cockpit.twin.tail.add(_health(factory, datetime.now(timezone.utc), 9.5))
    snapshot = cockpit.refresh()
    assert next(c for c in snapshot["cameras"] if c["camera"] == "cam-0")["state"] == "degraded"


def test_a_scene_report_of_another_shape_is_shown_as_unknown_not_guessed(cockpits: MakeCockpit) -> None:
    """A lake may hold health rows from before the contract defined ``scene``: read once, never guessed at."""
    cockpit = cockpits()
    now = datetime.now(timezone.utc)
    health = {"fps": 9.5, "stage_ms": {"infer": 30.0}, "frames": 100, "dropped_frames": 0, "cpu_percent": 50.0,
              "rss_mb": 200.0, "uptime_s": 100.0}
    rows = [raw_row("node_health", "cam-0", 10**6, now, {**health, "scene": {"ok": False, "issues": ["blur"]}}),
            raw_row("node_health", "cam-1", 10**6, now, {**health, "scene": "dark"}),
            raw_row("node_health", "cam-2", 10**6, now, {**health, "scene": json.loads(_report())})]
    write_rows(cockpit.twin.lake, "older-nodes.parquet", rows)
    snapshot = cockpit.refresh()
    seen = {c["camera"]: (c["state"], c["scene"], c["scene_flags"]) for c in snapshot["cameras"]}
    assert seen == {"cam-0": ("online", "unknown", None), "cam-1": ("online", "unknown", None),
                    "cam-2": ("unreliable", "flagged", ["dark", "blur"])}
    assert snapshot["camera_counts"]["unreliable"] == 1
