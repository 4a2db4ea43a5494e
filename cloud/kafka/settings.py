"""The deployment's ``kafka`` section: the cluster, its topics, and the transport security of every Kafka link.

``tls`` encrypts the link and checks the broker; ``sasl`` authenticates the
client to the broker. Each can be used alone or both together, here and on the
link from a city to its region; ``cloud.kafka.security`` turns them into each
client library's options and ``cloud.kafka.clients`` builds the clients' settings.

Example:
    >>> KafkaTls.model_validate({"ca_file": "/etc/citytwin/ca.pem"}).cert_file is None
    True
    >>> KafkaSasl.model_validate({"username": "citytwin-bridge"}).mechanism
    'SCRAM-SHA-512'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KafkaTls(BaseModel):
    """TLS (Kafka's SSL security protocol) towards the brokers; certificates are PEM file paths on the host."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path | None = Field(
        None, title="CA file", description="PEM CA bundle that signed the broker certificates; the system store if unset"
    )
    cert_file: Path | None = Field(
        None, title="Client certificate", description="PEM client certificate, for brokers with ssl.client.auth=required"
    )
    key_file: Path | None = Field(None, title="Client key", description="PEM private key of the client certificate")
    key_password_env: str | None = Field(
        None,
        title="Key password variable",
        description="environment variable holding the password of an encrypted client key; secrets never live in the config file",
    )

    @model_validator(mode="after")
    def _cert_with_key(self) -> KafkaTls:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together: set both for mutual TLS, or neither")
        return self


class KafkaSasl(BaseModel):
    """SASL authentication towards the brokers: a user name here, its password in the environment."""

    model_config = ConfigDict(extra="forbid")

    # SCRAM only: the password never crosses the wire, so it is safe without TLS too (PLAIN would send it in clear).
    mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = Field(
        "SCRAM-SHA-512", title="Mechanism", description="SASL mechanism the brokers enable (sasl.enabled.mechanisms)"
    )
    username: str = Field(
        min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@-]+$", title="User name",
        description="the SCRAM user this client logs in as; one per service (citytwin credentials writes them)",
    )
    password_env: str = Field(
        "CITYTWIN_KAFKA_PASSWORD",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        title="Password variable",
        description="environment variable holding the user's password; secrets never live in the config file",
    )


MiB = 2**20


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
