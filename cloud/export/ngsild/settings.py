"""The ``ngsild`` exporter's config section: an NGSI-LD context broker, its tenant, token and @context.

Example:
    >>> c = NgsiLdConfig.model_validate({"type": "ngsild", "url": "http://broker:1026", "origin": {"lat": 51.0, "lon": 3.7}})
    >>> c.host, c.health
    ('broker:1026', True)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl

from cloud.export.common import ENV_NAME, ExporterBase

# The Smart Data Models contexts of the entity types sent (ItemFlowObserved, Device, DeviceMeasurement).
DEFAULT_CONTEXT = [
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Transportation/master/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld",
]


class NgsiLdConfig(ExporterBase):
    """Smart Data Models entities on an NGSI-LD context broker, by batch upsert with ``options=update``."""

    type: Literal["ngsild"] = Field(title="Type", description="the FIWARE NGSI-LD exporter")
    tenant: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{1,64}$", title="Tenant", description="the NGSILD-Tenant header; the default tenant if unset",
    )
    token_env: str | None = Field(
        None, pattern=ENV_NAME, title="Token variable",
        description="environment variable holding a bearer token for the broker; secrets never live in the config file",
    )
    context: list[HttpUrl] = Field(
        default_factory=lambda: [HttpUrl(u) for u in DEFAULT_CONTEXT], min_length=1, title="@context",
        description="the JSON-LD contexts every entity names",
    )
    health: bool = Field(True, title="Node health", description="also send each edge node as a Device and its health as DeviceMeasurements")

    def health_bucket(self) -> int | None:
        return min(self.buckets_s) if self.health else None

    def sends(self) -> tuple[list[str], list[str]]:
        found = [
            f"ItemFlowObserved: crossings per line, direction and class ({', '.join(self.classes)}) per "
            f"{', '.join(f'{b} s' for b in self.buckets_s)} bucket; DeviceMeasurement: peak occupancy per zone of those classes; "
            f"counts below k={self.k} suppressed; camera positions, line and zone ids",
        ]
        if self.health:
            found.append("Device and DeviceMeasurement: each edge node's id, fps, CPU, memory, temperature, dropped "
                         "frames and spool depth")
        return ["crossings", "occupancy", *(["health"] if self.health else [])], found
