"""The exporter plugin interface: what one export covers, what it returns, and how it fails.

An exporter turns the twin's aggregates of one window into a platform's own
entities and sends them. It never decides what leaves the city on its own:
the window, k-suppression and the audit record are the core's
(``cloud.export.run``). It must be idempotent: exporting the same window
again adds nothing new on the platform, so a failed or repeated run is
always safe to run again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from citytwin.errors import Failed
from cloud.export.aggregates import Aggregates
from cloud.export.common import ExporterBase
from contract.site import CameraSpec, SiteSpec

C = TypeVar("C", bound=ExporterBase)


class ExportFailed(Failed):
    """The platform refused or did not answer; nothing is recorded as done, and the next run sends the same again."""


@dataclass(frozen=True)
class Window:
    """The closed buckets one export covers: [start, end) per bucket length."""

    start: datetime
    ends: dict[int, datetime]

    @property
    def end(self) -> datetime:
        return max(self.ends.values())


@dataclass
class Outcome:
    """What one export did, for the audit record and the command's output."""

    created: int = 0
    present: int = 0
    entities: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sends:
    """What an exporter sends where, for the residency manifest."""

    destination: str
    datasets: list[str]
    attributes: list[str]


class Exporter(ABC, Generic[C]):
    """One configured exporter instance: ``name`` from ``cloud.exporters``, its ``config`` section, the site."""

    def __init__(self, name: str, config: C, site: SiteSpec, cameras: list[CameraSpec], environ: dict[str, str]) -> None:
        self.name, self.config, self.site, self.cameras = name, config, site, cameras
        self.environ = environ

    @abstractmethod
    def export(self, aggregates: Aggregates, window: Window) -> Outcome:
        """Send ``aggregates`` (already k-suppressed) of ``window``; raises ``ExportFailed`` saying what to do."""

    def secrets(self) -> list[str]:
        """The values of every secret the config names (each ``*_env`` setting), never to appear in a message."""
        named = [v for k, v in self.config if k.endswith("_env") and isinstance(v, str)]
        return [self.environ[v] for v in named if self.environ.get(v)]

    def close(self) -> None:
        """Release connections."""
