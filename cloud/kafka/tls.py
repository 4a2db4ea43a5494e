"""The deployment's ``kafka.tls`` as client options, for both Kafka libraries the cloud uses.

The bridge, the sink and the DLQ tools speak librdkafka (confluent-kafka); the
twin's live tail and the rules' alert outlet speak kafka-python. Both get their
TLS options from here, so a broker that requires TLS is reached the same way
by every service. Hostname verification stays on in both: the broker
certificate must name the host (or IP address) given in ``kafka.bootstrap``.

Example:
    >>> from cloud.kafka.settings import KafkaTls
    >>> librdkafka_tls(KafkaTls(ca_file="/etc/citytwin/tls/ca.crt"))
    {'security.protocol': 'SSL', 'ssl.ca.location': '/etc/citytwin/tls/ca.crt'}
    >>> kafka_python_tls(None)
    {}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from citytwin.secretfile import MissingSecret
from cloud.kafka.settings import KafkaTls


def key_password(tls: KafkaTls, environ: Mapping[str, str] | None = None) -> str | None:
    """The client key's password from the variable ``key_password_env`` names; None if none is named."""
    if tls.key_password_env is None:
        return None
    env = os.environ if environ is None else environ
    password = env.get(tls.key_password_env)
    if password is None:
        raise MissingSecret(
            f"kafka.tls.key_password_env names {tls.key_password_env}, which is not set; "
            "export it with the client key's password, or remove key_password_env for an unencrypted key"
        )
    return password


# The same five settings under each library's names.
_LIBRDKAFKA = {"protocol": "security.protocol", "ca": "ssl.ca.location", "cert": "ssl.certificate.location",
               "key": "ssl.key.location", "password": "ssl.key.password"}
_KAFKA_PYTHON = {"protocol": "security_protocol", "ca": "ssl_cafile", "cert": "ssl_certfile",
                 "key": "ssl_keyfile", "password": "ssl_password"}


def _options(tls: KafkaTls | None, names: dict[str, str], environ: Mapping[str, str] | None) -> dict[str, str]:
    if tls is None:
        return {}
    values = {"protocol": "SSL", "ca": tls.ca_file, "cert": tls.cert_file, "key": tls.key_file,
              "password": key_password(tls, environ)}
    return {names[name]: str(value) for name, value in values.items() if value is not None}


def librdkafka_tls(tls: KafkaTls | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """librdkafka properties for ``tls``; empty (plaintext) when it is None."""
    return _options(tls, _LIBRDKAFKA, environ)


def kafka_python_tls(tls: KafkaTls | None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """kafka-python keyword arguments for ``tls``; empty (plaintext) when it is None."""
    options: dict[str, Any] = _options(tls, _KAFKA_PYTHON, environ)
    if options:
        options["ssl_check_hostname"] = True  # its default too; stated because verification is the point
    return options
