"""Identifiers that survive any string: URN parts for NGSI-LD entity ids, OData literals for SensorThings filters.

Every part is percent-encoded except letters, digits, ``-``, ``.`` and
``_``, so a ``:``, ``/``, space, quote, ``#``, ``?``, control or non-ASCII
character in a camera, line or class name can neither split an id into other
parts nor end a filter early. Encoding is one-to-one: two different names
never share an id.

Example:
    >>> urn("ItemFlowObserved", "campus", "cam:1", "traffic light")
    'urn:ngsi-ld:ItemFlowObserved:campus:cam%3A1:traffic%20light'
    >>> odata_string("it's")
    "'it''s'"
"""

from __future__ import annotations

from urllib.parse import quote

_SAFE = "-._"


def urn_part(value: str) -> str:
    """``value`` with everything but letters, digits and ``-._`` percent-encoded (UTF-8)."""
    return quote(value, safe=_SAFE)


def urn(entity_type: str, *parts: str) -> str:
    """An NGSI-LD entity id ``urn:ngsi-ld:<type>:<part>:...`` whose parts cannot be confused."""
    return ":".join(["urn", "ngsi-ld", urn_part(entity_type), *(urn_part(p) for p in parts)])


def odata_string(value: str) -> str:
    """An OData string literal: quoted, with quotes doubled; control characters refused."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"{value!r} holds a control character, which no OData filter may carry")
    return "'" + value.replace("'", "''") + "'"
