"""The regional twin's own deployment file: the region, its cities on a map, the Kafka it listens on, its lake.

Example:
    >>> RegionDeployment.model_validate({
    ...     "region": {"id": "flanders", "name": "Flanders"},
    ...     "cities": [{"id": "ghent", "name": "Ghent", "lat": 51.05, "lon": 3.72}],
    ...     "kafka": {"bootstrap": "127.0.0.1:9092"}, "lake": {"path": "/tmp/region"}}).kafka.topic
    'citytwin.region.counts'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citytwin import configfile
from cloud.transport import KafkaSasl, KafkaTls
from edge.events.model import Ident
from edge.events.site import duplicated


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Region(_Section):
    id: Ident = Field(title="Region id", description="short id of the region")
    name: str = Field(title="Name", description="name shown on the regional screen")


class City(_Section):
    id: Ident = Field(title="City id", description="the id the city exports under (its federation.city or site id)")
    name: str = Field(title="Name", description="name shown on the map")
    lat: float = Field(ge=-90, le=90, title="Latitude", description="where the city is drawn, degrees north")
    lon: float = Field(ge=-180, le=180, title="Longitude", description="where the city is drawn, degrees east")


class RegionKafka(_Section):
    bootstrap: str = Field(title="Bootstrap servers", description="the regional Kafka the cities publish to")
    topic: str = Field("citytwin.region.counts", min_length=1, title="Topic", description="topic of the count cells")
    group: str = Field("citytwin-region", min_length=1, title="Consumer group", description="consumer group of the regional sink")
    tls: KafkaTls | None = Field(None, title="TLS", description="connect over TLS; plaintext if unset")
    sasl: KafkaSasl | None = Field(None, title="SASL", description="log in with SASL/SCRAM; unauthenticated if unset")


class RegionLake(_Section):
    path: Path = Field(title="Lake path", description="folder of the regional Parquet lake")


class RegionDeployment(_Section):
    """The whole regional deployment file."""

    region: Region = Field(title="Region", description="the region")
    cities: list[City] = Field(min_length=1, title="Cities", description="the cities that federate into this region")
    kafka: RegionKafka = Field(title="Kafka", description="where the count cells arrive")
    lake: RegionLake = Field(title="Lake", description="where they are kept")

    @model_validator(mode="after")
    def _unique(self) -> RegionDeployment:
        dupes = duplicated(c.id for c in self.cities)
        if dupes:
            raise ValueError(f"duplicate city ids: {', '.join(dupes)}")
        return self


def load(path: Path | str) -> RegionDeployment:
    """Validate a regional deployment file; raises ``ConfigError`` naming the file and key."""
    return configfile.load(path, RegionDeployment)
