"""The ``cloud.exporters`` section: named exporter instances, each a plugin chosen by its ``type``.

A new exporter adds its config class to ``ExporterConfig`` and its
implementation to ``cloud.export.registry``; the core never switches on the
kind. Leaf module (pydantic and the plugins' leaf settings only).

Example:
    >>> from pydantic import TypeAdapter
    >>> cfgs = TypeAdapter(Exporters).validate_python({"frost": {"type": "sensorthings", "url": "http://f/v1.1",
    ...                                                          "origin": {"lat": 53.5, "lon": 10.0}}})
    >>> cfgs["frost"].type
    'sensorthings'
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from cloud.export.ngsild.settings import NgsiLdConfig
from cloud.export.sensorthings.settings import SensorThingsConfig
from contract.ids import Ident

ExporterConfig = Annotated[SensorThingsConfig | NgsiLdConfig, Field(discriminator="type")]
Exporters = dict[Ident, ExporterConfig]
