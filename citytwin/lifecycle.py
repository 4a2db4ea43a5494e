"""Process lifecycle shared by the long-running services: stop cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)


def stop_on_signals(stop: Callable[[], None], what: str) -> None:
    """Call ``stop`` on SIGTERM or SIGINT; ``what`` says in the log what the service does next."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; %s", signal.Signals(signum).name, what)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
