"""The dead-letter record: the raw bytes as received, with why, where from and when in its headers.

A dead-letter record's value is the payload exactly as it arrived (cut at a
configured size, with ``original_size`` saying how big it was), and its key
is the source topic. Headers, all UTF-8:

| header | meaning |
| --- | --- |
| ``error`` | short code, see below |
| ``reason`` | what is wrong and where, for people |
| ``source`` | ``mqtt`` (rejected by the bridge) or ``kafka`` (rejected by the sink) |
| ``source_topic`` | the MQTT or Kafka topic it came from |
| ``source_partition``, ``source_offset`` | where in Kafka, for records the sink rejected |
| ``received_at`` | when it was rejected, ISO 8601 UTC |
| ``by`` | the service instance that rejected it |
| ``original_size`` | payload size in bytes before any cut |
| ``truncated`` | ``true`` when the value holds only the first bytes of the payload |

Error codes:

| code | rejected by | meaning |
| --- | --- | --- |
| ``too_large`` | bridge | larger than ``cloud.bridge.max_payload_bytes``; not parsed |
| ``topic`` | bridge | not an event or status topic, or the event names another site, camera or type |
| ``unknown_source`` | bridge | the topic's site or camera is not listed in the deployment file |
| ``invalid_utf8``, ``invalid_json`` | bridge | not UTF-8 JSON |
| ``schema_version`` | bridge | another version of the event schema |
| ``schema`` | bridge, sink | not a valid event: the reason names the fields |
| ``identity`` | bridge | the event's node is not its camera's configured node |
| ``clock`` | bridge | a time ahead of the bridge's clock by more than the margin, or older than the lake keeps |
| ``kafka_rejected`` | bridge | Kafka refused the record |
| ``unstorable`` | sink | valid, yet the lake's columns cannot hold it (the schema's bounds should prevent this) |

The regional twin writes its dead letters in the same format, with its own
``error`` codes (listed in ``cloud.federation.admission``).

Example:
    >>> dl = DeadLetter.of(b'{"a":', "invalid_json", "EOF", "mqtt", "citytwin/x/y/events/count", by="bridge-1")
    >>> DeadLetter.from_headers(dl.raw, dl.headers()).reason
    'EOF'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

Headers = list[tuple[str, str | bytes | None]]


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class DeadLetter:
    """One rejected payload and its circumstances."""

    raw: bytes
    error: str
    reason: str
    source: str
    source_topic: str
    by: str
    original_size: int
    received_at: datetime = field(default_factory=_now)
    source_partition: int | None = None
    source_offset: int | None = None

    @classmethod
    def of(
        cls,
        raw: bytes,
        error: str,
        reason: str,
        source: str,
        source_topic: str,
        by: str,
        max_raw_bytes: int | None = None,
        source_partition: int | None = None,
        source_offset: int | None = None,
    ) -> DeadLetter:
        """A dead letter for ``raw``, cut to ``max_raw_bytes`` if given."""
        kept = raw if max_raw_bytes is None else raw[:max_raw_bytes]
        return cls(
            raw=kept,
            error=error,
            reason=reason,
            source=source,
            source_topic=source_topic,
            by=by,
            original_size=len(raw),
            source_partition=source_partition,
            source_offset=source_offset,
        )

    @property
    def truncated(self) -> bool:
        return len(self.raw) < self.original_size

    @property
    def key(self) -> bytes:
        return self.source_topic.encode("utf-8", "backslashreplace")

    def cut(self, max_raw_bytes: int) -> DeadLetter:
        """The same dead letter holding at most ``max_raw_bytes`` of the payload."""
        return DeadLetter(
            self.raw[:max_raw_bytes], self.error, self.reason, self.source, self.source_topic, self.by,
            self.original_size, self.received_at, self.source_partition, self.source_offset,
        )

    def headers(self) -> Headers:
        """Kafka record headers."""
        pairs = {
            "error": self.error,
            "reason": self.reason,
            "source": self.source,
            "source_topic": self.source_topic,
            "received_at": self.received_at.isoformat(timespec="milliseconds"),
            "by": self.by,
            "original_size": str(self.original_size),
            "truncated": "true" if self.truncated else "false",
        }
        if self.source_partition is not None:
            pairs["source_partition"] = str(self.source_partition)
        if self.source_offset is not None:
            pairs["source_offset"] = str(self.source_offset)
        return [(name, value.encode("utf-8", "backslashreplace")) for name, value in pairs.items()]

    @classmethod
    def from_headers(cls, raw: bytes, headers: Headers | Mapping[str, str | bytes | None] | None) -> DeadLetter:
        """Rebuild a dead letter from a record; missing headers read as empty."""
        pairs = list(headers.items()) if isinstance(headers, Mapping) else headers or []
        found = {
            name: value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            for name, value in pairs
            if value is not None
        }

        def number(name: str) -> int | None:
            value = found.get(name, "")
            return int(value) if value.lstrip("-").isdigit() else None

        try:
            received = datetime.fromisoformat(found["received_at"])
        except (KeyError, ValueError):
            received = datetime.fromtimestamp(0, timezone.utc)
        return cls(
            raw=raw,
            error=found.get("error", ""),
            reason=found.get("reason", ""),
            source=found.get("source", ""),
            source_topic=found.get("source_topic", ""),
            by=found.get("by", ""),
            original_size=number("original_size") or len(raw),
            received_at=received,
            source_partition=number("source_partition"),
            source_offset=number("source_offset"),
        )
