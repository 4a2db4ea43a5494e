"""The ``cockpit`` section: how long sessions last, how logins are throttled, how failed logins are audited.

Every key has a safe default, so a deployment file needs the section only to
change something, e.g. behind a reverse proxy::

    cockpit:
      trusted_proxies: [10.0.0.5]   # believe X-Forwarded-For from this proxy only
      login: {user_failures: 3}

Example:
    >>> CockpitSettings.model_validate({"login": {"backoff_max_s": 60}}).login.backoff_max_s
    60.0
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginThrottleSettings(_Section):
    """Failed logins counted per user name and per client address; past a few, attempts wait out a backoff."""

    window_s: float = Field(
        3600.0, gt=0, title="Window", description="seconds a failed login keeps counting against its user name and address"
    )
    user_failures: int = Field(
        5, ge=1, le=100, title="Free failures per user", description="failed logins per user name in the window before backoff"
    )
    client_failures: int = Field(
        20, ge=1, le=1000, title="Free failures per address",
        description="failed logins per client address in the window before backoff; higher than per user, since "
        "operators behind one NAT share an address",
    )
    backoff_s: float = Field(
        1.0, gt=0, title="First backoff", description="seconds the first attempt past the free failures must wait; doubles each time"
    )
    backoff_max_s: float = Field(
        300.0, gt=0, le=86_400, title="Longest backoff", description="the doubling stops at this many seconds"
    )
    max_tracked: int = Field(
        10_000, ge=10, le=1_000_000, title="Tracked names and addresses",
        description="user names and addresses remembered at most (each); the least recently failed are forgotten first",
    )

    @model_validator(mode="after")
    def _backoff_order(self) -> LoginThrottleSettings:
        if self.backoff_max_s < self.backoff_s:
            raise ValueError("backoff_max_s must be at least backoff_s")
        return self


class LoginAuditSettings(_Section):
    """How failed logins reach the audit log without letting an anonymous caller grow it at will."""

    window_s: float = Field(
        300.0, ge=1, le=3600, title="Summary window", description="seconds per window; one summary record per window at most"
    )
    individual: int = Field(
        20, ge=0, le=1000, title="Individual records",
        description="failed logins per window recorded one by one (the first per user name and address); the rest are counted",
    )
    summary_sources: int = Field(
        50, ge=1, le=1000, title="Summary sources",
        description="user name and address pairs counted one by one in a summary; further pairs are added up as 'other'",
    )


class BasemapSettings(_Section):
    """What the map draws under the site: nothing (air-gapped), XYZ raster tiles, or a MapLibre style."""

    type: Literal["none", "xyz", "style"] = Field(
        "none", title="Basemap", description="none: the site's own layers on a plain background; xyz: raster tiles; "
        "style: a MapLibre style JSON",
    )
    url: str | None = Field(
        None, max_length=2000, title="URL",
        description="xyz: a tile URL template with {z}/{x}/{y}; style: the style JSON's URL; https, or a path on the cockpit",
    )
    attribution: str = Field("", max_length=300, title="Attribution", description="credit shown on the map, e.g. '© OpenStreetMap'")

    @model_validator(mode="after")
    def _url_fits_type(self) -> BasemapSettings:
        if self.type == "none":
            return self
        if not self.url:
            raise ValueError(f"basemap type {self.type!r} needs a url")
        parts = urlsplit(self.url)
        if not (parts.scheme == "https" and parts.netloc) and not (not parts.scheme and self.url.startswith("/")):
            raise ValueError(f"basemap url must be https://... or a path on the cockpit, got {self.url[:80]!r}")
        if self.type == "xyz" and not all(k in self.url for k in ("{z}", "{x}", "{y}")):
            raise ValueError("an xyz basemap url needs {z}, {x} and {y}, e.g. https://tiles.example/{z}/{x}/{y}.png")
        return self

    def origins(self) -> list[str]:
        """The origins the screen must be allowed to fetch from (for the Content-Security-Policy)."""
        if self.type == "none" or not self.url:
            return []
        parts = urlsplit(self.url)
        return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme else []


class CockpitSettings(_Section):
    """The operators' screen: sessions, login throttling and failed-login audit."""

    session_ttl_s: float = Field(
        12 * 3600.0, ge=60, le=7 * 86_400, title="Session lifetime",
        description="seconds a login lasts; an open live stream ends when its session does",
    )
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list, title="Trusted proxies",
        description="addresses or networks of reverse proxies whose X-Forwarded-For names the client; empty (the "
        "default): the socket peer is the client and the header is ignored",
    )
    login: LoginThrottleSettings = Field(
        default_factory=LoginThrottleSettings, title="Login throttle", description="backoff after failed logins"
    )
    basemap: BasemapSettings = Field(
        default_factory=BasemapSettings, title="Basemap", description="what the map draws under the site; none by default"
    )
    degraded_fps: float = Field(
        2.0, ge=0, le=1000, title="Degraded below",
        description="frames per second under which a reporting camera is shown as degraded",
    )
    login_audit: LoginAuditSettings = Field(
        default_factory=LoginAuditSettings, title="Failed-login audit", description="how failed logins are recorded"
    )
