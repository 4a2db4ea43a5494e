"""The event key and the typed columns the twin reads out of each event's JSON body.

An event is identified by ``KEY``, ``(site, camera, node, seq)``: the
bridge binds site and camera to the MQTT topic (which the broker's ACL binds
to the sender's credentials) and node to the camera's configured node, and
``event_id`` is ``node:seq``. Keyed on ``event_id`` alone, a row claiming
another node's id (from before the bridge checked identities, or written to
Kafka past it) would shadow that node's real event; keyed on the whole
binding, it keeps to the camera it came from.

The typed columns are the ones the event bodies declare (``contract.bodies``):
a field added there reaches the views and typed SQL without an edit here.
"""

from __future__ import annotations

from contract.bodies import Column
from contract.model import BODIES

KEY = ("site", "camera", "node", "seq")


def _stored() -> tuple[Column, ...]:
    """The stored columns every body declares, each once, in the order of the event types."""
    seen: dict[str, Column] = {}
    for body in BODIES.values():
        for column in body.columns:
            if column.stored and seen.setdefault(column.name, column).sql != column.sql:
                raise TypeError(f"body column {column.name!r} is {seen[column.name].sql} in one body and "
                                f"{column.sql} in {body.__name__}; one column has one type")
    return tuple(seen.values())


STORED = _stored()


def extract(column: Column) -> str:
    """SQL reading ``column`` out of an event's JSON ``body``; NULL where the value does not read as its type."""
    if column.sql == "JSON":
        return f"json_extract(body, '{column.name}') AS {column.name}"
    text = f"json_extract_string(body, '{column.name}')"
    return f"{text} AS {column.name}" if column.sql == "VARCHAR" else f"TRY_CAST({text} AS {column.sql}) AS {column.name}"


# The typed columns of ``events`` that come from an event's JSON body.
BODY_COLUMNS = ", ".join(extract(column) for column in STORED)
