"""Identifiers and numeric bounds of the contract: what every stage, down to the lake's columns, can hold.

Every bound below is one the lake and the twin can hold: integers fit the
lake's int64 columns, counters stay exact as JSON numbers read into a double
(the cockpit), and floats are finite and bounded.

Example:
    >>> event_id("campus-cam-1", 7)
    'campus-cam-1:7'
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from contract.vocab import ObjectClass

MAX_SEQ = 2**63 - 1  # the lake's seq column is int64
MAX_COUNTER = 2**53 - 1  # frames, track ids: exact in every JSON reader
MAX_OCCUPANCY = 10_000  # objects in one zone at once; more than any detector reports in a frame
MAX_INTERVAL_COUNT = 2**31 - 1  # objects or crossings in one counting interval
MAX_CLOCK_OFFSET_MS = 3_600_000.0
MAX_SPEED_KMH = 400.0  # faster than any road user: a faster estimate is a tracking glitch, dropped on the node
MIN_HEATMAP_CELL_M = 2.0  # the finest heatmap cell: coarser than one person, so a cell is a place, not a position
MAX_HEATMAP_CELL_M = 1_000.0
MAX_HEATMAP_CELLS = 4096  # cells one count event may carry
MAX_HEATMAP_INDEX = 2_500  # a cell's index east or north: 5 km (the widest calibration) over the finest cell

IDENT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
Ident = Annotated[
    str,
    Field(pattern=IDENT_PATTERN, description="lower-case id, safe in MQTT topics and file names"),
]
Occupancy = Annotated[int, Field(ge=0, le=MAX_OCCUPANCY)]
IntervalCount = Annotated[int, Field(ge=0, le=MAX_INTERVAL_COUNT)]
Counter = Annotated[int, Field(ge=0, le=MAX_COUNTER)]
StageMs = Annotated[float, Field(ge=0, le=3_600_000)]
ClassOccupancy = dict[ObjectClass, Occupancy]
ClassCounts = dict[ObjectClass, IntervalCount]


def event_id(node: str, seq: int) -> str:
    """The globally unique, deterministic id of a node's ``seq``-th event."""
    return f"{node}:{seq}"
