"""The cloud services' view of the deployment file: brokers, Kafka topics, lake and service settings.

The bridge, the sink and ``citytwin dlq`` read the same YAML file as the edge
nodes. This module validates every section the cloud needs and accepts the
edge's own settings without interpreting them (the ``edge`` section, a
camera's ``source`` and ``node``, the MQTT spool settings), so a typo anywhere
is still reported with its file and key. Any value can be overridden from the
environment, e.g. ``CITYTWIN_CFG__KAFKA__BOOTSTRAP=127.0.0.1:19092``.

Example:
    >>> from pathlib import Path
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "site.yaml"
    >>> _ = path.write_text("site: {id: campus, name: Campus, width_m: 10, height_m: 10}\\n"
    ...                     "lake: {path: /tmp/lake}\\n")
    >>> load(path, environ={"CITYTWIN_CFG__KAFKA__PARTITIONS": "6"}).kafka.partitions
    6
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citytwin import configfile
from cloud.cockpit.settings import CockpitSettings
from cloud.federation.settings import FederationSettings
from cloud.governance import AuditSettings, ResidencySettings, RetentionSettings, inside
from cloud.rules.settings import RulesSettings
from cloud.transport import KafkaSasl as KafkaSasl  # re-exported: part of the deployment file
from cloud.transport import KafkaTls as KafkaTls  # re-exported: part of the deployment file
from cloud.twin.settings import SqlSettings, TwinSettings
from contract.broker import MqttConnection
from contract.broker import MqttTls as MqttTls  # re-exported: part of the deployment file
from contract.ids import Ident
from contract.site import CameraSpec, SiteSpec, duplicated, node_id
from contract.topics import PREFIX

MiB = 2**20


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MqttSettings(MqttConnection):
    """The MQTT broker; the edge's publisher keys are accepted so one file serves both sides."""

    spool_dir: Path | None = Field(None, title="Spool folder", description="edge setting; ignored by the cloud")
    spool_path: Path | None = Field(None, title="Spool file", description="older edge setting; ignored by the cloud")
    spool_max_messages: int | None = Field(None, title="Spool size", description="edge setting; ignored by the cloud")
    spool_max_mb: float | None = Field(None, title="Spool bytes", description="edge setting; ignored by the cloud")
    inflight: int | None = Field(None, title="In flight", description="edge setting; ignored by the cloud")


class KafkaTopics(_Section):
    """Names of the Kafka topics."""

    events: str = Field("citytwin.events", title="Events topic", description="validated events, keyed by site/camera")
    dlq: str = Field("citytwin.dlq", title="Dead-letter topic", description="rejected payloads with the reason in the headers")
    status: str = Field("citytwin.status", title="Status topic", description="node online/offline status, compacted")
    audit_anchors: str = Field(
        "citytwin.audit-anchors", title="Audit anchors topic",
        description="heads of the audit log, keyed by site and log path, kept as long as retention.audit_anchors_topic_days",
    )


class KafkaSettings(_Section):
    """The Kafka cluster and how its topics are created."""

    bootstrap: str = Field("127.0.0.1:9092", title="Bootstrap servers", description="comma-separated host:port list")
    tls: KafkaTls | None = Field(
        None, title="TLS", description="connect over TLS (security.protocol=SSL) with these settings; plaintext if unset"
    )
    sasl: KafkaSasl | None = Field(
        None,
        title="SASL",
        description="log in with SASL/SCRAM (security.protocol=SASL_PLAINTEXT, or SASL_SSL with tls); "
        "every Kafka client of every service honours it; unauthenticated if unset",
    )
    topics: KafkaTopics = Field(default_factory=KafkaTopics, title="Topics", description="topic names")
    partitions: int = Field(
        6,
        ge=1,
        title="Partitions",
        description="partitions of the events topic when it is created; the most sinks that can share the work",
    )
    replication_factor: int = Field(1, ge=1, title="Replication factor", description="replicas of each topic when it is created")
    max_message_bytes: int = Field(
        4 * MiB, ge=MiB, title="Largest record", description="largest record the topics accept (snapshots are up to 2 MB)"
    )
    create_topics: bool = Field(True, title="Create topics", description="create missing topics at start-up")
    delivery_timeout_s: float = Field(
        120.0, gt=0, title="Delivery timeout", description="how long a record is retried before the bridge sends it again itself"
    )


class LakeSettings(_Section):
    """Where the Parquet lake lives."""

    path: Path = Field(title="Lake path", description="root folder of the Parquet lake, shared by the sink and the twin")


class BridgeSettings(_Section):
    """The MQTT to Kafka bridge."""

    topic_prefix: str = Field(
        PREFIX, min_length=1, title="Topic prefix", description="first MQTT topic level; change it only to isolate test traffic"
    )
    share_group: str | None = Field(
        None,
        pattern=r"^[^/+#]+$",
        title="Share group",
        description="MQTT shared-subscription group, so that several bridges split the load; null (the default) for "
        "a plain subscription. Mosquitto 2.0 does not restore shared subscriptions after a broker restart: messages "
        "published before the bridges reconnect are then lost, so share only when one bridge is not enough",
    )
    instance: str | None = Field(
        None, title="Instance", description="this bridge's name, part of its MQTT client id; default: the host name"
    )
    session_expiry_s: int = Field(
        86_400, ge=0, title="Session expiry", description="how long the broker keeps queueing for a stopped bridge"
    )
    receive_maximum: int = Field(
        2000, ge=1, le=65535, title="Receive maximum", description="messages the broker sends before Kafka has acknowledged them"
    )
    max_payload_bytes: int = Field(
        3 * MiB, ge=1024, title="Largest payload", description="larger payloads go to the dead-letter topic without being parsed"
    )
    dlq_max_raw_bytes: int = Field(
        MiB + 64 * 1024, ge=1024, title="Dead-letter bytes", description="raw bytes kept in a dead-letter record; the rest is cut"
    )
    linger_ms: float = Field(5.0, ge=0, title="Linger", description="how long the producer waits to fill a batch")
    status: bool = Field(True, title="Status topics", description="also forward node status messages to the status topic")
    report_interval_s: float = Field(10.0, gt=0, title="Report interval", description="seconds between throughput lines")
    drain_timeout_s: float = Field(10.0, ge=0, title="Drain timeout", description="time given to Kafka to acknowledge on shutdown")
    max_clock_ahead_s: float = Field(
        300.0,
        ge=0,
        title="Clock margin",
        description="events stamped more than this many seconds ahead of the bridge's clock go to the dead-letter "
        "topic (error 'clock'), as do events older than retention.lake_days",
    )


class SinkSettings(_Section):
    """The Kafka to Parquet sink."""

    group: str = Field("citytwin-sink", min_length=1, title="Consumer group", description="Kafka consumer group of the sinks")
    batch_max_records: int = Field(100_000, ge=1, title="Batch records", description="write when this many records are held")
    batch_max_bytes: int = Field(64 * MiB, ge=1024, title="Batch bytes", description="write when this many payload bytes are held")
    batch_max_wait_s: float = Field(
        5.0, gt=0, title="Batch wait", description="write at the latest this long after the oldest held record arrived"
    )
    zstd_level: int = Field(3, ge=1, le=22, title="zstd level", description="Parquet compression level")
    report_interval_s: float = Field(10.0, gt=0, title="Report interval", description="seconds between throughput lines")


class CompactionSettings(_Section):
    """Merging of small Parquet files, run by each sink over the partitions it owns."""

    enabled: bool = Field(True, title="Enabled", description="compact small files on a schedule")
    interval_s: float = Field(600.0, gt=0, title="Interval", description="seconds between compaction runs")
    min_age_s: float = Field(300.0, ge=0, title="Minimum age", description="leave files younger than this alone")
    min_files: int = Field(4, ge=2, title="Minimum files", description="merge only when at least this many small files qualify")
    target_mb: float = Field(128.0, gt=0, title="Target size", description="merged files stop growing at about this size")


class CloudSettings(_Section):
    """Settings of the cloud services."""

    bridge: BridgeSettings = Field(default_factory=BridgeSettings, title="Bridge", description="MQTT to Kafka bridge")
    sink: SinkSettings = Field(default_factory=SinkSettings, title="Sink", description="Kafka to Parquet sink")
    compaction: CompactionSettings = Field(
        default_factory=CompactionSettings, title="Compaction", description="merging of small Parquet files"
    )
    sql: SqlSettings = Field(
        default_factory=SqlSettings, title="SQL limits",
        description="time, memory, threads and result size of the SQL people type (cockpit console, citytwin query)",
    )
    twin: TwinSettings = Field(
        default_factory=TwinSettings, title="Twin",
        description="memory, threads and spill folder of the twin's own queries (screen, rules, federation)",
    )


class CloudCamera(CameraSpec):
    """A camera as the cloud sees it: identity and geometry; the edge's keys are kept opaque."""

    source: dict[str, Any] | None = Field(None, title="Source", description="edge setting; ignored by the cloud")
    node: Ident | None = Field(None, title="Node id", description="edge node id; default '{site}-{camera}'")


class CloudDeployment(_Section):
    """The whole deployment file as the cloud services validate it."""

    site: SiteSpec = Field(title="Site", description="the site and its plan")
    mqtt: MqttSettings = Field(default_factory=MqttSettings, title="MQTT", description="broker the edge nodes publish to")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings, title="Kafka", description="cluster and topics")
    lake: LakeSettings = Field(title="Lake", description="the Parquet lake")
    cloud: CloudSettings = Field(default_factory=CloudSettings, title="Cloud", description="service settings")
    cameras: list[CloudCamera] = Field(default_factory=list, title="Cameras", description="the cameras of the site")
    edge: dict[str, Any] | None = Field(None, title="Edge", description="edge setting; ignored by the cloud")
    rules: RulesSettings = Field(default_factory=RulesSettings, title="Rules", description="alert rules and where alerts go")
    retention: RetentionSettings = Field(
        default_factory=RetentionSettings, title="Retention", description="how long each dataset is kept"
    )
    audit: AuditSettings = Field(default_factory=AuditSettings, title="Audit", description="the tamper-evident audit log")
    residency: ResidencySettings = Field(
        default_factory=ResidencySettings, title="Residency", description="where the data physically lives"
    )
    cockpit: CockpitSettings = Field(
        default_factory=CockpitSettings, title="Cockpit", description="operators' screen: sessions, login throttle, failed-login audit"
    )
    federation: FederationSettings | None = Field(
        None, title="Federation", description="aggregated counts published to a regional twin; nothing leaves the city if unset"
    )

    @model_validator(mode="after")
    def _one_node_per_camera(self) -> CloudDeployment:
        for kind, ids in (("camera ids", [c.id for c in self.cameras]), ("node ids", list(self.node_ids().values()))):
            dupes = duplicated(ids)
            if dupes:
                raise ValueError(f"cameras: duplicate {kind} {', '.join(dupes)}; each camera needs its own id and node")
        return self

    def node_ids(self) -> dict[str, str]:
        """Camera id -> the id of the edge node that speaks for it."""
        return {c.id: node_id(self.site.id, c.id, c.node) for c in self.cameras}

    @model_validator(mode="after")
    def _anchors_outside_the_lake(self) -> CloudDeployment:
        # Retention prunes the lake and every reader of the lake could see the file: anchors belong elsewhere.
        if self.audit.anchor_path is not None and inside(self.audit.anchor_path, self.lake.path):
            raise ValueError(f"audit.anchor_path: {self.audit.anchor_path} is inside the lake {self.lake.path}; "
                             "put the anchor file outside it, e.g. next to the audit log")
        return self


def load(path: Path | str, environ: Mapping[str, str] | None = None) -> CloudDeployment:
    """Validate a deployment file for the cloud; raises ``ConfigError`` naming the file and key."""
    return configfile.load(path, CloudDeployment, environ)
