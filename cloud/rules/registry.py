"""Rule behaviour by its config's ``type``: the one place a config becomes a rule that reads the twin.

A new rule type adds its config to ``cloud.rules.settings.RuleConfig`` and its
behaviour class here.

Example:
    >>> from cloud.rules.settings import ZoneCapacity
    >>> build_rule(ZoneCapacity(name="plaza-full", margin=2)).thresholds().clear_below
    -2
"""

from __future__ import annotations

from typing import Any

from cloud.rules.catalog import (
    BorderCrossingRule,
    LineFlowRule,
    LongDwellRule,
    NodeDegradedRule,
    NodeOfflineRule,
    PortArrivalRule,
    Rule,
    WrongWayRule,
    ZoneCapacityRule,
)
from cloud.rules.predict import ForecastAnomalyRule, ForecastCapacityRule
from cloud.rules.settings import RuleConfig

RULES: dict[str, type[Rule[Any]]] = {
    "zone_capacity": ZoneCapacityRule,
    "line_flow": LineFlowRule,
    "wrong_way": WrongWayRule,
    "port_arrival": PortArrivalRule,
    "border_crossing": BorderCrossingRule,
    "node_offline": NodeOfflineRule,
    "node_degraded": NodeDegradedRule,
    "dwell": LongDwellRule,
    "forecast_anomaly": ForecastAnomalyRule,
    "forecast_capacity": ForecastCapacityRule,
}


def build_rule(config: RuleConfig) -> Rule[Any]:
    """The rule a config describes."""
    return RULES[config.type](config)
