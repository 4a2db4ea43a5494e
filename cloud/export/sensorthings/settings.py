"""The ``sensorthings`` exporter's config section: a SensorThings service root and its login.

Example:
    >>> c = SensorThingsConfig.model_validate({"type": "sensorthings", "url": "http://frost:8080/FROST-Server/v1.1",
    ...                                         "origin": {"lat": 53.55, "lon": 9.99}})
    >>> c.host, c.buckets_s
    ('frost:8080', [900, 3600, 86400])
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloud.export.common import ENV_NAME, ExporterBase


class SensorThingsConfig(ExporterBase):
    """Things, Datastreams and Observations on an OGC SensorThings API 1.1 server."""

    type: Literal["sensorthings"] = Field(title="Type", description="the OGC SensorThings API exporter")
    username: str | None = Field(
        None, pattern=r"^[^:\x00-\x1f\x7f]+$", title="User",
        description="HTTP basic login (no ':' and no control characters); none if unset",
    )
    password_env: str | None = Field(
        None, pattern=ENV_NAME, title="Password variable",
        description="environment variable holding the basic-auth password (e.g. from `citytwin --credentials FILE`); "
        "secrets never live in the config file",
    )

    def sends(self) -> tuple[list[str], list[str]]:
        return ["crossings", "occupancy"], [
            f"Observations: crossings per line, direction and class ({', '.join(self.classes)}) and peak occupancy per "
            f"zone of those classes, per {', '.join(f'{b} s' for b in self.buckets_s)} bucket, counts below k={self.k} suppressed",
            "Things and Locations: camera ids, names and positions; Datastreams: line and zone ids",
        ]
