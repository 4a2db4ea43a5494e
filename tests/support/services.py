"""How tests run services: in the test process on a thread (``Running``) or as ``citytwin`` processes (``ServiceProcess``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Generic, TypeVar

import pytest

from citytwin.service import Service, run_until_stopped

S = TypeVar("S", bound=Service)
WAIT_S = 60.0
STOP_S = 30.0


class Running(Generic[S]):
    """``service`` started, then run by the service runner's own loop on a daemon thread until ``stop``."""

    def __init__(self, service: S) -> None:
        self.service = service
        service.start()
        self.status: list[int] = []
        self.thread = threading.Thread(target=lambda: self.status.append(run_until_stopped(service)), daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive() and not self.service.stopping.is_set()

    def until(self, done: Callable[[S], bool], what: str, timeout: float = WAIT_S) -> None:
        """Wait until ``done(service)``, failing with ``what`` if the service ends or the time runs out first."""
        deadline = time.monotonic() + timeout
        while not done(self.service) and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.05)
        assert done(self.service), what

    def stop(self) -> int:
        """Ask the service to stop after its current step, wait for it, and return its exit status."""
        self.service.stopping.set()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive(), "the service did not stop"
        return self.status[0]


class ServiceProcess:
    """``citytwin [OPTIONS] NAME --config CONFIG EXTRA...`` as a child process whose output is appended to ``log``.

    ``options`` are citytwin's own (``--credentials``); ``env`` is added to this process's environment. As a
    context manager it is stopped on leaving: SIGTERM, then SIGKILL if it outlives ``STOP_S``.
    """

    def __init__(
        self, name: str, config: Path, log: Path, *extra: str, options: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = [sys.executable, "-m", "citytwin.cli", *options, name, "--config", str(config), *extra]
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        # Unbuffered, so that a test waiting for a line sees it as soon as the service prints it.
        environ = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        with log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, env=environ)

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self, timeout_s: float = STOP_S) -> None:
        """SIGTERM, and SIGKILL if the process outlives ``timeout_s``; never fails, so a test's own error shows."""
        self.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_for_log(self, needle: str, timeout_s: float = WAIT_S, after: int = 0) -> None:
        """Wait until the log (from character ``after``) contains ``needle``; fail with the log otherwise."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if needle in self.text()[after:]:
                return
            if not self.running():
                break
            time.sleep(0.1)
        pytest.fail(f"citytwin {self.name} never logged {needle!r}; its log:\n{self.text()[-4000:]}")

    def send_signal(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Send ``sig`` if the process still runs; ``wait`` collects its exit status."""
        if self.running():
            self.proc.send_signal(sig)

    def wait(self, timeout_s: float = STOP_S) -> int:
        """The exit status once the process ends; past ``timeout_s`` it is killed and the test fails with its log."""
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"citytwin {self.name} did not stop within {timeout_s}s; its log:\n{self.text()[-4000:]}")

    def stop(self, timeout_s: float = STOP_S, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig`` (SIGTERM) and wait; returns the exit status."""
        self.send_signal(sig)
        return self.wait(timeout_s)

    def kill(self) -> None:
        """SIGKILL if still running: no chance to write or commit anything."""
        if self.running():
            self.proc.kill()
            self.proc.wait(10)
