"""MQTT over TLS against a live Mosquitto with only a TLS listener: edge publisher -> broker -> bridge source."""

from __future__ import annotations

import getpass
import logging
import time
from pathlib import Path

import pytest

from cloud.bridge.consume import MqttSource, Ticket
from cloud.bridge.settings import BridgeSettings
from cloud.security.mqtt_acl import BRIDGE_USER, accounts, render_conf, write_files
from contract.broker import MqttConnection, MqttTls as BridgeTls
from contract.broker import MqttTls as EdgeTls
from contract.site import CameraSpec, SiteSpec
from edge.publish.mqtt import MqttPublisher
from edge.publish.settings import MqttPublisherConfig
from tests.support.tls import Certs, free_port, mosquitto_tls, running, wait_for_port

pytestmark = pytest.mark.mqtt

TOPIC = "citytwin/tls/cam-1/events/count"


class Received:
    """The bridge source's messages, acknowledged at once."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    def __call__(self, topic: str, payload: bytes, ticket: Ticket) -> None:
        self.messages.append((topic, payload))
        ticket.done = True


def bridge_source(port: int, tls: BridgeTls, received: Received, **settings: str) -> MqttSource:
    mqtt = MqttConnection(host="127.0.0.1", port=port, tls=tls, **settings)  # type: ignore[arg-type]
    return MqttSource(mqtt, BridgeSettings(), f"tls-bridge-{time.monotonic_ns()}", received)


def publisher(tmp_path: Path, port: int, tls: EdgeTls, **settings: str) -> MqttPublisher:
    config = MqttPublisherConfig(host="127.0.0.1", port=port, tls=tls, spool_dir=tmp_path / "spool", **settings)  # type: ignore[arg-type]
    return MqttPublisher(config, site="tls", camera="cam-1", node="tls-cam-1")


def flow(source: MqttSource, received: Received, edge: MqttPublisher) -> list[tuple[str, bytes]]:
    """Subscribe with the bridge's source, publish one event from the edge, return what arrived."""
    source._connect()  # raises, rather than retrying, if TLS fails
    edge.start()
    try:
        edge.publish(TOPIC, b'{"over": "tls"}')
        deadline = time.monotonic() + 15
        while (TOPIC, b'{"over": "tls"}') not in received.messages and time.monotonic() < deadline:
            source.step(0.1)
            source.ack_ready()
    finally:
        edge.stop(drain_timeout=2)
        source.stop()
    return received.messages


def test_event_flows_from_edge_to_bridge_over_tls(tmp_path: Path, certs: Certs) -> None:
    received = Received()
    with mosquitto_tls(tmp_path, certs) as port:
        messages = flow(bridge_source(port, BridgeTls(ca_file=certs.ca), received), received,
                        publisher(tmp_path, port, EdgeTls(ca_file=certs.ca)))
    assert (TOPIC, b'{"over": "tls"}') in messages


def test_event_flows_with_client_certificates_when_the_broker_requires_them(tmp_path: Path, certs: Certs) -> None:
    edge_tls = EdgeTls(ca_file=certs.ca, cert_file=certs.client_cert, key_file=certs.client_key)
    bridge_tls = BridgeTls(ca_file=certs.ca, cert_file=certs.client_cert, key_file=certs.client_key)
    received = Received()
    with mosquitto_tls(tmp_path, certs, require_certificate=True) as port:
        messages = flow(bridge_source(port, bridge_tls, received), received, publisher(tmp_path, port, edge_tls))
    assert (TOPIC, b'{"over": "tls"}') in messages


def test_bridge_without_a_client_certificate_is_refused(tmp_path: Path, certs: Certs) -> None:
    with mosquitto_tls(tmp_path, certs, require_certificate=True) as port:
        source = bridge_source(port, BridgeTls(ca_file=certs.ca), Received())
        # TLS 1.3 reports the missing certificate only after the handshake, at the first read.
        with pytest.raises(ConnectionError, match=r"TLS failed during CONNECT.*require_certificate needs cert_file"):
            source._connect()


def test_bridge_without_the_ca_fails_naming_the_setting(tmp_path: Path, certs: Certs) -> None:
    with mosquitto_tls(tmp_path, certs) as port:
        source = bridge_source(port, BridgeTls(), Received())  # the system store does not know the test CA
        with pytest.raises(ConnectionError, match=r"certificate verify failed.*check mqtt\.tls"):
            source._connect()


def test_edge_publisher_without_the_ca_logs_why_and_keeps_the_event(
    tmp_path: Path, certs: Certs, caplog: pytest.LogCaptureFixture
) -> None:
    with mosquitto_tls(tmp_path, certs) as port, caplog.at_level(logging.ERROR, logger="edge.publish.mqtt"):
        edge = publisher(tmp_path, port, EdgeTls()).start()
        try:
            edge.publish(TOPIC, b"{}")
            deadline = time.monotonic() + 10
            while "certificate verify failed" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
            assert edge.pending == 1
        finally:
            edge.stop(drain_timeout=0)
    assert "certificate verify failed" in caplog.text
    assert "check mqtt.tls" in caplog.text
    assert caplog.text.count("cannot connect") == 1  # one line per reason, not one per retry


def test_generated_broker_config_serves_tls_with_passwords_and_acl(
    tmp_path: Path, certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``citytwin mqtt-acl --tls``: its mosquitto.conf runs as written, and edge and bridge log in over TLS."""
    site = SiteSpec(id="tls", name="TLS", width_m=10, height_m=10)
    passwords = write_files(tmp_path / "secure", site, accounts(site, [CameraSpec(id="cam-1", map={"x_m": 0, "y_m": 0})], {}))  # type: ignore[arg-type]
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    # Mosquitto drops root privileges unless told otherwise, and the secrets are mode 600.
    conf.write_text(f"user {getpass.getuser()}\n" + render_conf(tmp_path / "secure", certs.folder, port, require_certificate=True))
    monkeypatch.setenv("EDGE_PW", passwords["tls-cam-1"])
    monkeypatch.setenv("BRIDGE_PW", passwords[BRIDGE_USER])
    mutual = {"ca_file": certs.ca, "cert_file": certs.client_cert, "key_file": certs.client_key}
    received = Received()
    with running(["mosquitto", "-c", str(conf)], tmp_path / "mosquitto.log", "mosquitto") as proc:
        wait_for_port(port, lambda: proc.poll() is None, "mosquitto with the generated config")
        source = bridge_source(port, BridgeTls(**mutual), received, username=BRIDGE_USER, password_env="BRIDGE_PW")
        edge = publisher(tmp_path, port, EdgeTls(**mutual), username="tls-cam-1", password_env="EDGE_PW")
        messages = flow(source, received, edge)
    assert (TOPIC, b'{"over": "tls"}') in messages
