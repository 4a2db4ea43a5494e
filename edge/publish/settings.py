"""The deployment's ``mqtt`` section: the broker every node publishes to and the cloud reads from, and the edge's spool.

Example:
    >>> MqttPublisherConfig(host="broker.example").spool_max_messages
    200000
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from contract.broker import MqttConnection


class MqttPublisherConfig(MqttConnection):
    """Where and how an edge node publishes."""

    keepalive_s: int = Field(30, ge=5, title="Keep-alive", description="seconds between pings; the last will fires after 1.5x this")
    spool_dir: Path = Field(
        Path(".run/spool"),
        title="Spool folder",
        description="on-disk buffer for events while the broker is unreachable; one file per node",
    )
    spool_max_messages: int = Field(200_000, ge=1, title="Spool size", description="messages the buffer holds before refusing new ones")
    spool_max_mb: float = Field(256, gt=0, title="Spool bytes", description="megabytes the buffer holds before refusing new ones")
    inflight: int = Field(100, ge=1, le=65535, title="In flight", description="messages sent but not yet acknowledged")
