"""Exporter behaviour by its config's ``type``: the one place a config section becomes an exporter.

A new exporter (DATEX II, a city's own portal) adds its config class to
``cloud.export.settings.ExporterConfig`` and its class here; nothing else in
the core changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloud.export.base import Exporter
from cloud.export.ngsild.exporter import NgsiLdExporter
from cloud.export.sensorthings.exporter import SensorThingsExporter
from cloud.export.settings import ExporterConfig
from contract.site import CameraSpec, SiteSpec

EXPORTERS: dict[str, type[Exporter[Any]]] = {
    "sensorthings": SensorThingsExporter,
    "ngsild": NgsiLdExporter,
}


def build_exporter(name: str, config: ExporterConfig, site: SiteSpec, cameras: list[CameraSpec],
                   environ: Mapping[str, str]) -> Exporter[Any]:
    """The exporter a config section describes."""
    return EXPORTERS[config.type](name, config, site, cameras, dict(environ))
