"""The rule loop: read every rule against the twin, apply thresholds, hand notices on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from cloud.rules.alerts import AlertManager, Notice
from cloud.rules.registry import build_rule
from cloud.rules.settings import RuleConfig
from cloud.twin.twin import Twin
from contract.site import duplicated

log = logging.getLogger(__name__)


class RuleEngine:
    """Evaluates rules, built from their configs, over a twin; ``notify`` receives every fired, repeated or resolved alert."""

    def __init__(self, twin: Twin, rules: Sequence[RuleConfig], notify: Callable[[Notice], None] | None = None) -> None:
        dupes = duplicated(r.name for r in rules)
        if dupes:
            raise ValueError(f"rule names must be unique: {', '.join(dupes)}")
        self.twin = twin
        self.rules = [build_rule(config) for config in rules]
        self.manager = AlertManager({r.name: r.thresholds() for r in self.rules})
        self.notify = notify or (lambda _n: None)

    def evaluate(self, now: datetime, refresh: bool = True) -> list[Notice]:
        """One pass over every rule at ``now``."""
        if refresh:
            self.twin.refresh()
        notices: list[Notice] = []
        for rule in self.rules:
            try:
                readings = rule.read(self.twin, now)
            except Exception:  # one rule over odd data must not blind the others; it is tried again next pass
                log.exception("rule %s could not be read at %s; the other rules go on", rule.name, now.isoformat())
                continue
            for reading in readings:
                notices += self.manager.observe(reading)
        for notice in notices:
            log.info("alert %s: %s %s (%s)", notice.kind, notice.alert.rule, notice.alert.subject, notice.alert.action)
            self.notify(notice)
        return notices
