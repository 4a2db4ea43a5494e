"""The deployment's ``cloud.bridge`` section: how the MQTT to Kafka bridge subscribes, batches and drains."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cloud.kafka.settings import MiB
from contract.topics import PREFIX


class BridgeSettings(BaseModel):
    """The MQTT to Kafka bridge."""

    model_config = ConfigDict(extra="forbid")

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
