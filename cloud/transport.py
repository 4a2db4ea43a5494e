"""Kafka transport security settings, shared by a city's deployment file and the link to its region.

Example:
    >>> KafkaTls.model_validate({"ca_file": "/etc/citytwin/ca.pem"}).cert_file is None
    True
"""

from __future__ import annotations

from pathlib import Path

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
