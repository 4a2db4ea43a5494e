"""ACL test against a live Mosquitto: camera A's credentials cannot publish under camera B."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.security.mqtt_acl import BRIDGE_USER, accounts, render_acl, write_files
from contract.site import CameraSpec, SiteSpec
from tests.support.acl_broker import acl_broker
from tests.support.mqtt import Recorder

pytestmark = pytest.mark.mqtt

SITE = SiteSpec(id="acl", name="ACL test", width_m=10, height_m=10)
CAMERAS = [CameraSpec(id=c, map={"x_m": 0, "y_m": 0}) for c in ("cam-a", "cam-b")]  # type: ignore[arg-type]


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with acl_broker(tmp_path, SITE, CAMERAS) as running:
        yield running


def client(port: int, user: str, password: str) -> mqtt.Client:
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"{user}-{time.monotonic_ns()}")
    c.username_pw_set(user, password)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def test_render_acl_grants_only_the_own_prefix() -> None:
    acl = render_acl(SITE, accounts(SITE, CAMERAS, {}))
    block = acl.split("user acl-cam-a\n")[1].split("\n\n")[0]
    assert block.splitlines() == ["topic write citytwin/acl/cam-a/events/#", "topic readwrite citytwin/acl/cam-a/status"]


def test_a_node_cannot_publish_under_another_camera(secure_broker: tuple[int, dict[str, str]]) -> None:
    port, passwords = secure_broker
    bridge = Recorder("127.0.0.1", port, ["citytwin/acl/+/events/#"])
    bridge.client.username_pw_set(BRIDGE_USER, passwords[BRIDGE_USER])
    bridge.start()
    node_a = client(port, "acl-cam-a", passwords["acl-cam-a"])
    try:
        node_a.publish("citytwin/acl/cam-b/events/count", b"forged", qos=1).wait_for_publish(5)
        node_a.publish("citytwin/acl/cam-a/events/count", b"own", qos=1).wait_for_publish(5)
        got = bridge.wait_for(lambda m: any(x.payload == b"own" for x in m), timeout=10)
        time.sleep(0.5)
        got = bridge.snapshot()
    finally:
        node_a.loop_stop()
        node_a.disconnect()
        bridge.stop()
    assert [m.payload for m in got] == [b"own"]


def test_wrong_password_is_refused(secure_broker: tuple[int, dict[str, str]]) -> None:
    port, _ = secure_broker
    refused: list[object] = []
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="intruder")
    c.username_pw_set("acl-cam-a", "guess")
    c.on_connect = lambda _c, _u, _f, reason, _p: refused.append(reason)
    c.connect("127.0.0.1", port)
    c.loop_start()
    deadline = time.monotonic() + 5
    while not refused and time.monotonic() < deadline:
        time.sleep(0.05)
    c.loop_stop()
    assert refused and refused[0].is_failure  # type: ignore[attr-defined]


def test_passwords_survive_regeneration(tmp_path: Path) -> None:
    nodes = accounts(SITE, CAMERAS, {})
    first = write_files(tmp_path, SITE, nodes)
    second = write_files(tmp_path, SITE, nodes)
    assert first == second
    assert oct((tmp_path / "credentials.env").stat().st_mode & 0o777) == "0o600"
