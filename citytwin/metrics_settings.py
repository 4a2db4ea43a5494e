"""The deployment's ``metrics`` section: where each service serves its Prometheus ``/metrics``.

Every service of a deployment (``edge``, ``bridge``, ``sink``, ``rules``,
``cockpit``, ``federate``, ``retention``, ``export``; ``region`` in a regional
file) has its own port here. A port of 0, the default, serves nothing: one host runs
several services, and several test runs, so no port is taken unless the
deployment asks for it. ``bind`` is 127.0.0.1 unless the deployment opens it
to the network its Prometheus scrapes from (``docker-compose.yml`` does). The
series carry counts, latencies and ages only: no user, no track, no payload.

Example:
    >>> MetricsSettings(bridge=9301).port("bridge"), MetricsSettings().port("sink")
    (9301, 0)
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ServiceName = Literal["edge", "bridge", "sink", "rules", "cockpit", "federate", "retention", "export", "region"]


def _port(service: str) -> int:
    return Field(0, ge=0, le=65535, title=f"{service} port",
                 description=f"port of the {service}'s /metrics; 0 (the default) serves none")


class MetricsSettings(BaseModel):
    """Each service's Prometheus endpoint."""

    model_config = ConfigDict(extra="forbid")

    bind: str = Field(
        "127.0.0.1", title="Bind address",
        description="IP address every /metrics listens on; 127.0.0.1 unless Prometheus scrapes from another host",
    )
    edge: int = _port("edge node")
    bridge: int = _port("bridge")
    sink: int = _port("sink")
    rules: int = _port("rules service")
    cockpit: int = _port("cockpit")
    federate: int = _port("federation exporter")
    retention: int = _port("retention job (with --every)")
    export: int = _port("open-data exporters")
    region: int = _port("regional sink")

    @field_validator("bind")
    @classmethod
    def _an_address(cls, value: str) -> str:
        # A host name would be resolved at start-up to whatever it names then; an address says what is opened.
        try:
            return str(ip_address(value))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address; give one, e.g. 127.0.0.1 or 0.0.0.0") from None

    def port(self, service: ServiceName) -> int:
        """The port ``service`` serves ``/metrics`` on; 0 for none."""
        return int(getattr(self, service))
