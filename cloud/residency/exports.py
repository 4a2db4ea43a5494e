"""The flows out of the cloud services: the federation link (the only one that leaves the city) and alert outlets."""

from __future__ import annotations

from citytwin.deployment import Deployment
from cloud.residency.model import Export

# Federation sends count cells only (cloud/federation/export.py); none of these ever cross.
NEVER_FEDERATED = ["event ids", "track ids", "snapshots", "per-event timestamps", "node ids"]


def exports(cfg: Deployment) -> list[Export]:
    """Every configured export of ``cfg``, the federation link first."""
    found = []
    fed = cfg.federation
    if fed is not None:
        found.append(Export(
            name="federation", kind="federation", destination=f"kafka://{fed.bootstrap}/{fed.topic}", leaves_city=True,
            crosses=f"aggregates only: crossings per line and direction and peak occupancy per zone, per {fed.bucket_s} s "
                    f"bucket, with counts below {fed.k} suppressed",
            never=NEVER_FEDERATED, k=fed.k, bucket_s=fed.bucket_s,
        ))
    alert = "alert changes: rule, subject, severity, evidence and the suggested action"
    if cfg.rules.mqtt:
        found.append(Export(
            name="alerts:mqtt", kind="alert_outlet", leaves_city=False, crosses=alert,
            destination=f"mqtt://{cfg.mqtt.host}:{cfg.mqtt.port}/citytwin/alerts/{cfg.site.id}/{{rule}}",
        ))
    if cfg.rules.kafka:
        found.append(Export(
            name="alerts:kafka", kind="alert_outlet", leaves_city=False, crosses=alert,
            destination=f"kafka://{cfg.kafka.bootstrap}/{cfg.rules.topic}",
        ))
    snapshots = cfg.edge.snapshots
    if snapshots.enabled:
        found.append(Export(
            name="snapshots", kind="snapshots", leaves_city=False,
            destination=f"mqtt://{cfg.mqtt.host}:{cfg.mqtt.port} -> kafka://{cfg.kafka.bootstrap}/{cfg.kafka.topics.events} -> lake",
            crosses=f"a still per camera every {snapshots.interval_s} s with faces blurred on the node",
            never=["unblurred faces"],
        ))
    return found

