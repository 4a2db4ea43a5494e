"""The demo's set-up step (ops/demo/setup.sh): logins for everyone, brokers that admit only them, run it twice.

The step runs as ``make demo`` runs it, on a run folder of its own, with a
umask of 0 and a ``chmod`` that does nothing, so every file it leaves behind
must have been private from its first byte. Its Mosquitto config then runs
for real and is probed with each service's own credentials.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from citytwin import secretfile
from citytwin.deployment import load
from citytwin.paths import REPO_ROOT
from tests.support.brokers import MqttBroker
from tests.support.mqtt import Recorder

SETUP = REPO_ROOT / "ops" / "demo" / "setup.sh"
SITE = REPO_ROOT / "deploy" / "demo-site.yaml"
CLOUD_SERVICES = ("bridge", "sink", "rules", "cockpit", "ops")
EDGE_NODES = {"edge-cam-1": "campus-cam-1", "edge-cam-2": "campus-cam-2", "edge-cam-3": "campus-cam-3"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Demo:
    run: Path
    env: dict[str, str]

    @property
    def secrets(self) -> Path:
        return self.run / "demo" / "secrets"

    def logins(self, service: str) -> dict[str, str]:
        return secretfile.read_env(self.secrets / "services" / service / "credentials.env")

    def setup(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SETUP)], env=self.env, capture_output=True, text=True, timeout=300, check=False, umask=0)


def fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    return {str(p.relative_to(folder)): (p.stat().st_mode & 0o777, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    tmp = tmp_path_factory.mktemp("demo")
    stub = tmp / "bin"
    stub.mkdir()
    (stub / "chmod").write_text("#!/bin/sh\nexit 0\n")  # nothing may depend on narrowing a file afterwards
    (stub / "chmod").chmod(0o755)
    env = {**os.environ, "PATH": f"{stub}{os.pathsep}{os.environ['PATH']}", "CITYTWIN_RUN": str(tmp / "run"),
           "CITYTWIN_MQTT_PORT": str(free_port()), "CITYTWIN_KAFKA_PORT": str(free_port()),
           "CITYTWIN_KAFKA_CONTROLLER_PORT": str(free_port())}
    demo = Demo(tmp / "run", env)
    done = demo.setup()
    assert done.returncode == 0, done.stdout + done.stderr
    return demo


def test_every_file_it_writes_is_private(demo: Demo) -> None:
    written = fingerprint(demo.run)
    secret = [name for name in written if name.startswith("demo/")]
    assert {"demo/operator.password", "demo/users.yaml", "demo/secrets/kafka/scram-users",
            "demo/secrets/mosquitto/passwd", "demo/secrets/mosquitto/acl"} <= set(secret)
    assert {name: mode for name, (mode, _) in written.items()} == {name: 0o600 for name in written}


def test_each_service_and_node_has_logins_of_its_own(demo: Demo) -> None:
    logins = {name: demo.logins(name) for name in (*CLOUD_SERVICES, *EDGE_NODES)}
    mqtt_users = {name: env.get("CITYTWIN_CFG__MQTT__USERNAME") for name, env in logins.items()}
    kafka_users = {name: env.get("CITYTWIN_CFG__KAFKA__SASL__USERNAME") for name, env in logins.items()}
    assert mqtt_users == {"bridge": "citytwin-bridge", "sink": None, "rules": "citytwin-rules", "cockpit": None, "ops": None,
                          **EDGE_NODES}
    assert kafka_users == {**{name: f"citytwin-{name}" for name in CLOUD_SERVICES}, **dict.fromkeys(EDGE_NODES)}
    passwords = [v for env in logins.values() for k, v in env.items() if k.endswith("_PASSWORD")]
    assert len(passwords) == len(set(passwords)) == 10, "every login (5 MQTT, 5 Kafka) has a password of its own"
    assert all(len(p) >= 32 for p in passwords)
    # The password variables are the ones the deployment file names.
    cfg = load(SITE, environ={})
    assert cfg.kafka.sasl is not None
    assert set(logins["bridge"]) == {"CITYTWIN_CFG__MQTT__USERNAME", cfg.mqtt.password_env,
                                     "CITYTWIN_CFG__KAFKA__SASL__USERNAME", cfg.kafka.sasl.password_env}


def test_the_brokers_are_configured_to_admit_only_those_logins(demo: Demo) -> None:
    mosquitto = (demo.run / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    assert "allow_anonymous false" in mosquitto and "allow_anonymous true" not in mosquitto
    assert f"password_file {demo.secrets / 'mosquitto' / 'passwd'}" in mosquitto
    assert f"acl_file {demo.secrets / 'mosquitto' / 'acl'}" in mosquitto
    kafka = dict(line.split("=", 1) for line in (demo.run / "kafka" / "server.properties").read_text().splitlines()
                 if "=" in line and not line.startswith("#"))
    port = demo.env["CITYTWIN_KAFKA_PORT"]
    assert kafka["listeners"].split(",")[0] == f"SASL_PLAINTEXT://127.0.0.1:{port}"
    assert "PLAINTEXT:PLAINTEXT" not in kafka["listener.security.protocol.map"].replace("SASL_PLAINTEXT:SASL_PLAINTEXT", "")
    assert (kafka["sasl.enabled.mechanisms"], kafka["inter.broker.listener.name"]) == ("SCRAM-SHA-512", "SASL_PLAINTEXT")
    names = {line.split("=", 1)[0] for line in (demo.secrets / "kafka" / "scram-users").read_text().splitlines()}
    assert names == {"kafka-broker", *(f"citytwin-{name}" for name in CLOUD_SERVICES)}


def test_a_second_run_changes_nothing(demo: Demo) -> None:
    before = fingerprint(demo.run)
    done = demo.setup()
    assert done.returncode == 0, done.stdout + done.stderr
    assert fingerprint(demo.run) == before


@pytest.fixture(scope="module")
def mosquitto(demo: Demo) -> Iterator[int]:
    """The demo's Mosquitto, started by ops/brokers/mosquitto.sh with the set-up step's logins and ACL."""
    port = int(demo.env["CITYTWIN_MQTT_PORT"])
    broker = MqttBroker(host="127.0.0.1", port=port, run_dir=demo.run,
                        settings=(("CITYTWIN_MQTT_AUTH_DIR", str(demo.secrets / "mosquitto")),))
    broker.start()
    try:
        yield port
    finally:
        broker.stop()


def connect(port: int, logins: dict[str, str] | None, client_id: str) -> tuple[mqtt.Client, list[object]]:
    """A paho client logged in as the deployment file and a service's logins say; returns it and its CONNACK reasons."""
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id)
    reasons: list[object] = []
    client.on_connect = lambda _c, _u, _f, reason, _p: reasons.append(reason)
    if logins is not None:
        settings = load(SITE, environ={**os.environ, **logins}).mqtt  # the user name comes from the service's file
        client.username_pw_set(settings.username, logins[settings.password_env])
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.monotonic() + 5
    while not reasons and time.monotonic() < deadline:
        time.sleep(0.02)
    return client, reasons


def test_anonymous_clients_are_refused(mosquitto: int) -> None:
    client, reasons = connect(mosquitto, None, "anonymous")
    client.loop_stop()
    assert reasons and reasons[0].is_failure  # type: ignore[attr-defined]


def test_each_login_reaches_only_its_own_topics(demo: Demo, mosquitto: int) -> None:
    bridge = Recorder("127.0.0.1", mosquitto, ["citytwin/campus/+/events/#"])
    user, password = demo.logins("bridge")["CITYTWIN_CFG__MQTT__USERNAME"], demo.logins("bridge")["CITYTWIN_MQTT_PASSWORD"]
    bridge.client.username_pw_set(user, password)
    bridge.start()
    clients = []
    try:
        for service, topic, payload in [
            ("edge-cam-1", "citytwin/campus/cam-1/events/count", b"own"),
            ("edge-cam-1", "citytwin/campus/cam-2/events/count", b"forged by cam-1"),
            ("rules", "citytwin/campus/cam-1/events/count", b"forged by rules"),
            ("bridge", "citytwin/campus/cam-1/events/count", b"forged by the bridge"),
        ]:
            client, reasons = connect(mosquitto, demo.logins(service), f"{service}-{time.monotonic_ns()}")
            clients.append(client)
            assert reasons and not reasons[0].is_failure, f"{service} could not log in"  # type: ignore[attr-defined]
            client.publish(topic, payload, qos=1).wait_for_publish(5)
        bridge.wait_for(lambda got: any(m.payload == b"own" for m in got), timeout=10)
        time.sleep(0.5)
        got = [m.payload for m in bridge.snapshot()]
    finally:
        for client in clients:
            client.loop_stop()
            client.disconnect()
        bridge.stop()
    assert got == [b"own"]
