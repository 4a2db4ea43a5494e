#!/usr/bin/env python3
"""Socket probes for the broker scripts (standard library only).

    probe.py port-free HOST PORT            exit 0 if free; else print the owner, exit 1
    probe.py kafka-ready HOST PORT [CONFIG] exit 0 if the broker answers a Metadata request
                                            and lists at least one live broker; with the
                                            broker's server.properties, log in first as the
                                            broker's own SCRAM user when its listener needs it
    probe.py mqtt-ready HOST PORT           exit 0 if the broker answers an MQTT CONNECT
                                            (accepted, or refused because clients must log in)

These run before any virtualenv exists, so they speak the wire protocols
directly instead of using kafka-python or paho-mqtt.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import os
import re
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


def _kafka_string(value: bytes) -> bytes:
    return struct.pack(">h", len(value)) + value


class KafkaWire:
    """Request/response framing (header v1 requests, v0 responses) on one connection."""

    CLIENT_ID = b"citytwin-probe"

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.correlation_id = 6

    def call(self, api_key: int, version: int, body: bytes) -> bytes:
        self.correlation_id += 1
        request = struct.pack(">hhi", api_key, version, self.correlation_id) + _kafka_string(self.CLIENT_ID) + body
        self.sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _recv_exact(self.sock, 4))
        payload = _recv_exact(self.sock, size)
        (got_id,) = struct.unpack(">i", payload[:4])
        if got_id != self.correlation_id:
            raise ConnectionError(f"unexpected correlation id {got_id}")
        return payload[4:]


def scram_credentials(config: Path) -> tuple[str, str, str] | None:
    """(mechanism, user, password) of the broker's own SCRAM login in its server.properties; None without SASL."""
    text = config.read_text()
    mechanism = re.search(r"^sasl\.mechanism\.inter\.broker\.protocol=(SCRAM-SHA-(?:256|512))$", text, re.M)
    login = re.search(r'^listener\.name\.[a-z_]+\.scram-sha-[0-9]+\.sasl\.jaas\.config=.*'
                      r'username="([^"]+)" password="([^"]+)"', text, re.M)
    if mechanism is None or login is None:
        return None
    return mechanism[1], login[1], login[2]


def _scram_exchange(wire: KafkaWire, mechanism: str, user: str, password: str) -> None:
    """SaslHandshake v1, then the two SaslAuthenticate v0 rounds of SCRAM (RFC 5802); raises if refused."""
    digest = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mechanism]
    reply = wire.call(17, 1, _kafka_string(mechanism.encode()))
    if struct.unpack(">h", reply[:2])[0] != 0:
        raise ConnectionError(f"broker does not enable {mechanism}")

    def authenticate(token: bytes) -> bytes:
        answer = wire.call(36, 0, struct.pack(">i", len(token)) + token)
        (error, size) = struct.unpack(">hh", answer[:4])
        message = answer[4:4 + max(size, 0)].decode(errors="replace")
        if error != 0:
            raise ConnectionError(f"SCRAM login as {user} refused: {message or f'error {error}'}")
        rest = answer[4 + max(size, 0):]
        (length,) = struct.unpack(">i", rest[:4])
        return rest[4:4 + length]

    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user.replace('=', '=3D').replace(',', '=2C')},r={nonce}"
    server_first = authenticate(f"n,,{first_bare}".encode()).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    if not fields.get("r", "").startswith(nonce):
        raise ConnectionError("SCRAM: the broker's nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac(digest, password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.new(digest, client_key).digest(), auth_message, digest).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
    server_final = authenticate(f"{without_proof},p={proof}".encode()).decode()
    server_key = hmac.new(salted, b"Server Key", digest).digest()
    expected = base64.b64encode(hmac.new(server_key, auth_message, digest).digest()).decode()
    if not hmac.compare_digest(server_final, f"v={expected}"):
        raise ConnectionError("SCRAM: the broker's signature is wrong")


def kafka_ready(host: str, port: int, config: Path | None = None) -> int:
    """Send Metadata v4 (no topics), after a SCRAM login if the config asks for one; check a live broker is listed.

    A KRaft broker lists itself only once it is registered and unfenced, so
    this is a real readiness check, not just an open port.
    """
    login = scram_credentials(config) if config is not None and config.is_file() else None
    body = struct.pack(">i", 0) + b"\x00"  # topics: empty array; allow_auto_topic_creation: false
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S) as sock:
            wire = KafkaWire(sock)
            if login is not None:
                _scram_exchange(wire, *login)
            payload = wire.call(3, 4, body)
    except (OSError, ConnectionError, ValueError, KeyError) as exc:
        print(f"not ready: {exc}")
        return 1
    _throttle, broker_count = struct.unpack(">ii", payload[:8])
    if broker_count < 1:
        print("not ready: no live broker registered yet")
        return 1
    print(f"ready: {broker_count} broker(s){' (logged in as ' + login[1] + ')' if login else ''}")
    return 0


def mqtt_ready(host: str, port: int) -> int:
    """MQTT 3.1.1 CONNECT with a clean session; ready when CONNACK accepts it or refuses it for want of a login."""
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
    # 4 (bad user name or password) and 5 (not authorised): the broker is up and wants a login.
    if connack[0] != 0x20 or connack[3] not in (0, 4, 5):
        print(f"not ready: CONNACK {connack.hex()}")
        return 1
    print("ready" if connack[3] == 0 else "ready (anonymous clients refused)")
    return 0


def main(argv: list[str]) -> int:
    commands = {"port-free": port_free, "kafka-ready": kafka_ready, "mqtt-ready": mqtt_ready}
    extra = 1 if argv[:1] == ["kafka-ready"] else 0
    if not 3 <= len(argv) <= 3 + extra or argv[0] not in commands or not argv[2].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    if len(argv) == 4:
        return kafka_ready(argv[1], int(argv[2]), Path(argv[3]))
    return commands[argv[0]](argv[1], int(argv[2]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
