"""Where alerts go: a JSON-lines store the twin reads, MQTT and Kafka for other systems.

Every outlet receives every notice (fired, renotify, resolved) as one JSON
object with a ``kind`` field; the remote ones also receive the operators'
decisions, which the cockpit keeps in a log of their own. Outlets never raise
into the rule loop: a broker outage is logged and retried on the next notice,
while the store on disk keeps everything.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from cloud.kafka.security import kafka_python_security
from cloud.kafka.settings import KafkaSasl, KafkaTls
from cloud.rules.alerts import Alert, Notice
from cloud.twin.lake import alert_log
from contract.broker import MqttConnection

log = logging.getLogger(__name__)

ALERTS_TOPIC = "citytwin.alerts"


def alert_record(kind: str, alert: Alert, **extra: Any) -> dict[str, Any]:
    """The wire and storage form of one alert change."""
    record = {"kind": kind, "at": datetime.now(timezone.utc).isoformat(), **asdict(alert), **extra}
    flat: dict[str, Any] = json.loads(json.dumps(record, default=str))  # datetimes as ISO strings
    return flat


class Outlet(Protocol):
    def send(self, record: dict[str, Any]) -> None: ...


class JsonLines:
    """An append-only JSON-lines log at ``path``, durable per record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def send(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]


class AlertStore(JsonLines):
    """The rules' alert log under the lake (``<lake>/alerts/alerts.jsonl``)."""

    def __init__(self, lake: Path) -> None:
        super().__init__(alert_log(lake))


class MqttOutlet:
    """Publishes on ``citytwin/alerts/{site}/{rule}`` at QoS 1, with the deployment's credentials and TLS."""

    def __init__(self, settings: MqttConnection, site: str, client_id: str | None = None) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.site = site
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id or f"citytwin-rules-{site}")
        settings.configure_paho(self.client)
        self.client.connect_async(settings.host, settings.port, keepalive=settings.keepalive_s)
        self.client.loop_start()

    def send(self, record: dict[str, Any]) -> None:
        topic = f"citytwin/alerts/{self.site}/{record['rule']}"
        info = self.client.publish(topic, json.dumps(record).encode(), qos=1)
        if info.rc:
            log.warning("alert for %s not handed to MQTT (rc %s); it is in the alert store", record["alert_id"], info.rc)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class KafkaOutlet:
    """Produces to ``citytwin.alerts`` keyed by rule, so one rule's alerts stay in order."""

    def __init__(
        self, bootstrap: str, topic: str = ALERTS_TOPIC, *, tls: KafkaTls | None = None, sasl: KafkaSasl | None = None
    ) -> None:
        from kafka import KafkaProducer

        self.topic = topic
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", client_id="citytwin-rules", **kafka_python_security(tls, sasl),
            max_block_ms=5000,  # a missing topic or an absent broker must not stall the rule loop for a minute
        )

    def send(self, record: dict[str, Any]) -> None:
        try:
            self.producer.send(self.topic, key=str(record["rule"]).encode(), value=json.dumps(record).encode())
        except Exception:  # the store keeps the alert; Kafka is for other systems
            log.warning("alert %s not produced to Kafka", record["alert_id"], exc_info=True)

    def close(self) -> None:
        self.producer.flush(10)
        self.producer.close()


class Fanout:
    """Sends each notice to every outlet; one failing outlet never stops the others."""

    def __init__(self, outlets: list[Outlet]) -> None:
        self.outlets = outlets

    def __call__(self, notice: Notice) -> None:
        self.record(alert_record(notice.kind, notice.alert))

    def record(self, record: dict[str, Any]) -> None:
        for outlet in self.outlets:
            try:
                outlet.send(record)
            except Exception:
                log.exception("alert outlet %s failed", type(outlet).__name__)

    send = record  # a fanout is itself an outlet, so fanouts nest
