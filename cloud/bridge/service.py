"""``citytwin bridge``: move events from MQTT to Kafka, acknowledging MQTT only once Kafka has them.

Start order: Kafka topics, then the producer, then the MQTT subscription
(made by the first turn of the loop). One thread runs the loop: read MQTT,
validate, produce, serve Kafka's delivery reports, acknowledge MQTT.
Stop order is the reverse: stop taking messages, let Kafka acknowledge what
is in flight (up to ``drain_timeout_s``), acknowledge those to MQTT,
disconnect, then close the producer. Whatever was not acknowledged stays in
the broker's session and is delivered again, so nothing is lost if the bridge
dies at any point; Kafka may then hold a duplicate, which the twin removes
(``cloud.twin.columns.KEY``).
"""

from __future__ import annotations

import argparse
import logging
import threading
import time

from confluent_kafka import KafkaError

from citytwin.deployment import Deployment
from citytwin.service import serve
from cloud.bridge.consume import MqttSource, Ticket
from cloud.bridge.metrics import BridgeSeries
from cloud.bridge.produce import KafkaOut, Outcome, Record
from cloud.bridge.report import BridgeMeter
from cloud.bridge.validate import Accepted, Validator
from cloud.dlq.records import DeadLetter
from cloud.kafka.clients import default_instance
from cloud.kafka.ready import until_ready
from cloud.kafka.topics import create_topics

log = logging.getLogger(__name__)

# A dead letter Kafka refuses is sent again with only this much of the payload.
_SMALL_DEAD_LETTER = 64 * 1024
# At most this many dead letters are logged one by one per report interval.
_LOGGED_DEAD_LETTERS = 20
# Longest wait for MQTT input in one turn of the loop; bounds the delay of acknowledgements.
STEP_S = 0.005


class Bridge:
    """One bridge instance: MQTT subscription in, Kafka producer out."""

    def __init__(self, cfg: Deployment, instance: str) -> None:
        self.cfg = cfg
        self.settings = cfg.cloud.bridge
        self.name = f"bridge-{instance}"
        self.validator = Validator.of(cfg)
        self.meter = BridgeMeter(self.settings.report_interval_s)
        self.series = BridgeSeries(cfg.metrics, self.meter)
        self.metrics = self.series.exposition
        self.stopping = threading.Event()
        self.fatal: KafkaError | None = None
        self._logged_dead = 0
        self.out: KafkaOut | None = None
        self.source: MqttSource | None = None

    def start(self) -> None:
        """Create topics, start the producer, then subscribe."""
        until_ready(lambda: create_topics(self.cfg, f"citytwin-{self.name}-admin"), self.cfg.kafka.bootstrap,
                    self.stopping, self.name)
        self.out = KafkaOut(self.cfg.kafka, f"citytwin-{self.name}", self.settings.linger_ms)
        self.source = MqttSource(self.cfg.mqtt, self.settings, f"citytwin-{self.name}", self._handle)
        source = self.source
        self.series.follow_in_flight(lambda: source.unacked)

    def _handle(self, topic: str, payload: bytes, ticket: Ticket) -> None:
        self.meter.received += 1
        verdict = self.validator.check(topic, payload)
        if isinstance(verdict, Accepted):
            ticket.ts = verdict.ts
            is_status = verdict.topic == self.cfg.kafka.topics.status
            self._send(Record(verdict.topic, verdict.key, verdict.value), ticket, topic, payload, is_status)
        else:
            letter = DeadLetter.of(
                payload, verdict.error, verdict.reason, "mqtt", topic, self.name, self.settings.dlq_max_raw_bytes
            )
            self._dead_letter(letter, ticket)

    def _send(self, record: Record, ticket: Ticket, topic: str, payload: bytes, is_status: bool) -> None:
        assert self.out is not None

        def on_result(outcome: Outcome, error: KafkaError | None) -> None:
            if outcome is Outcome.OK:
                ticket.done = True
                if is_status:
                    self.meter.status += 1
                else:
                    now = time.time()
                    self.meter.delivered(ticket.ts, now)
                    self.series.lag.observe(max(0.0, now - ticket.ts))
            elif outcome is Outcome.RESEND:
                # A fresh callback: one that referred to itself would make every event a reference
                # cycle, which only the garbage collector frees, in costly full collections.
                self.meter.resent += 1
                self._send(record, ticket, topic, payload, is_status)
            elif outcome is Outcome.REJECTED:
                reason = f"Kafka refused the record: {error.str() if error else 'unknown error'}"
                letter = DeadLetter.of(
                    payload, "kafka_rejected", reason, "mqtt", topic, self.name, self.settings.dlq_max_raw_bytes
                )
                self._dead_letter(letter, ticket)
            else:
                self._fail(error)

        self.out.send(record, on_result)

    def _dead_letter(self, letter: DeadLetter, ticket: Ticket) -> None:
        assert self.out is not None
        if self._logged_dead < _LOGGED_DEAD_LETTERS:
            self._logged_dead += 1
            log.warning(
                "dead-lettering %d bytes from %s: %s: %s", letter.original_size, letter.source_topic, letter.error, letter.reason
            )

        def on_result(outcome: Outcome, error: KafkaError | None) -> None:
            if outcome is Outcome.OK:
                ticket.done = True
                self.meter.dead_letters += 1
                self.series.dead_letters.labels(letter.error).inc()
            elif outcome is Outcome.RESEND:
                self.meter.resent += 1
                self.out.send(record, on_result)  # type: ignore[union-attr]
            elif outcome is Outcome.REJECTED and len(letter.raw) > _SMALL_DEAD_LETTER:
                self._dead_letter(letter.cut(_SMALL_DEAD_LETTER), ticket)
            elif outcome is Outcome.REJECTED:
                log.error("Kafka refused even a cut dead letter from %s (%s); dropping it", letter.source_topic, error)
                ticket.done = True
            else:
                self._fail(error)

        record = Record(self.cfg.kafka.topics.dlq, letter.key, letter.raw, letter.headers())
        self.out.send(record, on_result)

    def _fail(self, error: KafkaError | None) -> None:
        log.error("Kafka producer failed for good (%s); stopping without acknowledging", error)
        self.fatal = error
        self.stopping.set()

    def step(self) -> bool:
        """Take what MQTT delivered, serve delivery reports, acknowledge what Kafka has; never done on its own."""
        assert self.out is not None and self.source is not None
        self.source.step(STEP_S)
        self.out.poll(0)
        self.source.ack_ready()
        if self.meter.due(time.monotonic()):
            self._report()
        return True

    def _report(self) -> None:
        assert self.out is not None and self.source is not None
        log.info("%s", self.meter.line(self.source.unacked, len(self.out)))
        self._logged_dead = 0

    def stop(self) -> int:
        """Drain in reverse start order; returns 0, or 1 after a fatal Kafka error."""
        self.stopping.set()
        if self.source is None or self.out is None:
            return 0
        self.source.stop_receiving()
        deadline = time.monotonic() + self.settings.drain_timeout_s
        while self.fatal is None and (len(self.out) or self.source.unacked) and time.monotonic() < deadline:
            self.source.step(STEP_S)
            self.out.poll(0)
            self.source.ack_ready()
        if self.fatal is None:
            self.source.ack_ready()
        left = self.source.unacked
        self.source.stop()
        self.out.flush(1.0)
        self._report()
        if left:
            log.warning("%d messages were not acknowledged; the broker delivers them again", left)
        return 0 if self.fatal is None else 1


def _instance(args: argparse.Namespace, cfg: Deployment) -> str:
    return getattr(args, "instance", None) or cfg.cloud.bridge.instance or default_instance()


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin bridge``."""
    return serve(args, lambda cfg, args: Bridge(cfg, _instance(args, cfg)), "draining")
