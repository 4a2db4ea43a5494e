"""A live FROST-Server (OGC SensorThings) for tests, started through ops/frost/frost.sh.

The session fixture ``frost`` starts PostgreSQL+PostGIS and Tomcat with the
FROST war on test ports, under the test run directory, and stops them at the
end of the session; one already answering on the port is reused and left
running. ``make test`` installs the Debian packages and builds the war first
(``ops/frost/frost.sh install``, ``build``).

Environment: CITYTWIN_TEST_FROST_PORT [58080], CITYTWIN_TEST_FROST_PG_PORT [55432],
CITYTWIN_TEST_RUN [<repo>/.run/test].
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.brokers import REPO_ROOT, _env_port, broker_run_dir

LOG = logging.getLogger(__name__)

SCRIPT = REPO_ROOT / "ops" / "frost" / "frost.sh"
# A first start builds the war (Maven) and creates the schema.
SCRIPT_TIMEOUT_S = 900


@dataclass(frozen=True)
class Frost:
    """Handle on the test FROST-Server: ``root`` is its SensorThings v1.1 service root."""

    port: int
    pg_port: int

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}/FROST-Server/v1.1"

    def script(self, action: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CITYTWIN_RUN": str(broker_run_dir()), "CITYTWIN_FROST_PORT": str(self.port),
               "CITYTWIN_FROST_PG_PORT": str(self.pg_port)}
        proc = subprocess.run([str(SCRIPT), action], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=SCRIPT_TIMEOUT_S, check=False)
        output = (proc.stdout + proc.stderr).strip()
        if output:
            LOG.info("frost.sh %s: %s", action, output)
        if check and proc.returncode != 0:
            raise RuntimeError(f"ops/frost/frost.sh {action} failed (exit {proc.returncode}):\n{output}")
        return proc


@pytest.fixture(scope="session")
def frost() -> Iterator[Frost]:
    """FROST-Server on CITYTWIN_TEST_FROST_PORT (default 58080) for the whole session."""
    server = Frost(_env_port("CITYTWIN_TEST_FROST_PORT", 58080), _env_port("CITYTWIN_TEST_FROST_PG_PORT", 55432))
    reused = server.script("status", check=False).returncode == 0
    if reused and not (broker_run_dir() / "frost" / "tomcat" / "tomcat.pid").exists():
        # Another checkout's FROST: its data and files are not this run's, and its tests would check the wrong ones.
        raise RuntimeError(f"a FROST-Server that this run did not start answers at {server.root}; stop it, or set "
                           "CITYTWIN_TEST_FROST_PORT and CITYTWIN_TEST_FROST_PG_PORT to free ports")
    server.script("start")
    try:
        yield server
    finally:
        if not reused:
            server.script("stop")
