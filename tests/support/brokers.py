"""Live Mosquitto and Kafka for tests, started through ops/brokers/*.sh.

Session fixtures ``mqtt_broker`` and ``kafka_broker`` start each broker on test
ports with a run directory of its own (.run/test by default), so a developer's
brokers on the default ports are left alone. A test broker that is already
running is reused and left running; one started here is stopped at the end of
the session. Both return frozen handles whose ``stop()``/``start()``/``restart()``
let fault-injection tests take a broker away and bring it back.

Environment: CITYTWIN_TEST_MQTT_PORT [11883], CITYTWIN_TEST_KAFKA_PORT [19092],
CITYTWIN_TEST_KAFKA_CONTROLLER_PORT [19093], CITYTWIN_TEST_RUN [<repo>/.run/test].
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

LOG = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
BROKERS_DIR = REPO_ROOT / "ops" / "brokers"
LOOPBACK = "127.0.0.1"
# Kafka start includes the one-off jar download on a fresh machine.
SCRIPT_TIMEOUT_S = 900
STATUS_RUNNING = 0


class BrokerScriptError(RuntimeError):
    """A broker script exited non-zero; the message carries its output."""


def _env_port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"{name}={port} is outside 1-65535")
    return port


def broker_run_dir() -> Path:
    """Run directory of the test brokers (data, logs, pid files)."""
    return Path(os.environ.get("CITYTWIN_TEST_RUN", str(REPO_ROOT / ".run" / "test"))).resolve()


@dataclass(frozen=True)
class _ScriptBroker:
    """A broker controlled by one ops/brokers script with a fixed environment."""

    host: str
    port: int
    run_dir: Path
    # Extra script settings, e.g. the SCRAM users of a broker that wants logins. The shared test
    # brokers take none: whatever a developer's shell says, they admit anyone, on loopback only.
    settings: tuple[tuple[str, str], ...] = field(default=(), kw_only=True)

    script_name = ""

    def _script_env(self) -> dict[str, str]:
        return {"CITYTWIN_RUN": str(self.run_dir), "CITYTWIN_MQTT_AUTH_DIR": "", "CITYTWIN_KAFKA_SCRAM_USERS": "",
                **dict(self.settings)}

    def run_script(self, action: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``<script> ACTION`` and return the finished process."""
        script = BROKERS_DIR / self.script_name
        env = {**os.environ, **self._script_env()}
        LOG.debug("running %s %s", script, action)
        proc = subprocess.run(
            [str(script), action],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT_S,
            check=False,
        )
        output = (proc.stdout + proc.stderr).strip()
        if output:
            LOG.info("%s %s: %s", self.script_name, action, output)
        if check and proc.returncode != 0:
            raise BrokerScriptError(
                f"{script.name} {action} failed (exit {proc.returncode}):\n{output}"
            )
        return proc

    def start(self) -> None:
        """Start the broker (no-op if running) and wait until it is ready."""
        self.run_script("start")

    def stop(self) -> None:
        """Stop the broker: SIGTERM, then SIGKILL after the script's timeout."""
        self.run_script("stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def is_running(self) -> bool:
        return self.run_script("status", check=False).returncode == STATUS_RUNNING


@dataclass(frozen=True)
class MqttBroker(_ScriptBroker):
    """Handle on the test Mosquitto."""

    script_name = "mosquitto.sh"

    def _script_env(self) -> dict[str, str]:
        return {**super()._script_env(), "CITYTWIN_MQTT_PORT": str(self.port)}


@dataclass(frozen=True)
class KafkaBroker(_ScriptBroker):
    """Handle on the test Kafka (single KRaft node)."""

    controller_port: int

    script_name = "kafka.sh"

    @property
    def bootstrap(self) -> str:
        """bootstrap_servers string for Kafka clients."""
        return f"{self.host}:{self.port}"

    def _script_env(self) -> dict[str, str]:
        return {
            **super()._script_env(),
            "CITYTWIN_KAFKA_PORT": str(self.port),
            "CITYTWIN_KAFKA_CONTROLLER_PORT": str(self.controller_port),
        }


def _managed(broker: _ScriptBroker) -> Iterator[Any]:
    """Start BROKER unless it already runs; stop it afterwards only if started here."""
    reused = broker.is_running()
    # start also waits for readiness and checks the port of a running broker.
    broker.start()
    if reused:
        LOG.info("reusing running test %s on %s:%d", broker.script_name, broker.host, broker.port)
    try:
        yield broker
    finally:
        if not reused:
            broker.stop()


def unique_name(test_name: str, prefix: str = "test") -> str:
    """A name safe for Kafka topics and MQTT topic levels, unique per call."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", test_name).strip("-.")[:60]
    return f"{prefix}-{slug}-{uuid.uuid4().hex[:8]}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kafka: needs the live Kafka test broker")
    config.addinivalue_line("markers", "mqtt: needs the live Mosquitto test broker")


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[MqttBroker]:
    """Mosquitto on CITYTWIN_TEST_MQTT_PORT (default 11883) for the whole session."""
    broker = MqttBroker(
        host=LOOPBACK, port=_env_port("CITYTWIN_TEST_MQTT_PORT", 11883), run_dir=broker_run_dir()
    )
    yield from _managed(broker)


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """Kafka on CITYTWIN_TEST_KAFKA_PORT (default 19092) for the whole session."""
    broker = KafkaBroker(
        host=LOOPBACK,
        port=_env_port("CITYTWIN_TEST_KAFKA_PORT", 19092),
        run_dir=broker_run_dir(),
        controller_port=_env_port("CITYTWIN_TEST_KAFKA_CONTROLLER_PORT", 19093),
    )
    yield from _managed(broker)


@pytest.fixture(scope="session")
def kafka_admin(kafka_broker: KafkaBroker) -> Iterator[Any]:
    """A KafkaAdminClient on the test broker, shared by the session."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap, client_id="citytwin-tests")
    try:
        yield admin
    finally:
        admin.close()


@pytest.fixture
def kafka_topic(kafka_admin: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh topic with 3 partitions for one test, deleted afterwards."""
    name = unique_name(request.node.name)
    kafka_admin.create_topics(
        {name: {"num_partitions": 3, "replication_factor": 1}}, wait_for_metadata=True
    )
    try:
        yield name
    finally:
        try:
            kafka_admin.delete_topics([name])
        except Exception:  # A stopped broker must not hide the test's own result.
            LOG.warning("could not delete test topic %s", name, exc_info=True)


@pytest.fixture
def mqtt_topic_prefix(request: pytest.FixtureRequest) -> str:
    """A topic prefix no other test uses, e.g. test-test_qos1-1a2b3c4d (no trailing slash)."""
    return unique_name(request.node.name)
