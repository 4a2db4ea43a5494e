"""The broker scripts fail fast with actionable messages on bad setups."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.brokers import BROKERS_DIR

KAFKA = BROKERS_DIR / "kafka.sh"
MOSQUITTO = BROKERS_DIR / "mosquitto.sh"
BROKERS = BROKERS_DIR / "brokers.sh"


def _run(script: Path, *args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment with a private run dir and free ports, so nothing real is touched."""
    return {
        **os.environ,
        "CITYTWIN_RUN": str(tmp_path / "run"),
        "CITYTWIN_MQTT_PORT": str(_free_port()),
        "CITYTWIN_KAFKA_PORT": str(_free_port()),
        "CITYTWIN_KAFKA_CONTROLLER_PORT": str(_free_port()),
    }


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port held by a listening socket of this process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _path_without(tmp_path: Path, *missing: str) -> str:
    """A PATH with every command of the current PATH except MISSING (linked, not copied)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            link = bin_dir / name
            target = os.path.join(directory, name)
            if name in missing or link.exists() or not os.access(target, os.X_OK):
                continue
            link.symlink_to(target)
    return str(bin_dir)


@pytest.mark.parametrize("script", [KAFKA, MOSQUITTO, BROKERS], ids=lambda p: p.name)
def test_help(script: Path, env: dict[str, str]) -> None:
    result = _run(script, "--help", env=env)
    assert result.returncode == 0
    assert "usage:" in result.stdout


@pytest.mark.parametrize("script", [KAFKA, MOSQUITTO], ids=lambda p: p.name)
def test_status_and_stop_when_nothing_runs(script: Path, env: dict[str, str]) -> None:
    status = _run(script, "status", env=env)
    assert status.returncode == 3
    assert "stopped" in status.stdout
    stop = _run(script, "stop", env=env)
    assert stop.returncode == 0, stop.stderr


def test_unknown_command_is_a_usage_error(env: dict[str, str]) -> None:
    result = _run(KAFKA, "bogus", env=env)
    assert result.returncode == 2
    assert "usage:" in result.stderr


@pytest.mark.mqtt
def test_mosquitto_port_taken(env: dict[str, str], taken_port: int) -> None:
    env["CITYTWIN_MQTT_PORT"] = str(taken_port)
    result = _run(MOSQUITTO, "start", env=env)
    assert result.returncode != 0
    assert f"port {taken_port} on 127.0.0.1 is in use by pid {os.getpid()}" in result.stderr
    assert "CITYTWIN_MQTT_PORT" in result.stderr


@pytest.mark.kafka
@pytest.mark.parametrize("variable", ["CITYTWIN_KAFKA_PORT", "CITYTWIN_KAFKA_CONTROLLER_PORT"])
def test_kafka_port_taken(env: dict[str, str], taken_port: int, variable: str) -> None:
    env[variable] = str(taken_port)
    result = _run(KAFKA, "start", env=env)
    assert result.returncode != 0
    assert f"port {taken_port} on 127.0.0.1 is in use by pid {os.getpid()}" in result.stderr
    assert variable in result.stderr


def test_invalid_port_value(env: dict[str, str]) -> None:
    env["CITYTWIN_KAFKA_PORT"] = "90x2"
    result = _run(KAFKA, "start", env=env)
    assert result.returncode != 0
    assert "CITYTWIN_KAFKA_PORT=90x2 is not a valid TCP port" in result.stderr


@pytest.mark.kafka
def test_java_missing(env: dict[str, str], tmp_path: Path) -> None:
    env["PATH"] = _path_without(tmp_path, "java")
    env.pop("JAVA_HOME", None)
    result = _run(KAFKA, "start", env=env)
    assert result.returncode != 0
    assert "java not found: install openjdk-17-jre-headless (apt-get install" in result.stderr


@pytest.mark.kafka
def test_java_too_old(env: dict[str, str], tmp_path: Path) -> None:
    fake_home = tmp_path / "jdk11"
    (fake_home / "bin").mkdir(parents=True)
    java = fake_home / "bin" / "java"
    java.write_text('#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n')
    java.chmod(0o755)
    env["JAVA_HOME"] = str(fake_home)
    result = _run(KAFKA, "start", env=env)
    assert result.returncode != 0
    assert "java 11.0.22" in result.stderr
    assert "needs Java 17 or newer" in result.stderr


@pytest.mark.kafka
def test_maven_missing(env: dict[str, str], tmp_path: Path) -> None:
    env["CITYTWIN_CACHE"] = str(tmp_path / "cache")
    env["PATH"] = _path_without(tmp_path, "mvn")
    result = _run(KAFKA, "fetch", env=env)
    assert result.returncode != 0
    assert "mvn not found: install Maven" in result.stderr


@pytest.mark.kafka
def test_maven_unreachable(env: dict[str, str], tmp_path: Path) -> None:
    # Every download goes to a closed local port; the empty local repository
    # and cache force a download.
    settings = tmp_path / "settings.xml"
    settings.write_text(
        f"""<settings>
  <mirrors>
    <mirror><id>unreachable</id><mirrorOf>*</mirrorOf><url>http://127.0.0.1:{_free_port()}/maven2</url></mirror>
  </mirrors>
</settings>
"""
    )
    env["CITYTWIN_CACHE"] = str(tmp_path / "cache")
    env["CITYTWIN_MVN_ARGS"] = f"-s {settings} -Dmaven.repo.local={tmp_path / 'm2'}"
    result = _run(KAFKA, "fetch", env=env)
    assert result.returncode != 0
    assert "could not download Kafka jars from Maven Central" in result.stderr
    assert "~/.m2/settings.xml" in result.stderr
    assert not (tmp_path / "cache" / "kafka-4.1.1" / "libs").exists()


@pytest.mark.kafka
def test_kafka_dying_on_start_shows_its_log(env: dict[str, str]) -> None:
    # A heap far too small makes the JVM exit at once, after format succeeded.
    env["CITYTWIN_KAFKA_HEAP_OPTS"] = "-Xmx2m -Xms2m"
    result = _run(KAFKA, "start", env=env, timeout=600)
    assert result.returncode != 0
    assert "Kafka exited during start-up" in result.stderr
    assert "last" in result.stderr and "kafka.out" in result.stderr
    status = _run(KAFKA, "status", env=env)
    assert status.returncode == 3
