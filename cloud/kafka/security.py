"""A Kafka link's security (``tls`` and ``sasl``) as options for both client libraries the cloud uses.

This is the one place that decides ``security.protocol``: PLAINTEXT with
neither, SSL with ``tls``, SASL_PLAINTEXT with ``sasl`` and SASL_SSL with
both. librdkafka (bridge, sink, DLQ tools, topic creation, residency probe)
gets it through ``cloud.kafka.clients``; kafka-python (the twin's live tail,
the alert outlet, the federation and region clients) calls
``kafka_python_security`` directly. The TLS file options come from
``cloud.kafka.tls``.

Example:
    >>> from cloud.kafka.settings import KafkaSasl
    >>> sasl = KafkaSasl(username="citytwin-sink", password_env="PW")
    >>> librdkafka_security(None, sasl, {"PW": "s3cret"})["security.protocol"]
    'SASL_PLAINTEXT'
    >>> kafka_python_security(None, None)
    {}
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from citytwin.secretfile import MissingSecret
from cloud.kafka.settings import KafkaSasl, KafkaTls
from cloud.kafka.tls import kafka_python_tls, librdkafka_tls


def sasl_password(sasl: KafkaSasl, environ: Mapping[str, str] | None = None, section: str = "kafka") -> str:
    """The SASL password from the variable ``password_env`` names; raises naming the variable when it is unset or empty."""
    env = os.environ if environ is None else environ
    password = env.get(sasl.password_env)
    if not password:
        raise MissingSecret(
            f"{section}.sasl.password_env names {sasl.password_env}, which is not set: export it with the password "
            f"of Kafka user {sasl.username!r}, or start the service with --credentials FILE (citytwin credentials writes one)"
        )
    return password


def protocol(tls: KafkaTls | None, sasl: KafkaSasl | None) -> str:
    """Kafka's ``security.protocol`` for a link with these settings."""
    return {(False, False): "PLAINTEXT", (True, False): "SSL", (False, True): "SASL_PLAINTEXT", (True, True): "SASL_SSL"}[
        (tls is not None, sasl is not None)
    ]


# The same four settings under each library's names; kafka-python calls the SASL user "plain" for every mechanism.
_LIBRDKAFKA = {"protocol": "security.protocol", "mechanism": "sasl.mechanisms", "username": "sasl.username",
               "password": "sasl.password"}
_KAFKA_PYTHON = {"protocol": "security_protocol", "mechanism": "sasl_mechanism", "username": "sasl_plain_username",
                 "password": "sasl_plain_password"}


def _sasl(
    tls: KafkaTls | None, sasl: KafkaSasl | None, names: dict[str, str], environ: Mapping[str, str] | None, section: str
) -> dict[str, str]:
    if sasl is None:
        return {}
    values = {"protocol": protocol(tls, sasl), "mechanism": sasl.mechanism, "username": sasl.username,
              "password": sasl_password(sasl, environ, section)}
    return {names[name]: value for name, value in values.items()}


def librdkafka_security(
    tls: KafkaTls | None, sasl: KafkaSasl | None, environ: Mapping[str, str] | None = None, section: str = "kafka"
) -> dict[str, str]:
    """librdkafka properties for the link; empty (plaintext) with neither setting."""
    return {**librdkafka_tls(tls, environ), **_sasl(tls, sasl, _LIBRDKAFKA, environ, section)}


class _ScramInTheClear(logging.Filter):
    """Drops kafka-python's warning, at every connection, that SCRAM runs without TLS.

    SCRAM sends a proof, never the password, so the warning would only drown the
    log; whether the link is also encrypted is the deployment's ``tls`` setting.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "in the clear" not in record.getMessage()


_QUIET = _ScramInTheClear()


def kafka_python_security(
    tls: KafkaTls | None, sasl: KafkaSasl | None, environ: Mapping[str, str] | None = None, section: str = "kafka"
) -> dict[str, Any]:
    """kafka-python keyword arguments for the link; empty (plaintext) with neither setting."""
    if sasl is not None:
        logging.getLogger("kafka.net.sasl.scram").addFilter(_QUIET)  # a filter added twice is kept once
    return {**kafka_python_tls(tls, environ), **_sasl(tls, sasl, _KAFKA_PYTHON, environ, section)}
