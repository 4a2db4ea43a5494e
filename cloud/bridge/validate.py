"""Check one MQTT message against the event contract and decide where it goes in Kafka.

Pure and total: ``Validator.check`` never raises on any input. A message is
taken only if, in this order:

1. its topic is an event or status topic of a site and camera the deployment
   lists (``unknown_source`` otherwise, before the payload is even parsed);
2. its payload is a valid event (``schema``, ``invalid_json``, ...), as
   ``contract.wire.decode`` reads it;
3. the event's site, camera and type are the topic's (``topic``);
4. its ``node`` is the camera's configured node, and so its ``event_id``
   (``node:seq``) is that node's (``identity``, see ``cloud.bridge.sources``);
5. its times lie within the clock window (``clock``, see ``cloud.bridge.clock``).

A valid event becomes an ``Accepted`` record for the events topic, keyed
``{site}/{camera}``, holding the payload byte for byte as it arrived (it was
just proven to parse, and the sink parses it again). A node status becomes a
record for the status topic; anything else becomes a ``Rejected`` verdict
whose ``error`` code and ``reason`` end up in the dead-letter record's headers.

Example:
    >>> from cloud.bridge.clock import ClockWindow
    >>> from cloud.bridge.sources import Sources
    >>> from cloud.kafka.settings import KafkaTopics
    >>> v = Validator("citytwin", KafkaTopics(), 1024, Sources("campus", {"cam-1": "campus-cam-1"}), ClockWindow(300, 86_400))
    >>> v.check("citytwin/campus/cam-1/events/count", b'{"schema_version": 1').error
    'invalid_json'
    >>> v.check("citytwin/bench/cam-1/events/count", b'{}').error
    'unknown_source'
"""

from __future__ import annotations

from typing import NamedTuple

from citytwin.deployment import Deployment
from cloud.bridge.clock import ClockWindow, event_times
from cloud.bridge.sources import Sources
from cloud.kafka.settings import KafkaTopics
from contract.status import NodeStatus
from contract.wire import Decoded, Rejected, decode, decode_status


class Accepted(NamedTuple):
    """A valid message, ready for Kafka."""

    topic: str
    key: bytes
    value: bytes
    ts: float  # capture (event) or status time, epoch seconds; for the lag report


class Validator:
    """Routes MQTT messages: events and status to their topics, the rest to the dead letters."""

    def __init__(
        self, prefix: str, topics: KafkaTopics, max_payload_bytes: int, sources: Sources, clock: ClockWindow
    ) -> None:
        self.prefix = prefix
        self.topics = topics
        self.max_payload_bytes = max_payload_bytes
        self.sources = sources
        self.clock = clock

    @classmethod
    def of(cls, cfg: Deployment) -> Validator:
        """The validator of a deployment: its prefix, topics, limits, cameras and clock window."""
        bridge = cfg.cloud.bridge
        return cls(bridge.topic_prefix, cfg.kafka.topics, bridge.max_payload_bytes, Sources.of(cfg), ClockWindow.of(cfg))

    def check(self, mqtt_topic: str, payload: bytes) -> Accepted | Rejected:
        """Where ``payload`` received on ``mqtt_topic`` goes; never raises."""
        if len(payload) > self.max_payload_bytes:
            return Rejected("too_large", f"payload is {len(payload)} bytes; the limit is {self.max_payload_bytes}")
        levels = mqtt_topic.split("/")
        is_event = len(levels) == 5 and levels[0] == self.prefix and levels[3] == "events"
        if not is_event and not (len(levels) == 4 and levels[0] == self.prefix and levels[3] == "status"):
            return Rejected("topic", f"MQTT topic {mqtt_topic[:200]!r} is neither {self.prefix}/+/+/events/+ "
                            f"nor {self.prefix}/+/+/status")
        unknown = self.sources.unknown(levels[1], levels[2])
        if unknown is not None:
            return Rejected("unknown_source", unknown)
        try:
            return self._event(levels, payload) if is_event else self._status(levels, payload)
        except (ValueError, TypeError, RecursionError, OverflowError) as exc:  # input must never crash the bridge
            return Rejected("schema", f"payload could not be checked: {type(exc).__name__}: {exc}"[:500])

    def _event(self, levels: list[str], payload: bytes) -> Accepted | Rejected:
        decoded = decode(payload)
        if not isinstance(decoded, Decoded):
            return decoded
        event = decoded.event
        if (event.site, event.camera, event.type) != (levels[1], levels[2], levels[4]):
            return Rejected(
                "topic",
                f"event {event.event_id} says site={event.site} camera={event.camera} type={event.type} "
                f"but came on {'/'.join(levels)}",
            )
        impostor = self.sources.impostor(event.camera, event.node)
        if impostor is not None:
            return Rejected("identity", f"event {event.event_id}: {impostor}")
        late_or_early = self.clock.refuse(event_times(event))
        if late_or_early is not None:
            return Rejected("clock", f"event {event.event_id}: {late_or_early}")
        key = f"{event.site}/{event.camera}".encode()
        return Accepted(self.topics.events, key, payload, event.ts.timestamp())

    def _status(self, levels: list[str], payload: bytes) -> Accepted | Rejected:
        status: NodeStatus | Rejected = decode_status(payload)
        if isinstance(status, Rejected):
            return status
        if (status.site, status.camera) != (levels[1], levels[2]):
            return Rejected(
                "topic", f"status of site={status.site} camera={status.camera} came on {'/'.join(levels)}"
            )
        impostor = self.sources.impostor(status.camera, status.node)
        if impostor is not None:
            return Rejected("identity", f"status of camera {status.camera}: {impostor}")
        # A node's ``since`` may be months old (it connected long ago); only a future one is wrong.
        early = self.clock.refuse([("since", status.since)], ahead_only=True)
        if early is not None:
            return Rejected("clock", f"status of camera {status.camera}: {early}")
        key = f"{status.site}/{status.camera}".encode()
        return Accepted(self.topics.status, key, status.to_json(), status.since.timestamp())
