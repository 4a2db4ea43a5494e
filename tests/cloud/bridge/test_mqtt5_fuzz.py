"""The MQTT 5 decoder under hostile bytes: only ProtocolError, no hang, a bounded buffer.

Whatever a broker (or whoever sits on its connection) sends, the decoder
either hands out packets, waits for more bytes with a buffer no larger than
its packet limit, or raises ``mqtt5.ProtocolError``, which makes the source
drop the connection. Every parser the source dispatches to is driven with the
packets split out of random streams, and with random bodies directly.
"""

from __future__ import annotations

import signal
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.bridge import mqtt5

LIMIT = 512  # small, so that random streams and lengths cross it often
HANG_S = 5.0
FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Hang(Exception):
    """The decoder took longer than any input of this size can justify."""


@contextmanager
def _no_hang(seconds: float = HANG_S) -> Iterator[None]:
    """Fail the example if the block runs longer than ``seconds`` (a loop that never advances)."""

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise Hang(f"the decoder ran for more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _parse(first: int, body: bytes) -> object:
    """What the source does with a packet it split out (``MqttSource._dispatch`` and the handshake)."""
    kind = first & 0xF0
    if kind == mqtt5.PUBLISH:
        topic, mid, qos, payload = mqtt5.parse_publish(first, body)
        assert qos in (0, 1, 2) and (mid > 0) == (qos > 0)
        assert body.endswith(payload) and isinstance(topic, str)
        return topic
    if kind == mqtt5.CONNACK:
        present, reason, keepalive = mqtt5.parse_connack(body)
        assert 0 <= reason <= 255 and (keepalive is None or 0 <= keepalive <= 65535)
        return present
    if kind == mqtt5.SUBACK:
        mid, reasons = mqtt5.parse_suback(body)
        assert 0 <= mid <= 65535 and all(0 <= r <= 255 for r in reasons)
        return reasons
    if kind == mqtt5.DISCONNECT_TYPE:
        return mqtt5.disconnect_reason(mqtt5.parse_disconnect(body))
    return None


def _feed(stream: bytes, cuts: list[int], limit: int = LIMIT) -> int:
    """Feed ``stream`` to a decoder taking packets up to ``limit`` bytes, in pieces of the sizes in ``cuts`` (cycled).

    Returns how many packets it decoded.
    """
    buffer = bytearray()
    decoded = pos = 0
    sizes = cuts or [len(stream) or 1]
    turn = 0
    while pos < len(stream):
        piece = stream[pos : pos + sizes[turn % len(sizes)]]
        pos += len(piece)
        turn += 1
        buffer += piece
        try:
            for first, body in mqtt5.split(buffer, limit):
                _parse(first, body)
                decoded += 1
        except mqtt5.ProtocolError:
            return decoded  # the source drops the connection and starts over with an empty buffer
        # What is left is one incomplete packet within the limit, or the start of a header.
        assert len(buffer) < max(limit, 5), f"{len(buffer)} bytes held for an incomplete packet"
    return decoded


@FUZZ
@given(stream=st.binary(max_size=3000), cuts=st.lists(st.integers(1, 700), max_size=8), limit=st.integers(2, 600))
def test_arbitrary_bytes_only_ever_raise_protocol_error(stream: bytes, cuts: list[int], limit: int) -> None:
    with _no_hang():
        _feed(stream, cuts, limit)


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + mqtt5.varint(len(body)) + body


_first_bytes = st.sampled_from([0x30, 0x31, 0x32, 0x33, 0x34, 0x36, 0x3A, 0x3B, 0x20, 0x90, 0xE0, 0xD0, 0x40, 0x00, 0xF0])


@st.composite
def _plausible_bodies(draw: st.DrawFn) -> bytes:
    """A body shaped like a PUBLISH, CONNACK or SUBACK: lengths mostly consistent, values anything."""
    topic = draw(st.binary(max_size=20))
    head = struct.pack(">H", draw(st.sampled_from([len(topic), draw(st.integers(0, 65535))]))) + topic
    packet_id = draw(st.binary(min_size=0, max_size=2))
    rest = draw(st.binary(max_size=60))
    props = mqtt5.varint(draw(st.sampled_from([len(rest), draw(st.integers(0, 300))]))) + rest
    flags = draw(st.binary(min_size=2, max_size=2))
    return draw(st.sampled_from([head + packet_id + props, flags + props, head + props]))


@FUZZ
@given(packets=st.lists(st.tuples(_first_bytes, st.binary(max_size=200) | _plausible_bodies()), max_size=12),
       cuts=st.lists(st.integers(1, 50), max_size=6))
def test_well_framed_packets_with_random_bodies_only_ever_raise_protocol_error(
    packets: list[tuple[int, bytes]], cuts: list[int]
) -> None:
    # Framing right, content wrong: reaches the field parsers far more often than random framing does.
    with _no_hang():
        _feed(b"".join(_packet(first, body) for first, body in packets), cuts)


_topics = st.binary(min_size=1, max_size=40)


def _publishes(stream: bytes, cut: int) -> list[tuple[str, int, int, bytes]]:
    """The PUBLISH packets decoded from ``stream`` read ``cut`` bytes at a time, until a ProtocolError."""
    buffer = bytearray()
    got: list[tuple[str, int, int, bytes]] = []
    try:
        for start in range(0, len(stream), cut):
            buffer += stream[start : start + cut]
            got.extend(mqtt5.parse_publish(*p) for p in mqtt5.split(buffer, LIMIT) if p[0] & 0xF0 == mqtt5.PUBLISH)
    except mqtt5.ProtocolError:
        pass  # the connection is dropped: what that read held comes again, unacknowledged
    return got


@FUZZ
@given(messages=st.lists(st.tuples(_topics, st.binary(max_size=300), st.integers(1, 65535)), min_size=1, max_size=10),
       garbage=st.binary(max_size=64), cut=st.integers(1, 400))
def test_valid_publishes_decode_exactly_and_garbage_after_them_never_alters_one(
    messages: list[tuple[bytes, bytes, int]], garbage: bytes, cut: int
) -> None:
    stream = b"".join(mqtt5.publish(topic, payload, packet_id=mid) for topic, payload, mid in messages)
    expected = [(topic.decode("utf-8", "backslashreplace"), mid, 1, payload) for topic, payload, mid in messages]
    with _no_hang():
        assert _publishes(stream, cut) == expected
        spoiled = _publishes(stream + garbage, cut)
    assert spoiled[: len(expected)] == expected[: len(spoiled)], "a message decoded before the garbage is intact"


@FUZZ
@given(first=st.integers(0, 255), body=st.binary(max_size=400) | _plausible_bodies())
def test_each_parser_on_any_body_returns_or_raises_protocol_error(first: int, body: bytes) -> None:
    with _no_hang():
        for parse in (mqtt5.parse_connack, mqtt5.parse_suback, mqtt5.parse_disconnect):
            try:
                parse(body)
            except mqtt5.ProtocolError:
                pass
        try:
            _parse(mqtt5.PUBLISH | (first & 0x0F), body)
        except mqtt5.ProtocolError:
            pass


@pytest.mark.parametrize("declared", [LIMIT - 1, LIMIT, 2 * LIMIT, 268_435_455])
def test_a_packet_longer_than_the_limit_is_refused_from_its_header_alone(declared: int) -> None:
    header = b"\x30" + mqtt5.varint(declared)
    buffer = bytearray(header)
    if len(header) + declared > LIMIT:
        with pytest.raises(mqtt5.ProtocolError, match=f"at most {LIMIT}"):
            mqtt5.split(buffer, LIMIT)
    else:
        assert mqtt5.split(buffer, LIMIT) == [] and bytes(buffer) == header, "within the limit: wait for the rest"


def test_remaining_length_of_more_than_four_bytes_is_malformed() -> None:
    with pytest.raises(mqtt5.ProtocolError, match="malformed remaining length"):
        mqtt5.split(bytearray(b"\x30\x80\x80\x80\x80\x01"))


def test_connect_announces_the_packet_limit() -> None:
    packet = mqtt5.connect("bridge-1", 30, False, 600, 100, maximum_packet_size=LIMIT)
    assert b"\x27" + struct.pack(">I", LIMIT) in packet
