"""The few MQTT 5 packets a subscriber needs, encoded and decoded in bulk (OASIS MQTT 5.0, chapter 3).

The bridge receives tens of thousands of QoS 1 messages a second. A general
client spends most of its time per packet (several socket reads, property
objects, a callback chain); this codec instead splits every complete packet
out of one large read and skips the properties a subscriber does not use.
Only what a subscriber sends is encoded: CONNECT, SUBSCRIBE, PUBACK, PINGREQ
and DISCONNECT.

Example:
    >>> buffer = bytearray(publish(b"a/b", b"hi", packet_id=7) + PINGRESP)
    >>> packets = split(buffer)
    >>> parse_publish(*packets[0])
    ('a/b', 7, 1, b'hi')
    >>> packets[1][0] == PINGRESP[0], bytes(buffer)
    (True, b'')
"""

from __future__ import annotations

import struct

from citytwin.errors import CitytwinError

CONNACK = 0x20
PUBLISH = 0x30
SUBACK = 0x90
PINGRESP_TYPE = 0xD0
DISCONNECT_TYPE = 0xE0

PINGREQ = b"\xc0\x00"
PINGRESP = b"\xd0\x00"
DISCONNECT = b"\xe0\x00"

_PROP_SESSION_EXPIRY = 0x11
_PROP_RECEIVE_MAXIMUM = 0x21
_PROP_SERVER_KEEP_ALIVE = 0x13
_PUBACK = struct.Struct(">BBH")


class ProtocolError(CitytwinError, ValueError):
    """The broker sent something this client cannot accept; the connection must be dropped."""


def varint(value: int) -> bytes:
    """MQTT variable byte integer."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varint(data: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    """(value, next position), or None when ``data`` ends inside the integer."""
    value = shift = 0
    for i in range(pos, min(pos + 4, len(data))):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i + 1
        shift += 7
    if len(data) - pos >= 4:
        raise ProtocolError("malformed remaining length")
    return None


def _string(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def _packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + varint(len(body)) + body


def connect(
    client_id: str,
    keepalive_s: int,
    clean_start: bool,
    session_expiry_s: int,
    receive_maximum: int,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    """CONNECT with session expiry and receive maximum."""
    flags = (0x02 if clean_start else 0) | (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    props = struct.pack(">BI", _PROP_SESSION_EXPIRY, session_expiry_s) + struct.pack(">BH", _PROP_RECEIVE_MAXIMUM, receive_maximum)
    body = _string("MQTT") + bytes([5, flags]) + struct.pack(">H", keepalive_s) + varint(len(props)) + props
    body += _string(client_id)
    if username is not None:
        body += _string(username)
    if password is not None:
        body += _string(password)
    return _packet(0x10, body)


def subscribe(packet_id: int, filters: list[str], qos: int = 1) -> bytes:
    """SUBSCRIBE to ``filters`` at ``qos``, without properties."""
    body = struct.pack(">H", packet_id) + varint(0)
    for topic_filter in filters:
        body += _string(topic_filter) + bytes([qos])
    return _packet(0x82, body)


def puback(packet_id: int) -> bytes:
    """PUBACK with the implied reason 'success'."""
    return _PUBACK.pack(0x40, 2, packet_id)


def publish(topic: bytes, payload: bytes, packet_id: int | None = None) -> bytes:
    """PUBLISH at QoS 1 (with ``packet_id``) or 0; used by tests to feed the decoder."""
    qos = 0 if packet_id is None else 1
    body = struct.pack(">H", len(topic)) + topic + (struct.pack(">H", packet_id) if qos else b"") + varint(0) + payload
    return _packet(PUBLISH | (qos << 1), body)


def split(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Remove every complete packet from the front of ``buffer``; returns (first byte, body) pairs."""
    packets = []
    pos = 0
    end = len(buffer)
    with memoryview(buffer) as view:  # one copy per body instead of two
        while pos + 2 <= end:
            # Lengths below 16 KiB take one or two bytes: decoded here, without a call.
            length = buffer[pos + 1]
            if length < 0x80:
                start = pos + 2
            elif pos + 3 <= end and buffer[pos + 2] < 0x80:
                length = (length & 0x7F) | (buffer[pos + 2] << 7)
                start = pos + 3
            else:
                header = _read_varint(buffer, pos + 1)
                if header is None:
                    break
                length, start = header
            if start + length > end:
                break
            packets.append((buffer[pos], bytes(view[start : start + length])))
            pos = start + length
    del buffer[:pos]
    return packets


def parse_publish(first_byte: int, body: bytes) -> tuple[str, int, int, bytes]:
    """(topic, packet id or 0, QoS, payload) of a PUBLISH; properties are skipped."""
    qos = (first_byte >> 1) & 0x03
    topic_end = 2 + int.from_bytes(body[0:2], "big")
    pos = topic_end
    packet_id = 0
    if qos:
        packet_id = int.from_bytes(body[pos : pos + 2], "big")
        pos += 2
    if topic_end > len(body):
        raise ProtocolError("truncated PUBLISH")
    if pos < len(body) and body[pos] == 0:  # no properties: what a plain publisher sends
        payload_start = pos + 1
    else:
        props = _read_varint(body, pos)
        if props is None:
            raise ProtocolError("truncated PUBLISH")
        payload_start = props[1] + props[0]
    return body[2:topic_end].decode("utf-8", "backslashreplace"), packet_id, qos, body[payload_start:]


def parse_connack(body: bytes) -> tuple[bool, int, int | None]:
    """(session present, reason code, server keep-alive if the broker set one)."""
    if len(body) < 2:
        raise ProtocolError("truncated CONNACK")
    keepalive = None
    props = _read_varint(body, 2)
    if props is not None:
        length, pos = props
        end = pos + length
        while pos < end:
            ident = body[pos]
            if ident == _PROP_SERVER_KEEP_ALIVE:
                keepalive = int.from_bytes(body[pos + 1 : pos + 3], "big")
            pos = _skip_property(body, pos)
    return bool(body[0] & 0x01), body[1], keepalive


def _skip_property(body: bytes, pos: int) -> int:
    """Position after the CONNACK property starting at ``pos``."""
    ident = body[pos]
    pos += 1
    if ident in (0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A):  # byte
        return pos + 1
    if ident in (0x13, 0x21, 0x22):  # two-byte integer
        return pos + 2
    if ident in (0x11, 0x27):  # four-byte integer
        return pos + 4
    if ident in (0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F):  # string or binary data
        return pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
    if ident == 0x26:  # user property: a string pair
        pos += 2 + int.from_bytes(body[pos : pos + 2], "big")
        return pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
    raise ProtocolError(f"unknown CONNACK property 0x{ident:02x}")


def parse_suback(body: bytes) -> tuple[int, list[int]]:
    """(packet id, one reason code per filter) of a SUBACK."""
    props = _read_varint(body, 2)
    if props is None:
        raise ProtocolError("truncated SUBACK")
    return int.from_bytes(body[0:2], "big"), list(body[props[1] + props[0] :])
