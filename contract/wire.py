"""Reading one payload off the wire: a valid event, or why not. Used by the bridge, the sink and the twin's tail.

``decode`` is total: whatever the bytes, it returns a ``Decoded`` event or a
``Rejected`` verdict and never raises. An event exactly as the edge writes it
takes the fast path (``contract.fast``); any other payload goes through the
pydantic model, which alone explains what is wrong. Either way, what is
accepted is what ``parse_event`` accepts, with the same values.

A ``Rejected`` verdict's ``error`` is a short code for the dead-letter
record's headers (``invalid_utf8``, ``invalid_json``, ``schema_version`` or
``schema``) and its ``reason`` says, for people, what is wrong and where.

Example:
    >>> decode(b'{"schema_version": 1').error
    'invalid_json'
    >>> decode(b'{"schema_version": 2}').error
    'schema_version'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from contract import fast
from contract.model import SCHEMA_VERSION, Event, parse_event
from contract.status import NodeStatus

# Most field errors worth naming in one reason; a payload can have hundreds.
_MAX_ERRORS = 5
# A message listing every allowed value (80 class names) says no more than its start.
_MAX_MESSAGE = 160
# What pydantic or a JSON parser may raise besides ValidationError on hostile input.
_UNEXPECTED = (ValueError, TypeError, RecursionError, OverflowError)


class Rejected(NamedTuple):
    """An invalid payload and why, for the dead-letter topic."""

    error: str  # short code, see the module's docstring; the bridge adds its own (topic, identity, clock, ...)
    reason: str  # for people: what is wrong and where


_COMPACT = json.JSONEncoder(separators=(",", ":"))


def body_json(body: BaseModel) -> str:
    """The canonical JSON text of an event body: what the edge writes, and what the lake stores."""
    return _COMPACT.encode(body.model_dump(mode="json"))


@dataclass(frozen=True, slots=True)
class Decoded:
    """A valid event, read on the fast path or by pydantic, and the payload it came in."""

    event: fast.CanonicalEvent | Event
    payload: bytes

    def body_json(self) -> str:
        """The body's canonical JSON text; on the fast path, the payload's own."""
        if isinstance(self.event, fast.CanonicalEvent):
            return fast.body_text(self.payload)
        return body_json(self.event.body)


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(payload)"


def _cut(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


def describe_errors(error: ValidationError) -> str:
    """The first few field errors of ``error`` as ``field: message; ...``, for a ``reason`` header."""
    items = error.errors()
    parts = [f"{_location(tuple(item['loc']))[:_MAX_MESSAGE]}: {_cut(item['msg'])}" for item in items[:_MAX_ERRORS]]
    more = len(items) - _MAX_ERRORS
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def explain(payload: bytes, error: ValidationError) -> Rejected:
    """Classify a payload that failed validation; runs only on the error path."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected("invalid_utf8", f"payload is not UTF-8: byte 0x{payload[exc.start]:02x} at offset {exc.start}")
    if error.errors()[0]["type"] == "json_invalid":
        return Rejected("invalid_json", f"payload is not JSON: {error.errors()[0]['msg'].removeprefix('Invalid JSON: ')}")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and document.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        version = str(document.get("schema_version"))[:40]
        return Rejected("schema_version",
                        f"schema_version {version} is not supported; this version of citytwin understands {SCHEMA_VERSION}")
    return Rejected("schema", describe_errors(error))


def _unexpected(exc: Exception) -> Rejected:
    return Rejected("schema", f"payload could not be validated: {type(exc).__name__}: {exc}"[:500])


def decode(payload: bytes) -> Decoded | Rejected:
    """The event in ``payload``, or why there is none; never raises."""
    event: Any = fast.decode(payload)
    if event is not None:
        return Decoded(event, payload)
    try:
        return Decoded(parse_event(payload), payload)
    except ValidationError as exc:
        return explain(payload, exc)
    except _UNEXPECTED as exc:  # input must never crash a reader
        return _unexpected(exc)


def decode_status(payload: bytes) -> NodeStatus | Rejected:
    """The node status in ``payload``, or why there is none; never raises."""
    try:
        return NodeStatus.model_validate_json(payload)
    except ValidationError as exc:
        return explain(payload, exc)
    except _UNEXPECTED as exc:
        return _unexpected(exc)
