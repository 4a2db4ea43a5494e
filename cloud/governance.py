"""The deployment's governance sections: how long each dataset is kept, where the audit log is, where data lives.

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

TopicRole = Literal["events", "dlq", "alerts"]


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
    interval_s: float = Field(
        3600.0, gt=0, title="Interval", description="seconds between runs of `citytwin retention --every`"
    )

    def kafka_retention_ms(self, role: TopicRole) -> int:
        hours = {"events": self.events_topic_hours, "dlq": self.dlq_topic_days * 24, "alerts": self.alerts_topic_days * 24}[role]
        return int(hours * 3600 * 1000)


class AuditSettings(_Section):
    """The tamper-evident audit log every cloud service appends to."""

    path: Path | None = Field(
        None, title="Audit log", description="JSON-lines audit log; default: audit/audit.jsonl next to the lake folder"
    )

    def log_path(self, lake: Path) -> Path:
        return self.path or lake.parent / "audit" / "audit.jsonl"


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
