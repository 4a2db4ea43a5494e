"""docker-compose.yml is safe as parsed: no anonymous broker, a login for every service, a read-only lake in the cockpit."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from citytwin.deployment import load
from citytwin.paths import REPO_ROOT
from cloud.security.credentials import write_all

COMPOSE = REPO_ROOT / "docker-compose.yml"
SITE = REPO_ROOT / "deploy" / "demo-site.yaml"
BROKERS = {"mosquitto", "kafka"}
# Services that only write the lake and the audit log; the rest talk to a broker.
NO_BROKER = {"retention"}


def services() -> dict[str, dict[str, Any]]:
    found = yaml.safe_load(COMPOSE.read_text())["services"]
    assert isinstance(found, dict)
    return found


def citytwin_services() -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in services().items() if spec.get("command", [None])[0] == "citytwin"}


def mounts(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every volume of a service in the long syntax: type, source, target, read_only, subpath."""
    found = []
    for volume in spec.get("volumes", []):
        if isinstance(volume, dict):
            found.append({**volume, "subpath": (volume.get("volume") or {}).get("subpath")})
            continue
        source, target, *mode = str(volume).split(":")
        kind = "bind" if source.startswith(("./", "/")) else "volume"
        found.append({"type": kind, "source": source, "target": target, "read_only": mode == ["ro"], "subpath": None})
    return found


def mount_of(spec: dict[str, Any], path: str) -> dict[str, Any]:
    """The mount that holds ``path`` inside the container (the deepest target above it)."""
    holding = [m for m in mounts(spec) if PurePosixPath(path).is_relative_to(m["target"])]
    assert holding, f"nothing is mounted at {path}"
    return max(holding, key=lambda m: len(PurePosixPath(m["target"]).parts))


def conf_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def properties(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in conf_lines(path))


def test_mosquitto_refuses_anonymous_clients_and_reads_the_generated_logins() -> None:
    spec = services()["mosquitto"]
    conf = mount_of(spec, "/mosquitto/config/mosquitto.conf")
    lines = conf_lines(REPO_ROOT / conf["source"])
    assert "allow_anonymous false" in lines and "allow_anonymous true" not in lines
    # Settings per listener would need allow_anonymous on each one; the file must not switch that on.
    assert "per_listener_settings true" not in lines
    for key, name in (("password_file", "passwd"), ("acl_file", "acl")):
        (path,) = [line.split(None, 1)[1] for line in lines if line.startswith(key + " ")]
        source = mount_of(spec, path)
        assert (source["source"], source["subpath"], source["read_only"]) == ("secrets", "mosquitto", True), key
        assert PurePosixPath(path).name == name


def broker_properties(spec: dict[str, Any]) -> dict[str, str]:
    """What deploy/kafka/start.sh starts the broker with: the mounted file plus the SCRAM lines of scram.sh."""
    folder = REPO_ROOT / mount_of(spec, "/etc/citytwin/kafka/start.sh")["source"]
    assert "scram_broker_properties" in (folder / "start.sh").read_text()
    scram = REPO_ROOT / mount_of(spec, "/opt/citytwin/scram.sh")["source"]
    added = subprocess.run(["bash", "-c", 'source "$0" && scram_broker_properties kafka-broker pw', str(scram)],
                           capture_output=True, text=True, check=True).stdout
    return {**properties(folder / "server.properties"), **dict(line.split("=", 1) for line in added.splitlines())}


def test_kafka_listeners_all_need_a_scram_login() -> None:
    spec = services()["kafka"]
    assert not any(key.startswith("KAFKA_") and "LISTENER" in key for key in spec.get("environment", {})), \
        "listeners come from deploy/kafka/server.properties, not from the image's defaults"
    assert spec["command"] == ["/bin/bash", "/etc/citytwin/kafka/start.sh"]
    props = broker_properties(spec)
    protocols = dict(item.split(":") for item in props["listener.security.protocol.map"].split(","))
    for listener in props["listeners"].split(","):
        name, address = listener.split("://")
        if name == props["controller.listener.names"]:
            assert address.startswith("127.0.0.1:"), "the controller listener must stay inside the container"
        else:
            assert protocols[name] in ("SASL_PLAINTEXT", "SASL_SSL"), f"listener {listener} takes clients without a login"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    users = mount_of(spec, "/etc/kafka/citytwin-secrets/scram-users")
    assert (users["source"], users["subpath"], users["read_only"]) == ("secrets", "kafka", True)
    assert "--command-config" in " ".join(spec["healthcheck"]["test"]), "the health check must log in too"


def test_the_deployment_file_asks_every_kafka_client_to_log_in() -> None:
    cfg = load(SITE, environ={})
    assert cfg.kafka.sasl is not None and cfg.kafka.sasl.mechanism == "SCRAM-SHA-512"


def test_every_service_mounts_its_own_logins_and_only_those(tmp_path: Path) -> None:
    written = {s.name for s in write_all(load(SITE, environ={}), tmp_path)}
    for name, spec in citytwin_services().items():
        from_secrets = [m for m in mounts(spec) if m["source"] == "secrets"]
        if name == "secrets":
            continue
        if name in NO_BROKER:
            assert not from_secrets and "CITYTWIN_CREDENTIALS" not in spec.get("environment", {}), name
            continue
        credentials = spec["environment"]["CITYTWIN_CREDENTIALS"]
        assert [(m["subpath"], m["read_only"]) for m in from_secrets] == [(f"services/{name}", True)], name
        assert mount_of(spec, credentials) == from_secrets[0], f"{name}: CITYTWIN_CREDENTIALS is not in its mount"
        assert name in written and (tmp_path / "services" / name / PurePosixPath(credentials).name).is_file(), \
            f"citytwin credentials writes no logins for {name}"
    for name in BROKERS:
        assert all(m["subpath"] == name for m in mounts(services()[name]) if m["source"] == "secrets"), name


def test_the_secrets_service_hands_each_part_to_the_user_that_reads_it() -> None:
    all_services = services()
    command = all_services["secrets"]["command"]
    assert command[:2] == ["citytwin", "credentials"]
    owners = dict(command[i + 1].split("=") for i, arg in enumerate(command) if arg == "--owner")
    assert owners["mosquitto"] == all_services["mosquitto"]["user"]
    assert owners["kafka"] == all_services["kafka"]["user"]
    for name, spec in citytwin_services().items():
        if name != "secrets":
            assert spec["user"] == owners["services"], f"{name} runs as another user than owns its logins"
    assert all_services["secrets"]["restart"] == "no"
    for name, spec in all_services.items():
        if name != "secrets" and spec.get("volumes") and any(m["source"] == "secrets" for m in mounts(spec)):
            assert spec["depends_on"]["secrets"]["condition"] == "service_completed_successfully", name
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert f"--uid {owners['services'].split(':')[0]}" in dockerfile


def test_the_cockpit_reads_the_lake_read_only_and_writes_decisions_to_their_own_volume() -> None:
    cfg = load(SITE, environ={})
    lake, decisions = str(cfg.lake_dir), str(cfg.rules.decisions_log(cfg.lake_dir))
    cockpit = citytwin_services()["cockpit"]
    assert mount_of(cockpit, lake)["read_only"], "the cockpit must mount the lake read-only"
    own = mount_of(cockpit, decisions)
    assert own["type"] == "volume" and not own["read_only"] and own["source"] != mount_of(cockpit, lake)["source"]
    assert not PurePosixPath(decisions).is_relative_to(lake)
    rules = citytwin_services()["rules"]
    assert mount_of(rules, decisions)["source"] == own["source"], "the rule service must read the same decisions"
    assert mount_of(rules, decisions)["read_only"]


@pytest.mark.parametrize("name", sorted(set(citytwin_services()) - {"sink", "rules", "retention", "secrets"}))
def test_only_the_lake_writers_mount_it_writable(name: str) -> None:
    spec = citytwin_services()[name]
    lake = [m for m in mounts(spec) if m["source"] == "lake"]
    assert all(m["read_only"] for m in lake), f"{name} mounts the lake writable"
