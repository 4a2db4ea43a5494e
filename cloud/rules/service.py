"""``citytwin rules``: evaluate the deployment's rules over the twin, forever, and hand alerts on.

Every ``interval_s`` the service refreshes the twin (new lake files and the
live Kafka tail), evaluates each rule, and sends each alert change to the
alert log under the lake, MQTT and Kafka. Between evaluations it reads the
operators' acknowledgements, false alarms and resolutions from the decisions
log the cockpit writes (``rules.decisions``), so an acknowledged alert stops
re-notifying. On start it takes up the alerts
that were still firing, so a restart neither repeats nor loses one.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any

from citytwin.deployment import Deployment
from citytwin.errors import ConfigError
from citytwin.memory import release_freed
from citytwin.service import Pace, serve
from cloud.kafka.ready import in_background
from cloud.kafka.topics import create_topics
from cloud.rules.engine import RuleEngine
from cloud.rules.feed import OPERATOR_KINDS, AlertFeed
from cloud.rules.metrics import RulesSeries
from cloud.rules.outlets import AlertStore, Fanout, KafkaOutlet, MqttOutlet, Outlet
from cloud.twin.follow import Follower
from cloud.twin.twin import Twin

log = logging.getLogger(__name__)

KAFKA_RETRY_S = 30.0


class RuleService:
    """The rule engine, its outlets and the operators' feedback, for one deployment."""

    def __init__(self, cfg: Deployment, outlets: list[Outlet] | None = None) -> None:
        self.cfg = cfg
        self.settings = cfg.rules
        self.store = AlertStore(cfg.lake_dir)
        self.follower = Follower(cfg.kafka.bootstrap, cfg.kafka.topics.events, tls=cfg.kafka.tls, sasl=cfg.kafka.sasl)
        self.decisions = cfg.rules.decisions_log(cfg.lake_dir)
        self.twin = Twin(cfg.lake_dir, cfg.site, cfg.cameras, tail=self.follower.buffer, decisions=self.decisions,
                         settings=cfg.cloud.twin)
        # Other systems: MQTT, and Kafka once it answers; they get alert changes and operators' decisions.
        self.remote = Fanout(outlets if outlets is not None else self._remote_outlets())
        self.fanout = Fanout([self.store, self.remote])
        self.kafka_outlet: KafkaOutlet | None = None
        self.engine = RuleEngine(self.twin, self.settings.rules, self.fanout)
        self.feed = AlertFeed(self.store.path, self.decisions)
        self.stopping = threading.Event()
        self.series = RulesSeries(cfg.metrics)
        self.metrics = self.series.exposition
        self._take_up()
        self._kafka_thread: threading.Thread | None = None
        if outlets is None and self.settings.kafka:  # injected outlets are used as given
            # In the background, so an absent broker never holds up an evaluation; meanwhile alerts go to the log and MQTT.
            self._kafka_thread = in_background(self._kafka_outlet, self._add_kafka_outlet, cfg.kafka.bootstrap,
                                               self.stopping, "rules", KAFKA_RETRY_S, (Exception,))
        self._report_at = time.monotonic()
        self.pace = Pace(self.settings.interval_s, self.stopping)
        self.failed = False

    def _remote_outlets(self) -> list[Outlet]:
        outlets: list[Outlet] = []
        if self.settings.mqtt:
            outlets.append(MqttOutlet(self.cfg.mqtt, self.cfg.site.id))
        return outlets

    def _kafka_outlet(self) -> KafkaOutlet:
        create_topics(self.cfg, "citytwin-rules-admin")  # brokers do not create topics on first use
        return KafkaOutlet(self.cfg.kafka.bootstrap, self.settings.topic, tls=self.cfg.kafka.tls, sasl=self.cfg.kafka.sasl)

    def _add_kafka_outlet(self, outlet: KafkaOutlet) -> None:
        self.kafka_outlet = outlet
        self.remote.outlets.append(outlet)
        log.info("rules: alerts also go to Kafka %s", self.settings.topic)

    def _take_up(self) -> None:
        self.feed.poll()
        known = {r.name for r in self.settings.rules}
        for entry in self.feed.firing():
            if entry.alert.rule in known:
                self.engine.manager.restore(entry.alert, notified=entry.changed)
        self.engine.manager.false_alarms.update(self.feed.false_alarms)
        log.info("rules: %d rules; took up %d firing alerts from %s", len(self.settings.rules),
                 len(self.engine.manager.active()), self.store.path)

    def apply_feedback(self) -> int:
        """Apply the operators' actions written since the last call; returns how many."""
        applied = 0
        for record in self.feed.poll():
            if record["kind"] not in OPERATOR_KINDS:
                continue
            try:
                self._apply(record)
            except KeyError:
                log.info("rules: %s of %s: the alert is no longer firing", record["kind"], record["alert_id"])
            self.remote.record(record)  # other systems see the operators' decisions too
            applied += 1
        return applied

    def _apply(self, record: dict[str, Any]) -> None:
        manager, alert_id, by = self.engine.manager, record["alert_id"], str(record.get("by") or "operator")
        if record["kind"] == "resolve":
            manager.resolve(alert_id, datetime.fromisoformat(record["at"]))
        else:
            manager.acknowledge(alert_id, by, false_alarm=record["kind"] == "false_alarm")
        log.info("rules: %s %s by %s", record["kind"], alert_id, by)

    def evaluate(self, now: datetime | None = None) -> int:
        """Feedback, then one evaluation of every rule; returns the number of alert changes."""
        self.follower.ensure()
        self.apply_feedback()
        return len(self.engine.evaluate(now or datetime.now(timezone.utc)))

    def start(self) -> None:
        """Everything starts when the service is made; the Kafka outlet joins in the background."""

    def step(self) -> bool:
        """The rest of ``rules.interval_s`` since the previous evaluation, then one evaluation; False once stopped.

        A failed evaluation is logged and tried again at the next step; ``stop`` reports it if it was the last.
        """
        if not self.pace.wait():
            return False
        started = time.monotonic()
        try:
            self.evaluate()
            self.failed = False
        except Exception:  # a bad file or a broker outage must not end the service; the next pass retries
            log.exception("rules: evaluation failed; retrying in %.0f s", self.settings.interval_s)
            self.failed = True
        release_freed()  # an evaluation reads the open hour and frees it: keep none of it until the next one
        self.series.evaluations.record(started, ok=not self.failed)
        self.series.firing.set(len(self.engine.manager.active()))
        if started - self._report_at >= 60:
            self._report_at = started
            log.info("rules: %d alerts firing; false alarms per rule %s", len(self.engine.manager.active()),
                     self.engine.manager.false_alarms or "none")
        return True

    def stop(self) -> int:
        """Close everything; 1 when the last evaluation failed."""
        self.close()
        return 1 if self.failed else 0

    def close(self) -> None:
        self.stopping.set()
        if self._kafka_thread is not None:
            self._kafka_thread.join(timeout=2)  # a daemon: an attempt still waiting on Kafka ends with the process
        for outlet in self.remote.outlets:
            close = getattr(outlet, "close", None)
            if close is not None:
                close()
        self.follower.stop()
        self.twin.close()


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin rules``."""
    cfg: Deployment = args.deployment
    if not cfg.rules.rules:
        raise ConfigError(f"{args.config} declares no rules; add them under rules.rules (see cloud/rules/README.md)")
    return serve(args, lambda cfg, _args: RuleService(cfg), "stopping after this evaluation")
