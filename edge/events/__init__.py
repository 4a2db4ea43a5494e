"""Events: the versioned contract between edge nodes and the cloud.

This package is the only part of ``edge`` that ``cloud`` imports.
"""

from edge.events.model import (
    SCHEMA_VERSION,
    Count,
    Dwell,
    Event,
    LineCrossing,
    NodeHealth,
    Snapshot,
    ZoneOccupancy,
    event_id,
    parse_event,
)
from edge.events.status import NodeStatus
from edge.events.topics import event_topic, status_topic

__all__ = [
    "SCHEMA_VERSION",
    "Count",
    "Dwell",
    "Event",
    "LineCrossing",
    "NodeStatus",
    "NodeHealth",
    "Snapshot",
    "ZoneOccupancy",
    "event_id",
    "event_topic",
    "parse_event",
    "status_topic",
]
