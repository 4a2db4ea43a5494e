"""Kafka transport security settings, shared by a city's deployment file and the link to its region.

``tls`` encrypts the link and checks the broker; ``sasl`` authenticates the
client to the broker. Each can be used alone or both together; the
``cloud.kafka.security`` module turns them into each client library's options.

Example:
    >>> KafkaTls.model_validate({"ca_file": "/etc/citytwin/ca.pem"}).cert_file is None
    True
    >>> KafkaSasl.model_validate({"username": "citytwin-bridge"}).mechanism
    'SCRAM-SHA-512'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class KafkaTls(BaseModel):
    """TLS (Kafka's SSL security protocol) towards the brokers; certificates are PEM file paths on the host."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path | None = Field(
        None, title="CA file", description="PEM CA bundle that signed the broker certificates; the system store if unset"
    )
    cert_file: Path | None = Field(
        None, title="Client certificate", description="PEM client certificate, for brokers with ssl.client.auth=required"
    )
    key_file: Path | None = Field(None, title="Client key", description="PEM private key of the client certificate")
    key_password_env: str | None = Field(
        None,
        title="Key password variable",
        description="environment variable holding the password of an encrypted client key; secrets never live in the config file",
    )

    @model_validator(mode="after")
    def _cert_with_key(self) -> KafkaTls:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together: set both for mutual TLS, or neither")
        return self


class KafkaSasl(BaseModel):
    """SASL authentication towards the brokers: a user name here, its password in the environment."""

    model_config = ConfigDict(extra="forbid")

    # SCRAM only: the password never crosses the wire, so it is safe without TLS too (PLAIN would send it in clear).
    mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = Field(
        "SCRAM-SHA-512", title="Mechanism", description="SASL mechanism the brokers enable (sasl.enabled.mechanisms)"
    )
    username: str = Field(
        min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@-]+$", title="User name",
        description="the SCRAM user this client logs in as; one per service (citytwin credentials writes them)",
    )
    password_env: str = Field(
        "CITYTWIN_KAFKA_PASSWORD",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        title="Password variable",
        description="environment variable holding the user's password; secrets never live in the config file",
    )

