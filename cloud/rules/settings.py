"""The ``rules`` section of the deployment file: which rules run, how often, and where alerts go.

Example:
    >>> RulesSettings.model_validate({"rules": [
    ...     {"type": "zone_capacity", "name": "plaza-full", "for_s": 30, "action": "dispatch steward to {zone}"}]}).rules[0].for_s
    30.0
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloud.rules.registry import RuleConfig
from edge.events.site import duplicated


class RulesSettings(BaseModel):
    """The rule service's settings and the rules it evaluates."""

    model_config = ConfigDict(extra="forbid")

    interval_s: float = Field(5.0, gt=0, title="Interval", description="seconds between evaluations of every rule")
    mqtt: bool = Field(True, title="Publish on MQTT", description="publish alerts on citytwin/alerts/{site}/{rule}")
    kafka: bool = Field(True, title="Produce to Kafka", description="produce alerts to the alerts topic")
    topic: str = Field("citytwin.alerts", min_length=1, title="Alerts topic", description="Kafka topic of alert changes")
    rules: list[RuleConfig] = Field(default_factory=list, title="Rules", description="the rules, each with a unique name")

    @model_validator(mode="after")
    def _unique_names(self) -> RulesSettings:
        dupes = duplicated(rule.name for rule in self.rules)
        if dupes:
            raise ValueError(f"rule names must be unique: {', '.join(dupes)}")
        return self
