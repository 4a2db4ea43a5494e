"""The test cockpit as a process of its own, so a test can stop it for real and start it again on the same port.

``python -m tests.browser.cockpit_process FOLDER PORT`` serves the test site
over ``FOLDER/lake`` with the accounts of ``FOLDER/users.yaml``, keeping its
sessions in ``FOLDER/sessions.json``, through the same uvicorn server as
``citytwin cockpit`` (SIGTERM stops it the same way).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from cloud.cockpit.app import create_app
from cloud.cockpit.cli import STOP_GRACE_S, server
from cloud.cockpit.settings import CockpitSettings
from cloud.cockpit.users import Users, upsert
from tests.cloud.cockpit.support import NEVER_STARTED, PASSWORDS, ROLES, make_cockpit, make_lake
from tests.support.http import free_port

ROOT = Path(__file__).resolve().parents[2]


class CockpitProcess:
    """Starts and stops ``python -m tests.browser.cockpit_process`` over one folder, always on the same port."""

    def __init__(self, folder: Path, users: tuple[str, ...] = ("vic",)) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lake = make_lake(folder / "lake")
        for name in users:
            upsert(folder / "users.yaml", name, ROLES[name], PASSWORDS[name])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90) -> None:
        log = (self.folder / "cockpit.log").open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.browser.cockpit_process", str(self.folder), str(self.port)],
                                     cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the cockpit exited with {self.proc.returncode}; see {self.folder / 'cockpit.log'}"
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the cockpit did not answer on {self.url} within {timeout_s} s")

    def stop(self) -> float:
        """SIGTERM, as a service manager stops it; the seconds it took to exit (its grace for open streams, at most)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_GRACE_S + 20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        return time.monotonic() - started

    def __enter__(self) -> CockpitProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def main(argv: list[str]) -> int:
    folder, port = Path(argv[0]), int(argv[1])
    settings = CockpitSettings(session_file=folder / "sessions.json")
    cockpit = make_cockpit(folder / "lake", folder, Users.load(folder / "users.yaml"), settings, extra=[NEVER_STARTED])
    try:
        server(create_app(cockpit), "127.0.0.1", port, settings, log_level="warning").run()
    finally:
        cockpit.twin.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
