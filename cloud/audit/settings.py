"""The deployment's ``retention``, ``audit`` and ``residency`` sections: how long data is kept and where it lives.

These settings are what ``citytwin residency`` reports and what retention
enforces; they are declared next to the services that write the data, in the
same deployment file, so the manifest can never describe another deployment.

Example:
    >>> RetentionSettings().kafka_retention_ms("events")
    604800000
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TopicRole = Literal["events", "dlq", "alerts", "audit_anchors"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetentionSettings(_Section):
    """How long each dataset is kept; enforced by ``citytwin retention`` and set on the Kafka topics."""

    lake_days: int = Field(30, ge=1, title="Lake days", description="days of date= partitions kept in the Parquet lake")
    events_topic_hours: float = Field(
        168.0, gt=0, title="Events topic hours", description="hours the Kafka events topic keeps records (its retention.ms)"
    )
    dlq_topic_days: float = Field(14.0, gt=0, title="Dead-letter days", description="days the dead-letter topic keeps records")
    alerts_topic_days: float = Field(30.0, gt=0, title="Alerts topic days", description="days the alerts topic keeps records")
    audit_anchors_topic_days: float | None = Field(
        None, gt=0, title="Audit anchors days",
        description="days the audit anchors topic keeps records; null (the default) keeps them as long as the audit log",
    )
    interval_s: float = Field(
        3600.0, gt=0, title="Interval", description="seconds between runs of `citytwin retention --every`"
    )

    def kafka_retention_ms(self, role: TopicRole) -> int:
        """The topic's ``retention.ms``; -1 (kept) for anchors without a limit."""
        if role == "audit_anchors":
            return -1 if self.audit_anchors_topic_days is None else int(self.audit_anchors_topic_days * 86_400_000)
        hours = {"events": self.events_topic_hours, "dlq": self.dlq_topic_days * 24, "alerts": self.alerts_topic_days * 24}[role]
        return int(hours * 3600 * 1000)


def anchors_beside(log: Path) -> Path:
    """The default anchor file of an audit log: ``<log name>.anchors.jsonl`` in the same folder."""
    return log.with_name(f"{log.stem}.anchors.jsonl")


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or below it, after resolving both."""
    return path.resolve().is_relative_to(folder.resolve())


class AuditSettings(_Section):
    """The tamper-evident audit log every cloud service appends to, and where its head is anchored."""

    path: Path | None = Field(
        None, title="Audit log", description="JSON-lines audit log; default: audit/audit.jsonl next to the lake folder"
    )
    anchor_path: Path | None = Field(
        None, title="Anchor file",
        description="append-only file (created 0600) the log's head is anchored to, best on another volume or owned by "
        "another user; never inside the lake; default: <log name>.anchors.jsonl next to the audit log",
    )
    anchor_interval_s: float = Field(
        60.0, gt=0, title="Anchor interval",
        description="seconds between anchors of the log's head by each long-running service (and one on shutdown)",
    )
    anchor_kafka: bool = Field(
        True, title="Anchor to Kafka", description="also anchor to the Kafka topic kafka.topics.audit_anchors"
    )

    def log_path(self, lake: Path) -> Path:
        return self.path or lake.parent / "audit" / "audit.jsonl"

    def anchor_file(self, lake: Path) -> Path:
        """The anchor file: as configured, else next to the log, else (a log inside the lake) next to the lake folder."""
        if self.anchor_path is not None:
            return self.anchor_path
        beside = anchors_beside(self.log_path(lake))
        return beside if not inside(beside, lake) else lake.parent / f"{lake.name}-audit" / beside.name


class ResidencySettings(_Section):
    """Where the deployment's data physically lives, for the residency manifest."""

    host: str | None = Field(None, title="Host", description="host name of the cloud services' machine; default: this host")
    jurisdiction: str = Field("", title="Jurisdiction", description="legal home of the data, e.g. 'City of Ghent, BE'")
    kafka_data: str | None = Field(
        None, title="Kafka data", description="where the Kafka brokers keep their logs: host:path or a volume name"
    )
    mqtt_data: str | None = Field(
        None, title="MQTT data", description="where Mosquitto keeps queued messages: host:path or a volume name"
    )
    edge_host: str = Field(
        "{node}", title="Edge host", description="host name of an edge node; '{node}' stands for the node id"
    )
