"""The one service runner: start, one step at a time until stopped or done, stop in reverse order.

Every long-running command (bridge, sink, rules, federate, region, retention
``--every``) is a ``Service``. ``serve`` is its entry point: the command line
has already loaded the deployment and recorded it in the audit log
(``citytwin.cli``); ``serve`` builds the service from it, stops it after the
current step on SIGTERM or Ctrl-C, keeps what start-up created out of the
garbage collector's full passes, and returns the service's exit status.
``run_until_stopped`` is the loop alone, for a service run on a thread.
Every service carries its ``citytwin.metrics.Exposition``: ``serve`` serves
its ``/metrics`` before the service starts and until it has stopped.

Example:
    >>> from citytwin.metrics_settings import MetricsSettings
    >>> class Count:
    ...     def __init__(self) -> None:
    ...         self.stopping, self.turns = threading.Event(), 0
    ...         self.metrics = Exposition("rules", MetricsSettings())
    ...     def start(self) -> None: pass
    ...     def step(self) -> bool:
    ...         self.turns += 1
    ...         return self.turns < 3
    ...     def stop(self) -> int: return 0
    >>> service = Count()
    >>> run_until_stopped(service), service.turns
    (0, 3)
"""

from __future__ import annotations

import argparse
import gc
import threading
import time
from collections.abc import Callable
from typing import Protocol

from citytwin.deployment import Deployment
from citytwin.lifecycle import stop_on_signals
from citytwin.metrics import Exposition


class Service(Protocol):
    """What ``serve`` runs."""

    stopping: threading.Event  # set to stop after the current step
    metrics: Exposition  # its Prometheus series, served while it runs

    def start(self) -> None:
        """Connect and create what the service needs, in order."""

    def step(self) -> bool:
        """One turn of the service's work; False when there is nothing more to do."""

    def stop(self) -> int:
        """Drain and close in reverse start order; returns the exit status."""


class Pace:
    """Keeps a service's steps ``interval_s`` apart: ``wait`` sleeps out the rest of the interval, unless stopped."""

    def __init__(self, interval_s: float, stopping: threading.Event) -> None:
        self.interval_s = interval_s
        self.stopping = stopping
        self._started: float | None = None  # when the latest step began

    def wait(self) -> bool:
        """Wait until the next step is due (the first is due at once) and mark its start; False if stopped meanwhile."""
        if self._started is not None:
            self.stopping.wait(max(0.0, self.interval_s - (time.monotonic() - self._started)))
            if self.stopping.is_set():
                return False
        self._started = time.monotonic()
        return True


def run_until_stopped(service: Service, once: bool = False) -> int:
    """Step ``service`` (already started) until it is stopped or done, or once; then stop it and return its status."""
    while not service.stopping.is_set() and service.step() and not once:
        pass
    return service.stop()


def serve(
    args: argparse.Namespace, build: Callable[[Deployment, argparse.Namespace], Service], stopping_means: str,
    once: bool | None = None,
) -> int:
    """Entry point of a long-running command: ``build`` makes the service from ``args.deployment``.

    ``once`` (default: the command's ``--once``) does one step; ``stopping_means`` says in the log what the service
    does when a signal asks it to stop.
    """
    service = build(args.deployment, args)
    stop_on_signals(service.stopping.set, stopping_means)
    service.metrics.follow_anchor(getattr(args, "anchorer", None))
    service.metrics.start()
    try:
        service.start()
        # What exists now (modules, schemas, clients) lives as long as the process: keep it out of
        # the garbage collector's full passes, which otherwise walk it again and again under load.
        gc.freeze()
        return run_until_stopped(service, once=bool(getattr(args, "once", False)) if once is None else once)
    finally:
        service.metrics.stop()
