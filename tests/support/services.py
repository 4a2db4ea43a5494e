"""One way for tests to run a service in the test process: started here, stepped on a thread, always joined."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from citytwin.service import Service, run_until_stopped

S = TypeVar("S", bound=Service)
WAIT_S = 60.0


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
