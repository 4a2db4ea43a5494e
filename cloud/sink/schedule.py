"""A job the sink runs on a background thread every ``interval_s``: compaction, the rollups' reconciler.

Each run reads lake files in bulk and frees them at its end: what it freed is handed back to the system after every
run (``citytwin.memory``), so the sink's resident size does not keep the largest pass it ever made.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from citytwin.memory import release_freed

log = logging.getLogger(__name__)


class Schedule:
    """Runs ``job`` every ``interval_s`` on a background thread until stopped (when ``enabled``).

    A failed run is logged and tried again at the next interval: a bad file must not stop the sink.
    """

    def __init__(self, name: str, interval_s: float, enabled: bool, job: Callable[[], object]) -> None:
        self.name = name
        self.interval_s = interval_s
        self.enabled = enabled
        self.job = job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        if self.enabled:
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.run_once()

    def run_once(self) -> object | None:
        """One run; its result, or None after a failure, which is logged."""
        try:
            return self.job()
        except Exception:
            log.exception("%s failed; trying again in %g s", self.name, self.interval_s)
            return None
        finally:
            release_freed()

    def stop(self) -> None:
        """Stop after the run in progress, if any."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
