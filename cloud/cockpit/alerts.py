"""The alerts feed: the rules' alert log as the screen shows it, and the operators' decisions.

The rule service writes each alert change to ``<lake>/alerts/alerts.jsonl``;
the cockpit reads that log (incrementally, on each request) and appends the
operators' acknowledgements, false alarms and resolutions to the decisions
log (``rules.decisions``, outside the lake), so it never writes to the lake.
The rule service reads both: an acknowledged alert stops re-notifying, and
false alarms are counted per rule so its thresholds can be tuned.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloud.rules.feed import AlertFeed, Entry
from cloud.rules.outlets import JsonLines, alert_record
from cloud.twin.lake import alert_log
from cloud.twin.settings import default_decision_log

Severity = Literal["info", "warning", "critical"]
Action = Literal["ack", "false_alarm", "resolve"]


class Alert(BaseModel):
    """One alert as the screen shows it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(title="Alert id")
    rule: str = Field(title="Rule that raised it")
    subject: str = Field(title="Zone, line or node it is about")
    severity: Severity = Field(title="Severity")
    state: Literal["firing", "resolved"] = Field(title="Firing or resolved")
    message: str = Field(title="Suggested action")
    evidence: dict[str, Any] = Field(title="The query and the values that triggered it")
    raised_at: datetime = Field(title="When the condition began (UTC)")
    resolved_at: datetime | None = Field(default=None, title="When it was resolved")
    acknowledged_by: str | None = Field(default=None, title="Who acknowledged it")
    acknowledged_at: datetime | None = Field(default=None, title="When it was acknowledged")
    false_alarm: bool = Field(default=False, title="Marked a false alarm by an operator")
    resolved_by: str | None = Field(default=None, title="The operator who resolved it by hand")


class RuleFeedback(BaseModel):
    """How often a rule fired and how often operators called it a false alarm."""

    rule: str
    fired: int
    false_alarms: int
    false_alarm_rate: float = Field(title="False alarms per alert fired")


def _view(entry: Entry) -> Alert:
    a = entry.alert
    return Alert(id=a.alert_id, rule=a.rule, subject=a.subject, severity=a.severity, state=a.state, message=a.action,
                 evidence=a.evidence, raised_at=a.started, resolved_at=a.resolved, acknowledged_by=a.acked_by,
                 acknowledged_at=entry.acked_at, false_alarm=a.false_alarm, resolved_by=entry.closed_by)


class AlertBoard:
    """Thread-safe reader of the alert log, and writer of operator actions into the decisions log."""

    def __init__(self, lake: Path, decisions: Path | None = None) -> None:
        self.decisions = JsonLines(decisions or default_decision_log(lake))
        self.feed = AlertFeed(alert_log(lake), self.decisions.path)
        self._lock = threading.Lock()

    def recent(self, limit: int = 100) -> list[Alert]:
        with self._lock:
            self.feed.poll()
            return [_view(e) for e in self.feed.newest(limit)]

    def feedback(self) -> list[RuleFeedback]:
        with self._lock:
            self.feed.poll()
            rules = sorted(set(self.feed.fired) | set(self.feed.false_alarms))
            return [RuleFeedback(rule=r, fired=self.feed.fired.get(r, 0), false_alarms=self.feed.false_alarms.get(r, 0),
                                 false_alarm_rate=round(self.feed.false_alarms.get(r, 0) / max(1, self.feed.fired.get(r, 0)), 3))
                    for r in rules]

    def act(self, alert_id: str, action: Action, who: str) -> Alert | None:
        """Record an operator's decision; ``None`` when the id is unknown. Repeating a decision changes nothing."""
        with self._lock:
            self.feed.poll()
            entry = self.feed.entries.get(alert_id)
            if entry is None:
                return None
            a = entry.alert
            done = {"ack": a.acked_by is not None, "false_alarm": a.false_alarm,
                    "resolve": a.state == "resolved"}[action]
            if not done:
                self.decisions.send(alert_record(action, a, by=who))
                self.feed.poll()
            return _view(self.feed.entries[alert_id])
