"""The publisher interface: transports are thin adapters that never drop silently."""

from __future__ import annotations

import abc


class Publisher(abc.ABC):
    """Takes messages for delivery; a message accepted by ``publish`` is delivered at least once."""

    @abc.abstractmethod
    def publish(self, topic: str, payload: bytes) -> bool:
        """Queue one message; False means it was refused (buffer full) and counted."""

    @abc.abstractmethod
    def stop(self, drain_timeout: float = 5.0) -> None:
        """Try to deliver what is queued within ``drain_timeout``, then disconnect; the rest stays buffered."""

    @property
    @abc.abstractmethod
    def pending(self) -> int:
        """Messages accepted but not yet acknowledged by the broker."""

    @property
    @abc.abstractmethod
    def dropped(self) -> int:
        """Messages refused because the buffer was full."""
