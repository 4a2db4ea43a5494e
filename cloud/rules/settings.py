"""The ``rules`` section of the deployment file: which rules run, how often, and where alerts go.

Each rule config is pure data: a ``type`` key, its subject and thresholds. What
a rule reads from the twin is its behaviour, looked up by ``type`` in
``cloud.rules.registry``, so loading a deployment never imports SQL or forecasting.

Example:
    >>> RulesSettings.model_validate({"rules": [
    ...     {"type": "zone_capacity", "name": "plaza-full", "for_s": 30, "action": "dispatch steward to {zone}"}]}).rules[0].for_s
    30.0
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloud.twin.settings import default_decision_log
from contract.site import duplicated

Severity = Literal["info", "warning", "critical"]


class RuleSettings(BaseModel):
    """What every rule has: a name, a severity, hysteresis timings and a suggested action."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(title="Name", description="unique rule name, shown on alerts")
    severity: Severity = Field("warning", title="Severity", description="info, warning or critical")
    for_s: float = Field(0.0, ge=0, title="Hold time", description="seconds the condition must hold before the alert fires")
    clear_s: float = Field(0.0, ge=0, title="Clear time", description="seconds the condition must be gone before the alert clears")
    renotify_s: float = Field(300.0, gt=0, title="Re-notify", description="seconds between reminders of an unacknowledged alert")
    action: str = Field("", title="Suggested action", description="template, e.g. 'dispatch steward to {zone}'")


class ZoneCapacity(RuleSettings):
    """A zone holds more objects than its configured capacity."""

    type: Literal["zone_capacity"] = Field("zone_capacity", title="Type", description="the rule kind zone_capacity")
    margin: int = Field(1, ge=0, title="Clear margin", description="clears once occupancy is this far below capacity")


class LineFlow(RuleSettings):
    """Crossings of a line in a sliding window above a maximum or below a minimum."""

    type: Literal["line_flow"] = Field("line_flow", title="Type", description="the rule kind line_flow")
    line: str = Field(title="Line", description="counting line id")
    window_s: float = Field(900.0, gt=0, title="Window", description="seconds of crossings counted")
    above: int | None = Field(None, ge=0, title="Maximum", description="alert when the window holds more crossings than this")
    below: int | None = Field(None, ge=0, title="Minimum", description="alert when the window holds fewer crossings than this")


class CrossingCount(RuleSettings):
    """Counts matching crossings since the previous evaluation; each batch is one alert."""

    period_s: float = Field(60.0, gt=0, title="Period", description="seconds of crossings looked at per evaluation")


class WrongWay(CrossingCount):
    """A crossing against the direction of a one-way line."""

    type: Literal["wrong_way"] = Field("wrong_way", title="Type", description="the rule kind wrong_way")


class PortArrival(CrossingCount):
    """A boat crosses the harbour-entrance line."""

    type: Literal["port_arrival"] = Field("port_arrival", title="Type", description="the rule kind port_arrival")
    line: str = Field(title="Harbour line", description="line id at the harbour entrance")
    direction: Literal["in", "out"] = Field("in", title="Direction", description="direction that means arriving")


class BorderCrossing(CrossingCount):
    """A vehicle crosses a border-control line outside its opening hours (UTC)."""

    type: Literal["border_crossing"] = Field("border_crossing", title="Type", description="the rule kind border_crossing")
    line: str = Field(title="Border line", description="line id at the border control")
    opens: time = Field(title="Opens", description="opening time, UTC")
    closes: time = Field(title="Closes", description="closing time, UTC")
    vehicles: list[str] = Field(default_factory=lambda: ["car", "truck", "bus", "motorcycle"], title="Vehicle classes", description="classes that count as vehicles")


class NodeOffline(RuleSettings):
    """No health report from a node for ``silent_s`` seconds."""

    type: Literal["node_offline"] = Field("node_offline", title="Type", description="the rule kind node_offline")
    silent_s: float = Field(60.0, gt=0, title="Silence", description="seconds without a health report that mean offline")


class NodeDegraded(RuleSettings):
    """A node's reported frame rate is below the floor."""

    type: Literal["node_degraded"] = Field("node_degraded", title="Type", description="the rule kind node_degraded")
    fps_floor: float = Field(5.0, gt=0, title="FPS floor", description="frames per second below which a node is degraded")


class LongDwell(RuleSettings):
    """Someone stayed in a zone longer than ``max_s``."""

    type: Literal["dwell"] = Field("dwell", title="Type", description="the rule kind dwell")
    zone: str = Field(title="Zone", description="zone id")
    max_s: float = Field(gt=0, title="Longest stay", description="seconds in the zone that raise the alert")
    period_s: float = Field(60.0, gt=0, title="Period", description="seconds of finished stays looked at per evaluation")


class Forecast(RuleSettings):
    """What both forecast rules have: the series they forecast and the seasonal-naive model's shape."""

    target: Literal["line", "zone"] = Field(title="Target", description="forecast crossings of a line or occupancy of a zone")
    subject: str = Field(title="Line or zone", description="id of the line or zone forecast")
    bucket_s: int = Field(900, ge=60, title="Bucket", description="seconds per forecast bucket")
    period: int = Field(96, ge=2, title="Season", description="buckets per season, e.g. 96 quarter-hours for a daily pattern")
    seasons: int = Field(7, ge=1, title="Seasons", description="past seasons the forecast is the median of")
    z: float = Field(4.0, gt=0, title="Interval width", description="width of the prediction interval in standard deviations")


class ForecastAnomaly(Forecast):
    """The last whole bucket's count lies outside the interval forecast from the seasons before it."""

    type: Literal["forecast_anomaly"] = Field("forecast_anomaly", title="Type", description="the rule kind forecast_anomaly")


class ForecastCapacity(Forecast):
    """A zone's occupancy is forecast to exceed its capacity within the horizon."""

    type: Literal["forecast_capacity"] = Field("forecast_capacity", title="Type", description="the rule kind forecast_capacity")
    target: Literal["zone"] = Field("zone", title="Target", description="only zones have a capacity")
    horizon: int = Field(4, ge=1, title="Horizon", description="buckets ahead that are forecast")


RuleConfig = Annotated[
    ZoneCapacity | LineFlow | WrongWay | PortArrival | BorderCrossing | NodeOffline | NodeDegraded | LongDwell
    | ForecastAnomaly | ForecastCapacity,
    Field(discriminator="type"),
]


class RulesSettings(BaseModel):
    """The rule service's settings and the rules it evaluates."""

    model_config = ConfigDict(extra="forbid")

    interval_s: float = Field(5.0, gt=0, title="Interval", description="seconds between evaluations of every rule")
    mqtt: bool = Field(True, title="Publish on MQTT", description="publish alerts on citytwin/alerts/{site}/{rule}")
    kafka: bool = Field(True, title="Produce to Kafka", description="produce alerts to the alerts topic")
    topic: str = Field("citytwin.alerts", min_length=1, title="Alerts topic", description="Kafka topic of alert changes")
    rules: list[RuleConfig] = Field(default_factory=list, title="Rules", description="the rules, each with a unique name")
    decisions: Path | None = Field(
        None,
        title="Decisions log",
        description="JSON-lines log of operators' acknowledgements, false alarms and resolutions: the cockpit writes "
        "it, the rule service and the alerts feed read it with the alert log; default: decisions/decisions.jsonl "
        "next to the lake folder, outside the lake, so the cockpit needs the lake read-only",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> RulesSettings:
        dupes = duplicated(rule.name for rule in self.rules)
        if dupes:
            raise ValueError(f"rule names must be unique: {', '.join(dupes)}")
        return self

    def decisions_log(self, lake: Path) -> Path:
        """The operators' decisions log of a deployment whose lake is ``lake``."""
        return self.decisions or default_decision_log(lake)
