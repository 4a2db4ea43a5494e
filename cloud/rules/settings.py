"""The ``rules`` section of the deployment file: which rules run, how often, and where alerts go.

Example:
    >>> RulesSettings.model_validate({"rules": [
    ...     {"type": "zone_capacity", "name": "plaza-full", "for_s": 30, "action": "dispatch steward to {zone}"}]}).rules[0].for_s
    30.0
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloud.rules.registry import RuleConfig
from cloud.twin.lake import default_decision_log
from contract.site import duplicated


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
