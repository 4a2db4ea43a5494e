"""The alerts feed: a small store the rules engine writes into and operators acknowledge.

Alerts are kept in memory and, when a path is given, in a JSON file rewritten
atomically on every change, so acknowledgements survive a restart. The rules
engine (or a test) calls ``raise_alert``; the API lists and acknowledges.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["info", "warning", "critical"]


class Alert(BaseModel):
    """One alert as the screen shows it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(title="Alert id")
    rule: str = Field(title="Rule that raised it")
    subject: str = Field(title="Zone, line or node it is about")
    severity: Severity = Field(title="Severity")
    message: str = Field(title="What happened and what to do")
    raised_at: datetime = Field(title="When it fired (UTC)")
    acknowledged_by: str | None = Field(default=None, title="Who acknowledged it")
    acknowledged_at: datetime | None = Field(default=None, title="When it was acknowledged")


class AlertStore:
    """Thread-safe list of alerts, newest first, with optional JSON persistence."""

    def __init__(self, path: Path | None = None, keep: int = 500) -> None:
        self.path = path
        self.keep = keep
        self._alerts: dict[str, Alert] = {}
        self._lock = threading.Lock()
        if path is not None and path.exists():
            for raw in json.loads(path.read_text() or "[]"):
                alert = Alert.model_validate(raw)
                self._alerts[alert.id] = alert

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps([a.model_dump(mode="json") for a in self._alerts.values()]))
        os.replace(tmp, self.path)

    def raise_alert(self, alert: Alert) -> None:
        """Add or replace an alert (same id: the rule re-notified)."""
        with self._lock:
            self._alerts[alert.id] = alert
            if len(self._alerts) > self.keep:
                for old in sorted(self._alerts.values(), key=lambda a: a.raised_at)[: len(self._alerts) - self.keep]:
                    del self._alerts[old.id]
            self._save()

    def list(self, limit: int = 100) -> list[Alert]:
        with self._lock:
            return sorted(self._alerts.values(), key=lambda a: a.raised_at, reverse=True)[:limit]

    def acknowledge(self, alert_id: str, who: str) -> Alert | None:
        """Mark acknowledged (the first acknowledgement wins); ``None`` when the id is unknown."""
        with self._lock:
            alert = self._alerts.get(alert_id)
            if alert is None:
                return None
            if alert.acknowledged_by is None:
                alert = alert.model_copy(update={"acknowledged_by": who, "acknowledged_at": datetime.now(timezone.utc)})
                self._alerts[alert_id] = alert
                self._save()
            return alert
