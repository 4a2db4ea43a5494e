"""The MQTT broker connection, as both ends of the link configure it.

Edge nodes publish and cloud services (the bridge, the rule service) read
and publish on the same broker, from the same ``mqtt`` section of the
deployment file. The keys they share are defined once here; each side adds
its own (the edge its spool, the cloud its tolerance of the edge's keys).
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class MqttTls(BaseModel):
    """TLS towards the MQTT broker; certificates are file paths on the host."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path | None = Field(None, title="CA file", description="CA bundle that signed the broker certificate")
    cert_file: Path | None = Field(None, title="Client certificate", description="client certificate for mutual TLS")
    key_file: Path | None = Field(None, title="Client key", description="private key of the client certificate")


class MqttConnection(BaseModel):
    """Where the broker is and how to log in to it; secrets come from the environment."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["mqtt"] = Field("mqtt", title="Type", description="transport; only MQTT exists")
    host: str = Field("127.0.0.1", title="Broker host", description="MQTT broker host name or address")
    port: int = Field(1883, ge=1, le=65535, title="Broker port", description="MQTT broker port")
    username: str | None = Field(None, title="User name", description="MQTT user name, if the broker requires one")
    password_env: str = Field(
        "CITYTWIN_MQTT_PASSWORD",
        title="Password variable",
        description="environment variable holding the MQTT password; secrets never live in the config file",
    )
    tls: MqttTls | None = Field(None, title="TLS", description="enable TLS with these settings")
    keepalive_s: int = Field(30, ge=5, title="Keep-alive", description="seconds between pings")

    def configure_paho(self, client: Any) -> None:
        """Set credentials and TLS on a paho-mqtt client, before it connects."""
        if self.username:
            client.username_pw_set(self.username, os.environ.get(self.password_env))
        if self.tls is not None:
            client.tls_set(
                ca_certs=str(self.tls.ca_file) if self.tls.ca_file else None,
                certfile=str(self.tls.cert_file) if self.tls.cert_file else None,
                keyfile=str(self.tls.key_file) if self.tls.key_file else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
