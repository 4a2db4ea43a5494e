"""The MQTT 5 codec: packets split out of a byte stream however it is cut, and the fields a subscriber needs."""

from __future__ import annotations

import struct

import pytest

from cloud.bridge import mqtt5


@pytest.mark.parametrize(("value", "encoded"), [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (16_383, b"\xff\x7f"),
                                                 (2_097_152, b"\x80\x80\x80\x01"), (268_435_455, b"\xff\xff\xff\x7f")])
def test_variable_byte_integers(value: int, encoded: bytes) -> None:
    assert mqtt5.varint(value) == encoded


def test_packets_are_split_out_of_any_chunking() -> None:
    stream = b"".join(mqtt5.publish(f"t/{n}".encode(), b"x" * n * 50, packet_id=n + 1) for n in range(40)) + mqtt5.PINGRESP
    for chunk in (1, 2, 7, 300, len(stream)):
        buffer = bytearray()
        packets = []
        for start in range(0, len(stream), chunk):
            buffer += stream[start : start + chunk]
            packets.extend(mqtt5.split(buffer))
        assert not buffer
        assert len(packets) == 41
        assert [mqtt5.parse_publish(*p)[1] for p in packets[:40]] == list(range(1, 41))
        assert mqtt5.parse_publish(*packets[39]) == ("t/39", 40, 1, b"x" * 1950)


def test_publish_properties_are_skipped_and_qos0_has_no_packet_id() -> None:
    props = b"\x01\x01" + b"\x03" + struct.pack(">H", 16) + b"application/json"  # payload format, content type
    body = struct.pack(">H", 3) + b"a/b" + struct.pack(">H", 9) + mqtt5.varint(len(props)) + props + b"payload"
    assert mqtt5.parse_publish(0x32, body) == ("a/b", 9, 1, b"payload")
    assert mqtt5.parse_publish(*mqtt5.split(bytearray(mqtt5.publish(b"q", b"zero")))[0]) == ("q", 0, 0, b"zero")


def test_connect_carries_session_expiry_receive_maximum_and_credentials() -> None:
    packet = mqtt5.connect("bridge-1", 30, False, 86_400, 2000, "user", "secret")
    assert packet[0] == 0x10
    assert b"\x00\x04MQTT\x05\xc0\x00\x1e" in packet  # version 5, username+password, no clean start, keep-alive 30
    assert b"\x11\x00\x01\x51\x80" in packet and b"\x21\x07\xd0" in packet
    assert packet.endswith(b"\x00\x08bridge-1\x00\x04user\x00\x06secret")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\x01\x00\x00", (True, 0, None)),
        (b"\x00\x87\x00", (False, 0x87, None)),
        (b"\x00\x00\x08\x13\x00\x3c\x21\x00\x14\x24\x01", (False, 0, 60)),  # server keep-alive, receive max, max QoS
    ],
)
def test_connack(body: bytes, expected: tuple[bool, int, int | None]) -> None:
    assert mqtt5.parse_connack(body) == expected


def test_subscribe_and_suback() -> None:
    packet = mqtt5.subscribe(1, ["$share/g/citytwin/+/+/events/#"])
    assert packet[0] == 0x82 and packet.endswith(b"$share/g/citytwin/+/+/events/#\x01")
    assert mqtt5.parse_suback(b"\x00\x01\x00\x01\x80") == (1, [1, 0x80])


def test_puback_and_malformed_lengths() -> None:
    assert mqtt5.puback(258) == b"\x40\x02\x01\x02"
    with pytest.raises(mqtt5.ProtocolError):
        mqtt5.split(bytearray(b"\x30\xff\xff\xff\xff\x01"))
