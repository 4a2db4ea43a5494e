"""A live Mosquitto that enforces the credentials and ACL ``citytwin mqtt-acl`` generates."""

from __future__ import annotations

import getpass
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cloud.security.mqtt_acl import accounts, write_files
from contract.site import CameraSpec, SiteSpec


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def acl_broker(
    folder: Path, site: SiteSpec, cameras: list[CameraSpec], nodes: dict[str, str] | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Mosquitto on a free loopback port with the generated passwd and acl; yields (port, user -> password)."""
    passwords = write_files(folder / "secure", site, accounts(site, cameras, nodes or {}))
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        # Mosquitto drops root privileges unless told otherwise; the secrets are mode 600.
        f"user {getpass.getuser()}\nlistener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {folder / 'secure' / 'passwd'}\nacl_file {folder / 'secure' / 'acl'}\n"
    )
    broker = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if broker.poll() is not None:
                pytest.fail(f"mosquitto with the generated ACL did not start: {broker.stderr.read() if broker.stderr else ''}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port, passwords
    finally:
        broker.terminate()
        broker.wait(10)
