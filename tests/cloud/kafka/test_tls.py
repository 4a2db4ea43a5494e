"""``kafka.tls`` in the deployment file and the client options both Kafka libraries get from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from citytwin import deployment
from citytwin.errors import ConfigError
from cloud.kafka.clients import admin_config, consumer_config, producer_config
from cloud.kafka.settings import KafkaSettings, KafkaTls
from cloud.kafka.tls import kafka_python_tls, librdkafka_tls

MUTUAL = KafkaTls(ca_file=Path("/tls/ca.crt"), cert_file=Path("/tls/c.crt"), key_file=Path("/tls/c.key"), key_password_env="PW")


@pytest.mark.parametrize(
    ("tls", "librdkafka", "kafka_python"),
    [
        (None, {}, {}),
        (KafkaTls(), {"security.protocol": "SSL"}, {"security_protocol": "SSL", "ssl_check_hostname": True}),
        (
            MUTUAL,
            {"security.protocol": "SSL", "ssl.ca.location": "/tls/ca.crt", "ssl.certificate.location": "/tls/c.crt",
             "ssl.key.location": "/tls/c.key", "ssl.key.password": "s3cret"},
            {"security_protocol": "SSL", "ssl_check_hostname": True, "ssl_cafile": "/tls/ca.crt", "ssl_certfile": "/tls/c.crt",
             "ssl_keyfile": "/tls/c.key", "ssl_password": "s3cret"},
        ),
    ],
)
def test_options_per_library(tls: KafkaTls | None, librdkafka: dict[str, str], kafka_python: dict[str, Any]) -> None:
    assert librdkafka_tls(tls, {"PW": "s3cret"}) == librdkafka
    assert kafka_python_tls(tls, {"PW": "s3cret"}) == kafka_python


@pytest.mark.parametrize("build", [admin_config, lambda k, c: producer_config(k, c), lambda k, c: consumer_config(k, "g", c)])
def test_every_librdkafka_client_gets_tls(build: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "s3cret")
    assert build(KafkaSettings(tls=MUTUAL), "c")["ssl.key.location"] == "/tls/c.key"
    assert "security.protocol" not in build(KafkaSettings(), "c")


def test_the_deployment_file_takes_kafka_tls(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("site: {id: campus, name: Campus, width_m: 10, height_m: 10}\nlake: {path: /tmp/lake}\n"
                    "kafka: {tls: {ca_file: /tls/ca.crt, cert_file: /tls/c.crt, key_file: /tls/c.key}}\n")
    assert deployment.load(path, environ={}).kafka.tls == KafkaTls(ca_file="/tls/ca.crt", cert_file="/tls/c.crt", key_file="/tls/c.key")


@pytest.mark.parametrize("tls", ["{cert_file: /tls/c.crt}", "{key_file: /tls/c.key}", "{ca: /tls/ca.crt}"])
def test_incomplete_or_misspelt_tls_names_the_key(tmp_path: Path, tls: str) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(f"site: {{id: c, name: C, width_m: 1, height_m: 1}}\nlake: {{path: /tmp/lake}}\nkafka: {{tls: {tls}}}\n")
    with pytest.raises(ConfigError, match=r"kafka\.tls"):
        deployment.load(path, environ={})
