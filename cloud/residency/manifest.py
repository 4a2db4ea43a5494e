"""Build the residency manifest of a deployment: every dataset, where it lives, its retention, readers and exports.

Example:
    >>> from citytwin.deployment import Deployment
    >>> cfg = Deployment.model_validate({"site": {"id": "c", "name": "C", "width_m": 1, "height_m": 1},
    ...                                       "lake": {"path": "/srv/lake"}})
    >>> [d.name for d in build(cfg, probe_kafka=False).datasets][:3]
    ['lake', 'alerts', 'decisions']
"""

from __future__ import annotations

import socket
from datetime import datetime, timezone

from citytwin.deployment import Deployment
from cloud.residency import datasets
from cloud.residency.exports import exports
from cloud.residency.model import Dataset, Manifest
from cloud.residency.probe import partitions, topic_states


def build(cfg: Deployment, *, probe_kafka: bool = True, kafka_timeout_s: float = 5.0) -> Manifest:
    """The manifest of ``cfg``; with ``probe_kafka``, each city topic carries the retention its brokers report."""
    host = cfg.residency.host or socket.gethostname()
    found = [*datasets.cloud_files(cfg, host), *datasets.topics(cfg), *datasets.edge_spools(cfg), datasets.mqtt_queue(cfg)]
    lake = found[0]
    lake.partitions = partitions(cfg.lake_dir)
    kafka = "Kafka not asked"
    if probe_kafka:
        kafka = _probe(cfg, [d for d in found if d.kind == "kafka_topic" and not d.leaves_city], kafka_timeout_s)
    return Manifest(
        site=cfg.site.id, jurisdiction=cfg.residency.jurisdiction, host=host, generated=datetime.now(timezone.utc),
        kafka=kafka, datasets=found, exports=exports(cfg),
    )


def _probe(cfg: Deployment, city_topics: list[Dataset], timeout_s: float) -> str:
    """Attach the brokers' view to each city topic; returns whether they answered."""
    by_name = {d.location.rsplit("/", 1)[1]: d for d in city_topics}
    policy = {name: round(d.retention.seconds * 1000) if d.retention.seconds else None for name, d in by_name.items()}
    status, states = topic_states(cfg.kafka, policy, timeout_s)
    for name, state in states.items():
        by_name[name].topic = state
    return status
