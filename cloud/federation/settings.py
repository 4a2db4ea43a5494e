"""The ``federation`` section: what a city shares with its region, how coarse, and where it goes.

Only aggregates cross: crossings per line and direction, peak occupancy per
zone, and objects per heatmap cell, per time bucket. Cells below ``k`` are suppressed so that a count
of one or two cannot single anyone out. Every cell is signed with the city's
key (``cloud.federation.signing``), read from the environment variable
``key_env`` names; the region refuses what it cannot verify.

Example:
    >>> FederationSettings.model_validate({"bootstrap": "region:9092", "k": 10}).key_env
    'CITYTWIN_FEDERATION_KEY'
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cloud.federation.countcell import MAX_BUCKET_S
from cloud.federation.signing import ENV_NAME
from cloud.kafka.settings import KafkaSasl, KafkaTls
from contract.ids import Ident


class FederationSettings(BaseModel):
    """A city's link to its regional twin."""

    model_config = ConfigDict(extra="forbid")

    city: Ident | None = Field(None, title="City id", description="the city's id in the region; default: the site id")
    bootstrap: str = Field(title="Regional Kafka", description="bootstrap servers of the regional twin's Kafka")
    topic: str = Field("citytwin.region.counts", min_length=1, title="Regional topic", description="topic of the aggregated counts")
    tls: KafkaTls | None = Field(None, title="TLS", description="connect to the regional Kafka over TLS; plaintext if unset")
    sasl: KafkaSasl | None = Field(
        None, title="SASL", description="log in to the regional Kafka with SASL/SCRAM as the region's user for this city"
    )
    bucket_s: int = Field(900, ge=60, le=MAX_BUCKET_S, title="Bucket", description="seconds per exported time bucket")
    k: int = Field(
        10, ge=1, title="Suppression threshold",
        description="counts below this are never exported; at least the region's region.min_k, or the region refuses the cells",
    )
    key_env: str = Field(
        "CITYTWIN_FEDERATION_KEY", pattern=ENV_NAME, title="Signing key variable",
        description="environment variable holding the city's signing key (32 characters or more); the region holds the same "
        "key for this city. Secrets never live in the config file",
    )
    key_id: Ident | None = Field(
        None, title="Signing key id", description="the id the region knows the key by; default: the city id"
    )
    grace_s: float = Field(
        120.0, ge=0, title="Grace", description="a bucket is exported only this long after it ended, so late events count"
    )
    lookback_buckets: int = Field(
        96, ge=1, title="Look-back", description="closed buckets each export covers; re-exports replace earlier values"
    )
    interval_s: float = Field(300.0, gt=0, title="Interval", description="seconds between exports of `citytwin federate`")
