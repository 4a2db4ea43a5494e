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

from pathlib import Path
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


PMTILES_ROUTE = "/basemap.pmtiles"  # where the cockpit serves a configured PMTiles archive


class BasemapSettings(_Section):
    """What the map draws under the site: nothing (air-gapped), XYZ raster tiles, a MapLibre style, or a PMTiles file.

    Example:
        >>> BasemapSettings.model_validate({"type": "pmtiles", "path": "/srv/maps/city.pmtiles"}).screen()["url"]
        'pmtiles:///basemap.pmtiles'
    """

    type: Literal["none", "xyz", "style", "pmtiles"] = Field(
        "none", title="Basemap", description="none: the site's own layers on a plain background; xyz: raster tiles; "
        "style: a MapLibre style JSON; pmtiles: one PMTiles archive (raster or vector) on the cockpit's disk",
    )
    url: str | None = Field(
        None, max_length=2000, title="URL",
        description="xyz: a tile URL template with {z}/{x}/{y}; style: the style JSON's URL; https, or a path on the cockpit",
    )
    path: Path | None = Field(
        None, title="PMTiles file",
        description=f"pmtiles only: the archive on the cockpit's disk, served by the cockpit itself at {PMTILES_ROUTE} "
        "(with HTTP range requests) and to no one else's screen; nothing is fetched from outside",
    )
    attribution: str = Field("", max_length=300, title="Attribution", description="credit shown on the map, e.g. '© OpenStreetMap'")

    @model_validator(mode="after")
    def _source_fits_type(self) -> BasemapSettings:
        if self.type == "pmtiles":
            if self.url is not None or self.path is None:
                raise ValueError("a pmtiles basemap takes a path (the .pmtiles file on the cockpit's disk), not a url")
            return self
        if self.path is not None:
            raise ValueError(f"path is for a pmtiles basemap only; a {self.type!r} basemap takes a url")
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
        if self.type in ("none", "pmtiles") or not self.url:
            return []
        parts = urlsplit(self.url)
        return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme else []

    def screen(self) -> dict[str, str]:
        """What the screen needs to draw it: the file's path on the cockpit's disk stays on the cockpit."""
        url = f"pmtiles://{PMTILES_ROUTE}" if self.type == "pmtiles" else self.url or ""
        return {"type": self.type, "url": url, "attribution": self.attribution}


class CockpitSettings(_Section):
    """The operators' screen: sessions, login throttling and failed-login audit."""

    session_ttl_s: float = Field(
        12 * 3600.0, ge=60, le=7 * 86_400, title="Session lifetime",
        description="seconds a login lasts; an open live stream ends when its session does",
    )
    session_file: Path | None = Field(
        None, title="Sessions file",
        description="where open sessions are kept (token digests only, mode 600), so a restarted cockpit still knows "
        "them and a wall display carries on by itself; unset (the default): sessions end when the cockpit stops",
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
