"""MQTT topic layout shared by edge publishers and the cloud bridge."""

from __future__ import annotations

from contract.model import EventEnvelope

PREFIX = "citytwin"
EVENTS_FILTER = f"{PREFIX}/+/+/events/#"
STATUS_FILTER = f"{PREFIX}/+/+/status"


def event_topic(event: EventEnvelope) -> str:
    """``citytwin/{site}/{camera}/events/{type}``."""
    return f"{PREFIX}/{event.site}/{event.camera}/events/{getattr(event, 'type')}"


def status_topic(site: str, camera: str) -> str:
    """``citytwin/{site}/{camera}/status``: health and the node's last will."""
    return f"{PREFIX}/{site}/{camera}/status"
