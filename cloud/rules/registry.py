"""Every rule type by its ``type`` key: the config union the deployment file is validated against."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from cloud.rules.catalog import (
    BorderCrossing,
    LineFlow,
    LongDwell,
    NodeDegraded,
    NodeOffline,
    PortArrival,
    RuleBase,
    WrongWay,
    ZoneCapacity,
)
from cloud.rules.predict import ForecastAnomaly, ForecastCapacity

RuleConfig = Annotated[
    ZoneCapacity | LineFlow | WrongWay | PortArrival | BorderCrossing | NodeOffline | NodeDegraded | LongDwell
    | ForecastAnomaly | ForecastCapacity,
    Field(discriminator="type"),
]

RULES: dict[str, type[RuleBase]] = {
    cls.model_fields["type"].default: cls
    for cls in (ZoneCapacity, LineFlow, WrongWay, PortArrival, BorderCrossing, NodeOffline, NodeDegraded, LongDwell,
                ForecastAnomaly, ForecastCapacity)
}
