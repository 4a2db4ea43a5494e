"""The manifest's types: one ``Dataset`` per place data is kept, one ``Export`` per flow out of the services.

They are pydantic models so that ``citytwin residency --json`` and the
cockpit's ``GET /api/residency`` serialise the same shape.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

DatasetKind = Literal["parquet", "jsonl", "kafka_topic", "edge_spool", "mqtt_queue", "audit_log"]


class Retention(BaseModel):
    """How long a dataset keeps data, in words and in seconds."""

    policy: str = Field(title="Policy", description="the rule in words, e.g. '30 days of date= partitions'")
    seconds: float | None = Field(title="Seconds", description="the age limit; null when no age limit applies")
    enforced_by: str = Field(title="Enforced by", description="what deletes expired data")


class Partitions(BaseModel):
    """The ``date=`` partitions present in the lake when the manifest was built."""

    count: int
    files: int
    bytes: int
    oldest: date | None
    newest: date | None


class TopicState(BaseModel):
    """What the Kafka brokers report for one topic; ``reachable`` is false when they did not answer."""

    reachable: bool
    exists: bool | None = None
    retention_ms: int | None = Field(None, description="retention.ms set on the topic")
    policy_ms: int | None = Field(None, description="retention.ms the deployment's policy asks for")
    cleanup_policy: str | None = None
    mismatch: bool = Field(False, description="the topic's retention.ms differs from the policy")
    note: str = ""


class Dataset(BaseModel):
    """One place where the deployment keeps data."""

    name: str = Field(description="stable name, e.g. 'lake' or 'kafka:events'")
    kind: DatasetKind
    host: str = Field(description="machine that holds it: a host name, or the Kafka/MQTT brokers")
    location: str = Field(description="absolute folder or file, kafka://bootstrap/topic, or mqtt://broker/filter")
    files: list[str] = Field(default_factory=list, description="the names it owns inside a shared folder; empty: all of it")
    storage: str | None = Field(None, description="where the brokers keep it on disk: host:path or a volume")
    retention: Retention
    readers: list[str] = Field(description="cockpit roles that can see its contents")
    services: list[str] = Field(description="processes that write or read it")
    contains: str
    leaves_city: bool = False
    partitions: Partitions | None = None
    topic: TopicState | None = None


class Export(BaseModel):
    """A flow of data out of the cloud services: to the region, or to other systems in the city."""

    name: str
    kind: Literal["federation", "alert_outlet", "snapshots", "exporter"]
    destination: str
    leaves_city: bool
    crosses: str = Field(description="what is sent")
    never: list[str] = Field(default_factory=list, description="what is never sent")
    k: int | None = Field(None, description="counts below this are suppressed")
    bucket_s: int | None = Field(None, description="seconds per exported time bucket")
    datasets: list[str] = Field(default_factory=list, description="the twin's datasets it reads")


class Manifest(BaseModel):
    """Where every dataset of one deployment lives, for how long, who reads it, and what leaves the city."""

    site: str
    jurisdiction: str
    host: str = Field(description="the cloud services' host")
    generated: datetime
    kafka: str = Field(description="whether the Kafka brokers answered when the manifest was built")
    datasets: list[Dataset]
    exports: list[Export]

    def dataset(self, name: str) -> Dataset:
        return next(d for d in self.datasets if d.name == name)
