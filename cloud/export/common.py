"""What every exporter's config section holds: where the plan lies on the earth, buckets, k, timing, HTTP limits.

Leaf module: pydantic, the standard library and ``contract`` only, so that
loading a deployment imports no HTTP client.

Example:
    >>> GeoOrigin(lat=53.55, lon=9.99).lat
    53.55
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from contract.vocab import ObjectClass

# Hamburg publishes its counting stations per 15 minutes, hour and day.
DEFAULT_BUCKETS = [900, 3600, 86400]
DAY_S = 86_400
# The classes most counting stations publish; a city adds others by listing them.
DEFAULT_CLASSES: list[ObjectClass] = ["person", "bicycle", "car", "motorcycle", "bus", "truck", "boat"]
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class GeoOrigin(BaseModel):
    """Where the site plan's top-left corner lies; the plan is drawn north up, in metres."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-85, le=85, title="Latitude", description="degrees north of the plan's top-left corner (WGS 84)")
    lon: float = Field(ge=-180, le=180, title="Longitude", description="degrees east of the plan's top-left corner (WGS 84)")


class ExporterBase(BaseModel):
    """Settings every exporter has; each plugin adds its own and a ``type`` of its own."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(title="Service root", description="base URL of the platform the exporter writes to")
    origin: GeoOrigin = Field(title="Plan origin", description="where the site plan's top-left corner lies on the earth")
    buckets_s: list[int] = Field(
        default_factory=lambda: list(DEFAULT_BUCKETS), min_length=1, title="Buckets",
        description="lengths of the time buckets exported, in seconds; each divides a day (default 15 min, hour, day)",
    )
    classes: list[ObjectClass] = Field(
        default_factory=lambda: list(DEFAULT_CLASSES), min_length=1, title="Object classes",
        description="the detector classes whose crossings and zone occupancy are exported; others stay in the city",
    )
    k: int = Field(
        10, ge=1, title="Suppression threshold",
        description="counts and occupancy peaks below this are never exported (as federation's k); 1 exports everything",
    )
    grace_s: float = Field(
        300.0, ge=0, le=DAY_S, title="Grace", description="a bucket is exported only this long after it ended, so late events count",
    )
    lookback_days: float = Field(
        2.0, gt=0, le=366, title="Look-back",
        description="each export covers the closed buckets of this many days; re-exports add only what is missing",
    )
    timeout_s: float = Field(30.0, gt=0, le=600, title="Timeout", description="seconds one HTTP request may take in all")
    deadline_s: float = Field(
        3600.0, gt=0, le=DAY_S, title="Deadline",
        description="seconds one export may take in all, however many requests a slow server makes it send",
    )
    max_response_mb: float = Field(
        16.0, gt=0, le=1024, title="Largest response",
        description="MiB one response may hold; a larger one fails the export instead of filling memory",
    )
    leaves_city: bool = Field(
        True, title="Leaves the city",
        description="whether the platform runs outside the city's own systems (a regional or national portal); "
        "false for the city's own open-data server. Shown in the residency manifest",
    )
    batch_size: int = Field(1000, ge=1, le=100_000, title="Batch size", description="observations or entities per request")

    @field_validator("url")
    @classmethod
    def _no_secrets_in_url(cls, url: HttpUrl) -> HttpUrl:
        # The url is written to the audit log, the residency manifest and every error; a login in it would be too.
        if url.username is not None or url.password is not None:
            raise ValueError("the url holds a login (user:password@); give `username` and `password_env` "
                             "(or `token_env`) instead, so that no secret is written to the config, the audit log or errors")
        if url.query or url.fragment:
            raise ValueError("the url holds a query or fragment (?... or #...); give the service root only, "
                             "e.g. https://iot.example.org/FROST-Server/v1.1")
        return url

    @field_validator("buckets_s")
    @classmethod
    def _divide_a_day(cls, buckets: list[int]) -> list[int]:
        wrong = [b for b in buckets if b < 60 or DAY_S % b]
        if wrong:
            raise ValueError(f"{wrong}: every bucket must be at least 60 s and divide a day (86400 s), e.g. 900, 3600, 86400")
        if len(set(buckets)) != len(buckets):
            raise ValueError(f"{buckets}: a bucket length is listed twice")
        ordered = sorted(buckets)
        # Buckets that overlap without nesting (600 and 900 s) difference into counts of 300 s that k never saw.
        apart = [(a, b) for a, b in zip(ordered, ordered[1:]) if b % a]
        if apart:
            raise ValueError(f"{apart[0][1]} s is not a multiple of {apart[0][0]} s: each bucket must divide the next "
                             "longer one (e.g. 900, 3600, 86400), or subtracting one from the other gives counts below k")
        return ordered

    def health_bucket(self) -> int | None:
        """The bucket length node health is sent in; None when this exporter sends no health."""
        return None

    def sends(self) -> tuple[list[str], list[str]]:
        """The twin's datasets this exporter reads, and what of them it sends, for the residency manifest."""
        raise NotImplementedError

    @property
    def host(self) -> str:
        """The host (and port) data is sent to, for the residency manifest."""
        port = f":{self.url.port}" if self.url.port not in (None, 80, 443) else ""
        return f"{self.url.host}{port}"
