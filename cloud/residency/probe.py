"""What is actually there: the lake's partitions on disk and the retention set on each Kafka topic.

A broker that does not answer is reported, never raised: the manifest must
still describe the deployment while Kafka is down.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from cloud.kafka.clients import admin_config
from cloud.kafka.settings import KafkaSettings
from cloud.kafka.topics import RETENTION_MS, topic_configs
from cloud.residency.model import Partitions, TopicState

log = logging.getLogger(__name__)


def partitions(lake: Path) -> Partitions:
    """Count the ``date=`` partitions under ``lake``, their files and bytes, and the oldest and newest day."""
    days: list[date] = []
    files = size = 0
    for folder in lake.glob("date=*"):
        try:
            days.append(date.fromisoformat(folder.name.removeprefix("date=")))
        except ValueError:
            continue  # not a partition the sink wrote; retention ignores it too
        for path in folder.rglob("*"):
            if path.is_file():
                files += 1
                size += path.stat().st_size
    return Partitions(count=len(days), files=files, bytes=size, oldest=min(days, default=None), newest=max(days, default=None))


def topic_states(kafka: KafkaSettings, policy_ms: dict[str, int | None], timeout_s: float = 5.0) -> tuple[str, dict[str, TopicState]]:
    """The brokers' view of each topic in ``policy_ms`` (name -> wanted retention.ms, or None) and a one-line status."""
    admin = AdminClient({**admin_config(kafka, "citytwin-residency"), "socket.timeout.ms": int(timeout_s * 1000)})
    try:
        existing = set(admin.list_topics(timeout=timeout_s).topics)
        configs = topic_configs(admin, sorted(n for n in policy_ms if n in existing), timeout_s)
    except KafkaException as exc:
        note = f"Kafka at {kafka.bootstrap} did not answer ({exc.args[0].str() if exc.args else exc}); topic settings unknown"
        log.warning("residency: %s", note)
        return note, {name: TopicState(reachable=False, policy_ms=ms, note=note) for name, ms in policy_ms.items()}
    return f"Kafka at {kafka.bootstrap} answered", {
        name: _state(name in existing, configs.get(name, {}), ms) for name, ms in policy_ms.items()
    }


def _state(exists: bool, config: dict[str, str], policy_ms: int | None) -> TopicState:
    if not exists:
        return TopicState(reachable=True, exists=False, policy_ms=policy_ms, note="the topic does not exist (yet)")
    raw = config.get(RETENTION_MS)
    actual = int(raw) if raw is not None else None
    mismatch = policy_ms is not None and actual != policy_ms
    note = f"retention.ms is {actual}, the policy says {policy_ms}" if mismatch else ""
    return TopicState(reachable=True, exists=True, retention_ms=actual, policy_ms=policy_ms,
                      cleanup_policy=config.get("cleanup.policy"), mismatch=mismatch, note=note)
