"""The regional twin's own deployment file: the region and what it accepts, its cities and their keys, Kafka, its lake.

The region trusts no sender: each city is known by its signing keys (held in
environment variables the file names), and ``region`` sets the region's own
limits, whatever a city claims: the smallest k, the largest value, the
bucket lengths, and how far a cell's times may be from the region's clock.

Example:
    >>> cfg = RegionDeployment.model_validate({
    ...     "region": {"id": "flanders", "name": "Flanders"},
    ...     "cities": [{"id": "ghent", "name": "Ghent", "lat": 51.05, "lon": 3.72,
    ...                 "keys": [{"id": "ghent-2026", "env": "CITYTWIN_REGION_KEY_GHENT"}]}],
    ...     "kafka": {"bootstrap": "127.0.0.1:9092"}, "lake": {"path": "/tmp/region"}})
    >>> cfg.kafka.topic, cfg.kafka.dead_letters, cfg.region.min_k
    ('citytwin.region.counts', 'citytwin.region.counts.dlq', 10)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citytwin import configfile
from citytwin.metrics_settings import MetricsSettings
from cloud.federation.countcell import MAX_BUCKET_S, MAX_VALUE
from cloud.federation.signing import ENV_NAME, CellKey, SigningKeyError, read_key
from cloud.kafka.settings import KafkaSettings, KafkaTopics
from cloud.kafka.settings import KafkaSasl, KafkaTls
from contract.ids import MAX_HEATMAP_CELL_M, MIN_HEATMAP_CELL_M, Ident
from contract.site import duplicated

# Bucket lengths that divide a day, so buckets of every city line up at midnight UTC.
DAY_DIVISORS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Region(_Section):
    id: Ident = Field(title="Region id", description="short id of the region")
    name: str = Field(title="Name", description="name shown on the regional screen")
    min_k: int = Field(
        10, ge=2, le=MAX_VALUE, title="Smallest k",
        description="the region's own suppression threshold: a cell whose k or whose value is below it is refused",
    )
    max_value: int = Field(
        1_000_000, ge=1, le=MAX_VALUE, title="Largest value",
        description="a cell counting more than this in one bucket is refused as implausible",
    )
    min_cell_m: float = Field(
        MIN_HEATMAP_CELL_M, ge=MIN_HEATMAP_CELL_M, le=MAX_HEATMAP_CELL_M, title="Finest heatmap cell",
        description="heatmap cells with a side below this many metres are refused; at least the contract's "
        f"{MIN_HEATMAP_CELL_M:g} m",
    )
    bucket_s: list[int] = Field(
        default_factory=lambda: list(DAY_DIVISORS), min_length=1, title="Bucket lengths",
        description="the bucket lengths (seconds) the region accepts; a cell with any other is refused",
    )
    clock_skew_s: float = Field(
        300.0, ge=0, le=86_400, title="Clock skew",
        description="how far ahead of the region's Kafka clock a cell's exported_at, or the end of its bucket, may be",
    )
    max_delay_s: float = Field(
        900.0, gt=0, le=7 * 86_400, title="Largest delay",
        description="how long after its exported_at a cell may reach the region's Kafka; older ones are refused as replays",
    )
    max_bucket_age_days: float = Field(
        31.0, gt=0, le=3650, title="Oldest bucket",
        description="cells of buckets that started longer ago than this are refused; at least the cities' look-back",
    )

    @model_validator(mode="after")
    def _buckets(self) -> Region:
        wrong = [b for b in self.bucket_s if not 0 < b <= MAX_BUCKET_S]
        if wrong:
            raise ValueError(f"bucket_s: {wrong} outside 1..{MAX_BUCKET_S} seconds")
        return self


class CityKey(_Section):
    id: Ident = Field(title="Key id", description="the key id the city signs with (its federation.key_id); unique in the region")
    env: str = Field(
        pattern=ENV_NAME, title="Key variable",
        description="environment variable holding the key (32 characters or more); secrets never live in the file",
    )


class City(_Section):
    id: Ident = Field(title="City id", description="the id the city exports under (its federation.city or site id)")
    name: str = Field(title="Name", description="name shown on the map")
    lat: float = Field(ge=-90, le=90, title="Latitude", description="where the city is drawn, degrees north")
    lon: float = Field(ge=-180, le=180, title="Longitude", description="where the city is drawn, degrees east")
    keys: list[CityKey] = Field(
        min_length=1, title="Signing keys",
        description="the keys the city signs its cells with; more than one while a key is being replaced",
    )


class RegionKafka(_Section):
    bootstrap: str = Field(title="Bootstrap servers", description="the regional Kafka the cities publish to")
    topic: str = Field("citytwin.region.counts", min_length=1, title="Topic", description="topic of the count cells")
    group: str = Field("citytwin-region", min_length=1, title="Consumer group", description="consumer group of the regional sink")
    dlq: str | None = Field(
        None, min_length=1, title="Dead-letter topic",
        description="where refused records go, with the reason in the headers; default: the topic with .dlq appended",
    )
    tls: KafkaTls | None = Field(None, title="TLS", description="connect over TLS; plaintext if unset")
    sasl: KafkaSasl | None = Field(None, title="SASL", description="log in with SASL/SCRAM; unauthenticated if unset")

    @property
    def dead_letters(self) -> str:
        return self.dlq or f"{self.topic}.dlq"

    def cluster(self) -> KafkaSettings:
        """These settings as the cluster settings the shared Kafka clients take."""
        return KafkaSettings(bootstrap=self.bootstrap, tls=self.tls, sasl=self.sasl, topics=KafkaTopics(dlq=self.dead_letters))


class RegionLake(_Section):
    path: Path = Field(title="Lake path", description="folder of the regional Parquet lake")


class RegionDeployment(_Section):
    """The whole regional deployment file."""

    region: Region = Field(title="Region", description="the region")
    cities: list[City] = Field(min_length=1, title="Cities", description="the cities that federate into this region")
    kafka: RegionKafka = Field(title="Kafka", description="where the count cells arrive")
    lake: RegionLake = Field(title="Lake", description="where they are kept")
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings, title="Metrics",
        description="the regional sink's Prometheus /metrics (metrics.region; 0, the default, for none)",
    )

    @model_validator(mode="after")
    def _unique(self) -> RegionDeployment:
        dupes = duplicated(c.id for c in self.cities)
        if dupes:
            raise ValueError(f"duplicate city ids: {', '.join(dupes)}")
        # A key id names one key of one city: the region takes the city from it.
        dupes = duplicated(k.id for c in self.cities for k in c.keys)
        if dupes:
            raise ValueError(f"duplicate key ids: {', '.join(dupes)}; each key id belongs to one city")
        return self


def keyring(cfg: RegionDeployment, environ: Mapping[str, str] | None = None) -> dict[str, CellKey]:
    """Every city's keys by key id, read from the environment; raises ``SigningKeyError`` naming the setting."""
    found: dict[str, CellKey] = {}
    for i, city in enumerate(cfg.cities):
        for j, entry in enumerate(city.keys):
            found[entry.id] = read_key(entry.env, entry.id, city.id, f"cities[{i}].keys[{j}].env", environ)
    by_secret: dict[bytes, str] = {}
    for key in found.values():
        other = by_secret.setdefault(key.secret, key.city)
        if other != key.city:  # either city could then sign as the other
            raise SigningKeyError(f"cities {other!r} and {key.city!r} have the same signing key; give each city its own")
    return found


def load(path: Path | str) -> RegionDeployment:
    """Validate a regional deployment file; raises ``ConfigError`` naming the file and key."""
    return configfile.load(path, RegionDeployment)
