"""Alerts and their lifecycle: pending, firing, resolved, with hysteresis and acknowledgement.

A rule reports a *reading* per subject (a zone, a line, a node) on every
evaluation. The manager turns readings into alerts:

- a reading must stay above ``threshold`` for ``for_s`` before an alert fires,
  so a single spike does not page anyone;
- a firing alert clears only once the reading has stayed at or below
  ``clear_below`` for ``clear_s``, so a value hovering at the threshold does
  not flap;
- while firing and unacknowledged, the alert is re-notified every
  ``renotify_s``; acknowledging stops that, and a later clear re-arms the rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from cloud.rules.settings import Severity

log = logging.getLogger(__name__)

State = Literal["firing", "resolved"]


@dataclass(frozen=True)
class Reading:
    """What a rule measured for one subject at one instant."""

    rule: str
    subject: str
    value: float
    at: datetime
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Thresholds:
    """When a rule's readings start and stop an alert."""

    threshold: float
    clear_below: float
    for_s: float = 0.0
    clear_s: float = 0.0
    renotify_s: float = 300.0
    severity: Severity = "warning"
    action: str = ""


@dataclass(frozen=True)
class Alert:
    """One firing (or resolved) alert: what, why, and what to do about it."""

    alert_id: str
    rule: str
    subject: str
    severity: Severity
    state: State
    started: datetime
    value: float
    evidence: dict[str, Any]
    action: str
    resolved: datetime | None = None
    acked_by: str | None = None
    false_alarm: bool = False


def _action(template: str, r: Reading) -> str:
    """The suggested action with the reading's values filled in; a template naming an unknown value is kept as written."""
    try:
        return template.format(subject=r.subject, value=r.value, **r.evidence)
    except (KeyError, IndexError, ValueError) as exc:
        log.warning("rule %s: action template %r cannot be filled (%s); using it as written", r.rule, template, exc)
        return template


@dataclass
class _Track:
    above_since: datetime | None = None
    below_since: datetime | None = None
    alert: Alert | None = None
    notified: datetime | None = None


@dataclass(frozen=True)
class Notice:
    """Something to tell the outside world: an alert fired, is still firing, or resolved."""

    kind: Literal["fired", "renotify", "resolved"]
    alert: Alert


class AlertManager:
    """Applies thresholds with hysteresis to readings; deduplicates by (rule, subject)."""

    def __init__(self, thresholds: dict[str, Thresholds]) -> None:
        self.thresholds = thresholds
        self._tracks: dict[tuple[str, str], _Track] = {}
        self.false_alarms: dict[str, int] = {}

    def active(self) -> list[Alert]:
        return [t.alert for t in self._tracks.values() if t.alert is not None and t.alert.state == "firing"]

    def observe(self, reading: Reading) -> list[Notice]:
        """Feed one reading; returns what to notify."""
        th = self.thresholds[reading.rule]
        track = self._tracks.setdefault((reading.rule, reading.subject), _Track())
        if track.alert is None:
            return self._maybe_fire(track, th, reading)
        return self._maybe_clear(track, th, reading)

    def _maybe_fire(self, track: _Track, th: Thresholds, r: Reading) -> list[Notice]:
        if r.value <= th.threshold:
            track.above_since = None
            return []
        track.above_since = track.above_since or r.at
        if (r.at - track.above_since).total_seconds() < th.for_s:
            return []
        alert = Alert(
            alert_id=f"{r.rule}:{r.subject}:{track.above_since.isoformat()}",
            rule=r.rule, subject=r.subject, severity=th.severity, state="firing",
            started=track.above_since, value=r.value, evidence={**r.evidence, "value": r.value, "threshold": th.threshold},
            action=_action(th.action, r),
        )
        track.alert, track.notified, track.below_since = alert, r.at, None
        return [Notice("fired", alert)]

    def _maybe_clear(self, track: _Track, th: Thresholds, r: Reading) -> list[Notice]:
        assert track.alert is not None
        if r.value > th.clear_below:
            track.below_since = None
            track.alert = replace(track.alert, value=max(track.alert.value, r.value))
            due = track.notified is None or r.at - track.notified >= timedelta(seconds=th.renotify_s)
            if track.alert.acked_by is None and due:
                track.notified = r.at
                return [Notice("renotify", track.alert)]
            return []
        track.below_since = track.below_since or r.at
        if (r.at - track.below_since).total_seconds() < th.clear_s:
            return []
        resolved = replace(track.alert, state="resolved", resolved=r.at)
        track.alert, track.above_since, track.below_since = None, None, None
        return [Notice("resolved", resolved)]

    def _find(self, alert_id: str) -> _Track:
        for track in self._tracks.values():
            if track.alert is not None and track.alert.alert_id == alert_id:
                return track
        raise KeyError(f"no firing alert {alert_id!r}")

    def restore(self, alert: Alert, notified: datetime) -> None:
        """Take up an alert that was firing when the service stopped, so a restart neither repeats nor loses it."""
        self._tracks[(alert.rule, alert.subject)] = _Track(above_since=alert.started, alert=alert, notified=notified)

    def resolve(self, alert_id: str, at: datetime) -> Alert:
        """An operator closed the alert: it is resolved now and the rule re-arms (it fires again if the cause remains)."""
        track = self._find(alert_id)
        assert track.alert is not None
        resolved = replace(track.alert, state="resolved", resolved=at)
        track.alert, track.above_since, track.below_since = None, None, None
        return resolved

    def acknowledge(self, alert_id: str, user: str, false_alarm: bool = False) -> Alert:
        """Stop re-notification; a false alarm is also counted against its rule for tuning."""
        track = self._find(alert_id)
        assert track.alert is not None
        track.alert = replace(track.alert, acked_by=user, false_alarm=false_alarm)
        if false_alarm:
            self.false_alarms[track.alert.rule] = self.false_alarms.get(track.alert.rule, 0) + 1
        return track.alert
