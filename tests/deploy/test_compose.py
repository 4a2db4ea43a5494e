"""docker-compose.yml is checked by parsing: no Docker engine runs in CI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from citytwin.cli import build_parser
from citytwin.paths import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"


def _services() -> dict[str, dict[str, Any]]:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert isinstance(services, dict)
    return services


def _citytwin_services() -> list[tuple[str, list[str]]]:
    return [
        (name, spec["command"])
        for name, spec in _services().items()
        if isinstance(spec.get("command"), list) and spec["command"][0] == "citytwin"
    ]


def test_compose_has_the_whole_pipeline() -> None:
    services = _services()
    commands = {cmd[1] for _, cmd in _citytwin_services()}
    assert {"mosquitto", "kafka"} <= services.keys()
    assert {"bridge", "sink", "cockpit", "edge"} <= commands
    edges = [name for name, cmd in _citytwin_services() if cmd[1] == "edge"]
    assert len(edges) >= 2, "expected several emulated edge nodes"
    assert services["mosquitto"]["image"].startswith("eclipse-mosquitto:")
    assert services["kafka"]["image"].startswith("apache/kafka:")


@pytest.mark.parametrize(("service", "command"), _citytwin_services())
def test_every_service_command_exists_in_the_cli(service: str, command: list[str]) -> None:
    parser = build_parser()
    try:
        args = parser.parse_args(command[1:])
    except SystemExit as exc:  # argparse exits on an unknown command or option
        pytest.fail(f"service {service!r}: {' '.join(command)} is not a valid citytwin command ({exc})")
    assert args._command.name == command[1]


def test_kafka_image_matches_the_pinned_broker_version() -> None:
    pom = (REPO_ROOT / "ops" / "brokers" / "kafka" / "pom.xml").read_text()
    pinned = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    assert pinned, "ops/brokers/kafka/pom.xml must pin <kafka.version>"
    assert _services()["kafka"]["image"] == f"apache/kafka:{pinned.group(1)}"


def test_host_ports_bind_to_loopback_only() -> None:
    for name, spec in _services().items():
        for port in spec.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"service {name!r} publishes {port} beyond loopback"


def test_mounted_host_files_exist() -> None:
    for name, spec in _services().items():
        for volume in spec.get("volumes", []):
            host = str(volume).split(":")[0]
            if host.startswith("./"):
                assert (REPO_ROOT / host).exists(), f"service {name!r} mounts missing {host}"


def test_image_build_context_has_a_dockerfile() -> None:
    assert (REPO_ROOT / "Dockerfile").is_file()
    for line in re.findall(r"^COPY (.+)$", (REPO_ROOT / "Dockerfile").read_text(), re.M):
        for path in line.split()[:-1]:
            assert (REPO_ROOT / path).exists(), f"Dockerfile copies missing {path}"
