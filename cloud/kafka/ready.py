"""Waiting for Kafka: one way to retry what needs the brokers until they answer, in the foreground or the background.

A service that cannot work without Kafka (the bridge, the sink) waits in
``until_ready`` before it starts; one that must keep working without it (the
rule service keeps evaluating and writing alerts to the lake) retries in the
background with ``in_background`` and takes the result up when it comes.
Either way a stop request ends the waiting at once.

Example:
    >>> tries = iter([TopicError("not yet"), "created"])
    >>> def attempt() -> str:
    ...     result = next(tries)
    ...     if isinstance(result, Exception):
    ...         raise result
    ...     return result
    >>> until_ready(attempt, "127.0.0.1:9092", threading.Event(), "doctest", retry_s=0.01)
    'created'
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import KafkaException

from cloud.kafka.topics import TopicError

log = logging.getLogger(__name__)

T = TypeVar("T")
# What a client raises while the brokers do not answer (or refuse for now): worth another try.
NOT_READY: tuple[type[Exception], ...] = (KafkaException, TopicError)


def until_ready(
    attempt: Callable[[], T], bootstrap: str, stopping: threading.Event, what: str,
    retry_s: float = 2.0, errors: tuple[type[Exception], ...] = NOT_READY,
) -> T | None:
    """``attempt()``'s result once Kafka answers, trying every ``retry_s``; None if ``stopping`` is set first."""
    while not stopping.is_set():
        try:
            return attempt()
        except errors as exc:
            log.warning("%s: Kafka at %s is not ready (%s); trying again in %.0f s", what, bootstrap, exc, retry_s)
            stopping.wait(retry_s)
    return None


def in_background(
    attempt: Callable[[], T], then: Callable[[T], None], bootstrap: str, stopping: threading.Event, what: str,
    retry_s: float = 30.0, errors: tuple[type[Exception], ...] = NOT_READY,
) -> threading.Thread:
    """Retry ``attempt`` on a daemon thread until Kafka answers, then hand its result to ``then``; never blocks."""

    def run() -> None:
        result = until_ready(attempt, bootstrap, stopping, what, retry_s, errors)
        if result is not None:
            then(result)

    thread = threading.Thread(target=run, name=f"{what}-kafka", daemon=True)
    thread.start()
    return thread
