#!/usr/bin/env python3
"""Is an installed edge node healthy? Service state, broker status, last node_health, spool depth.

Run on the device with the node's venv:

    /opt/citytwin/.venv/bin/python /opt/citytwin/hardware/provisioning/healthcheck.py \\
        --config /etc/citytwin/site.yaml --camera cam-1

Prints one line per check and exits 0 when every check passed (or was
skipped because it does not apply here), 1 when one failed, 2 when the
configuration cannot be read. Monitoring (cron, a systemd timer, Nagios)
can run it as is.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from citytwin.deployment import Camera, Deployment, load
from citytwin.errors import ConfigError
from contract.topics import PREFIX, status_topic

State = Literal["OK", "FAIL", "SKIP"]


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    state: State
    detail: str

    def line(self) -> str:
        return f"{self.state:<4}  {self.name:<8} {self.detail}"


def check_service(camera: str, use_systemd: bool) -> Check:
    """``citytwin-edge@CAMERA`` is active under systemd."""
    unit = f"citytwin-edge@{camera}.service"
    systemctl = shutil.which("systemctl")
    if not use_systemd or systemctl is None or not Path("/run/systemd/system").is_dir():
        return Check("service", "SKIP", f"{unit}: systemd is not running here")
    state = subprocess.run([systemctl, "is-active", unit], capture_output=True, text=True, check=False).stdout.strip()
    return Check("service", "OK" if state == "active" else "FAIL", f"{unit} is {state or 'unknown'}")


def check_spool(path: Path, limit: int) -> Check:
    """Events waiting in the node's on-disk buffer; many means the broker has been unreachable."""
    if not path.is_file():
        return Check("spool", "SKIP", f"no spool at {path} (the node has not run on this machine)")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0) as db:
            depth = int(db.execute("SELECT COUNT(*) FROM spool").fetchone()[0])
    except sqlite3.Error as exc:
        return Check("spool", "FAIL", f"cannot read {path}: {exc}")
    state: State = "OK" if depth <= limit else "FAIL"
    return Check("spool", state, f"{depth} events waiting in {path} (limit {limit})")


class _Listener:
    """Waits for the retained status and the next node_health event of one camera."""

    def __init__(self, deployment: Deployment, camera: Camera) -> None:
        site = deployment.site.id
        self.status_topic = status_topic(site, camera.id)
        self.health_topic = f"{PREFIX}/{site}/{camera.id}/events/node_health"
        self.status: dict[str, Any] | None = None
        self.health: dict[str, Any] | None = None
        self.got_health = threading.Event()
        cfg = deployment.mqtt
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, clean_session=True)
        if cfg.username:
            self.client.username_pw_set(cfg.username, os.environ.get(cfg.password_env))
        if cfg.tls:
            self.client.tls_set(
                ca_certs=str(cfg.tls.ca_file) if cfg.tls.ca_file else None,
                certfile=str(cfg.tls.cert_file) if cfg.tls.cert_file else None,
                keyfile=str(cfg.tls.key_file) if cfg.tls.key_file else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        self.client.on_connect = lambda c, *_a: c.subscribe([(self.status_topic, 1), (self.health_topic, 1)])
        self.client.on_message = self._on_message
        self.host, self.port = cfg.host, cfg.port

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            payload = json.loads(message.payload)
        except ValueError:
            return
        if message.topic == self.status_topic:
            self.status = payload
        elif not message.retain:
            self.health = payload
            self.got_health.set()

    def listen(self, timeout_s: float) -> None:
        self.client.connect(self.host, self.port, keepalive=10)
        self.client.loop_start()
        try:
            self.got_health.wait(timeout_s)
        finally:
            self.client.disconnect()
            self.client.loop_stop()


def check_broker(deployment: Deployment, camera: Camera, timeout_s: float) -> list[Check]:
    """The node's retained status is online and a node_health event arrives within ``timeout_s``."""
    listener = _Listener(deployment, camera)
    where = f"{listener.host}:{listener.port}"
    try:
        listener.listen(timeout_s)
    except OSError as exc:
        return [Check("broker", "FAIL", f"cannot reach MQTT broker {where}: {exc}")]
    checks = []
    status = listener.status or {}
    online = status.get("status") == "online"
    checks.append(Check("status", "OK" if online else "FAIL",
                        f"{listener.status_topic}: {status.get('status', 'no status published')} since {status.get('since', '?')}"))
    health = listener.health
    if health is None:
        checks.append(Check("health", "FAIL", f"no node_health on {listener.health_topic} within {timeout_s:.0f} s"))
        return checks
    body = health.get("body", {})
    fps = float(body.get("fps", 0.0))
    detail = (
        f"{health.get('event_id')} at {health.get('ts')}: {fps:.1f} FPS, {body.get('frames')} frames, "
        f"spool {body.get('spool_depth')} waiting / {body.get('spool_dropped')} dropped, "
        f"CPU {body.get('cpu_percent')} %, RSS {body.get('rss_mb')} MiB, temperature {body.get('temperature_c')}"
    )
    state: State = "OK" if fps > 0 and not body.get("spool_dropped") else "FAIL"
    checks.append(Check("health", state, detail))
    return checks


def run_checks(deployment: Deployment, camera_id: str | None, timeout_s: float | None, max_spool: int,
               use_systemd: bool) -> list[Check]:
    """Every check for one camera's node, in the order an operator would look."""
    camera = deployment.camera(camera_id)
    node = deployment.node_id(camera)
    wait = timeout_s if timeout_s is not None else deployment.edge.health_interval_s * 1.5 + 5
    return [
        check_service(camera.id, use_systemd),
        *check_broker(deployment, camera, wait),
        check_spool(deployment.mqtt.spool_dir / f"{node}.sqlite", max_spool),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", "-c", type=Path, default=Path("/etc/citytwin/site.yaml"), help="the site's deployment YAML")
    parser.add_argument("--camera", help="camera id (default: the only one in the config)")
    parser.add_argument("--timeout", type=float, help="seconds to wait for node_health (default: 1.5 x health interval + 5)")
    parser.add_argument("--max-spool", type=int, default=1000, help="spool depth above which the node is unhealthy")
    parser.add_argument("--no-systemd", action="store_true", help="skip the service check (containers, development)")
    args = parser.parse_args(argv)
    try:
        checks = run_checks(load(args.config), args.camera, args.timeout, args.max_spool, not args.no_systemd)
    except ConfigError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 2
    for check in checks:
        print(check.line())
    return 1 if any(c.state == "FAIL" for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
