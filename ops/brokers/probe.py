#!/usr/bin/env python3
"""Socket probes for the broker scripts (standard library only).

    probe.py port-free HOST PORT        exit 0 if free; else print the owner, exit 1
    probe.py kafka-ready HOST PORT      exit 0 if the broker answers a Metadata request
                                        and lists at least one live broker
    probe.py mqtt-ready HOST PORT       exit 0 if the broker accepts an MQTT CONNECT

These run before any virtualenv exists, so they speak the wire protocols
directly instead of using kafka-python or paho-mqtt.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import sys
from pathlib import Path

TIMEOUT_S = 2.0


def _socket_inodes(port: int) -> set[str]:
    """Inodes of TCP sockets bound to PORT, from /proc/net/tcp{,6}."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            # 0A = LISTEN, 07 = CLOSE (bound but not listening).
            if local_port == port and fields[3] in ("0A", "07") and fields[9] != "0":
                inodes.add(fields[9])
    return inodes


def port_owner(port: int) -> str:
    """Describe the process holding PORT, as well as /proc lets us see it."""
    targets = {f"socket:[{inode}]" for inode in _socket_inodes(port)}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in targets:
                    raw = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
                    cmd = " ".join(raw.decode(errors="replace").split())
                    return f"pid {proc.name} ({cmd[:120]})"
        except OSError:
            continue
    return "another process (not visible to this user)"


def port_free(host: str, port: int) -> int:
    # SO_REUSEADDR as the brokers use it: TIME_WAIT leftovers do not count as taken.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                print(port_owner(port))
                return 1
            raise
    return 0


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return buf


def kafka_ready(host: str, port: int) -> int:
    """Send Metadata v4 (no topics) and check that a live broker is listed.

    A KRaft broker lists itself only once it is registered and unfenced, so
    this is a real readiness check, not just an open port.
    """
    client_id = b"citytwin-probe"
    correlation_id = 7
    body = struct.pack(">i", 0) + b"\x00"  # topics: empty array; allow_auto_topic_creation: false
    header = struct.pack(">hhih", 3, 4, correlation_id, len(client_id)) + client_id
    request = header + body
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            payload = _recv_exact(sock, size)
    except (OSError, ConnectionError) as exc:
        print(f"not ready: {exc}")
        return 1
    got_id, _throttle, broker_count = struct.unpack(">iii", payload[:12])
    if got_id != correlation_id:
        print(f"not ready: unexpected correlation id {got_id}")
        return 1
    if broker_count < 1:
        print("not ready: no live broker registered yet")
        return 1
    print(f"ready: {broker_count} broker(s)")
    return 0


def mqtt_ready(host: str, port: int) -> int:
    """MQTT 3.1.1 CONNECT with a clean session; ready when CONNACK says accepted."""
    client_id = f"citytwin-probe-{os.getpid()}".encode()
    variable = b"\x00\x04MQTT" + b"\x04" + b"\x02" + struct.pack(">H", 5)
    payload = struct.pack(">H", len(client_id)) + client_id
    remaining = len(variable) + len(payload)
    connect = b"\x10" + bytes([remaining]) + variable + payload
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S) as sock:
            sock.sendall(connect)
            connack = _recv_exact(sock, 4)
            sock.sendall(b"\xe0\x00")  # DISCONNECT
    except (OSError, ConnectionError) as exc:
        print(f"not ready: {exc}")
        return 1
    if connack[0] != 0x20 or connack[3] != 0:
        print(f"not ready: CONNACK {connack.hex()}")
        return 1
    print("ready")
    return 0


def main(argv: list[str]) -> int:
    commands = {"port-free": port_free, "kafka-ready": kafka_ready, "mqtt-ready": mqtt_ready}
    if len(argv) != 3 or argv[0] not in commands or not argv[2].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1], int(argv[2]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
