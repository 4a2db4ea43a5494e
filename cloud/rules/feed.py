"""The alert log and the operators' decisions read back: every alert's current state, folded from their records.

The rule service appends what its rules decide (``fired``, ``renotify``,
``resolved``) to the alert log under the lake; the cockpit appends what
operators decide (``ack``, ``false_alarm``, ``resolve``) to the decisions log
beside it. The decisions log may carry only decisions, so an alert record
forged into it is skipped; the alert log may also hold decisions, which
deployments older than the decisions log wrote there. Each poll folds the new alert records first, then
the new decisions (a decision always follows the alert it is about, whatever
the clocks of the two hosts say), so the cockpit's feed, the rule service
after a restart and the twin's ``alerts`` view all agree on one record of truth.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cloud.rules.alerts import Alert

log = logging.getLogger(__name__)

ENGINE_KINDS = ("fired", "renotify", "resolved")
OPERATOR_KINDS = ("ack", "false_alarm", "resolve")


def alert_of(record: dict[str, Any]) -> Alert:
    """The alert carried by one record (``alert_record`` in reverse)."""
    resolved = record.get("resolved")
    return Alert(
        alert_id=record["alert_id"], rule=record["rule"], subject=record["subject"], severity=record["severity"],
        state=record["state"], started=datetime.fromisoformat(record["started"]), value=float(record["value"]),
        evidence=dict(record.get("evidence") or {}), action=record.get("action") or "",
        resolved=datetime.fromisoformat(resolved) if resolved else None,
        acked_by=record.get("acked_by"), false_alarm=bool(record.get("false_alarm")),
    )


@dataclass(frozen=True)
class Entry:
    """One alert's state and when it last changed."""

    alert: Alert
    changed: datetime
    acked_at: datetime | None = None
    closed_by: str | None = None  # the operator who resolved it by hand


class _Tail:
    """The complete lines appended to one JSON-lines file since the last read."""

    def __init__(self, path: Path, kinds: tuple[str, ...]) -> None:
        self.path = path
        self.kinds = kinds
        self._offset = 0

    def read(self) -> list[bytes]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._offset += end
        return [line for line in data[:end].splitlines() if line.strip()]


class AlertFeed:
    """Reads the alert log and the decisions log incrementally and keeps every alert's folded state."""

    def __init__(self, path: Path, decisions: Path | None = None) -> None:
        self.path = path
        self.decisions = decisions
        self._logs = [_Tail(path, ENGINE_KINDS + OPERATOR_KINDS)]
        if decisions is not None:
            self._logs.append(_Tail(decisions, OPERATOR_KINDS))
        self.entries: dict[str, Entry] = {}
        self.false_alarms: dict[str, int] = {}
        self.fired: dict[str, int] = {}

    def poll(self) -> list[dict[str, Any]]:
        """Fold the records appended since the last poll, alert log first, and return them."""
        records = []
        for source in self._logs:
            for line in source.read():
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict) or record.get("kind") not in source.kinds:
                        raise ValueError(f"not one of {', '.join(source.kinds)}")
                    self._fold(record)
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("alert log %s: skipped a bad record (%s)", source.path, exc)
                    continue
                records.append(record)
        return records

    def _fold(self, record: dict[str, Any]) -> None:
        kind, at = record["kind"], datetime.fromisoformat(record["at"])
        alert_id = record["alert_id"]
        if kind in ENGINE_KINDS:
            old = self.entries.get(alert_id)
            alert = alert_of(record)
            if old is not None:  # the engine's copy may predate an operator's acknowledgement
                alert = replace(alert, acked_by=alert.acked_by or old.alert.acked_by,
                                false_alarm=alert.false_alarm or old.alert.false_alarm)
            if kind == "fired":
                self.fired[alert.rule] = self.fired.get(alert.rule, 0) + 1
            self.entries[alert_id] = Entry(alert, at, old.acked_at if old else None, old.closed_by if old else None)
            return
        if kind not in OPERATOR_KINDS:
            raise ValueError(f"unknown record kind {kind!r}")
        old = self.entries.get(alert_id)
        if old is None:
            raise KeyError(f"{kind} of unknown alert {alert_id!r}")
        by = str(record.get("by") or "")
        if kind == "resolve":
            alert = replace(old.alert, state="resolved", resolved=old.alert.resolved or at)
            self.entries[alert_id] = replace(old, alert=alert, changed=at, closed_by=by)
            return
        false_alarm = kind == "false_alarm"
        if false_alarm and not old.alert.false_alarm:
            self.false_alarms[old.alert.rule] = self.false_alarms.get(old.alert.rule, 0) + 1
        alert = replace(old.alert, acked_by=old.alert.acked_by or by, false_alarm=old.alert.false_alarm or false_alarm)
        self.entries[alert_id] = replace(old, alert=alert, changed=at, acked_at=old.acked_at or at)

    def firing(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.alert.state == "firing"]

    def newest(self, limit: int) -> list[Entry]:
        """Firing alerts first, then by when they started, newest first."""
        ordered = sorted(self.entries.values(), key=lambda e: (e.alert.state == "firing", e.alert.started), reverse=True)
        return ordered[:limit]
