"""The flows out of the cloud services: the federation link, the standards exporters, alert outlets and snapshots."""

from __future__ import annotations

from citytwin.deployment import Deployment
from cloud.residency.model import Export

# Federation sends count cells only (cloud/federation/export.py); none of these ever cross.
NEVER_FEDERATED = ["event ids", "track ids", "snapshots", "per-event timestamps", "node ids"]
# The exporters send aggregates (cloud/export/aggregates.py); node ids only with NGSI-LD's node health.
NEVER_EXPORTED = ["event ids", "track ids", "snapshots", "per-event timestamps"]


def exports(cfg: Deployment) -> list[Export]:
    """Every configured export of ``cfg``, the federation link first."""
    found = []
    fed = cfg.federation
    if fed is not None:
        found.append(Export(
            name="federation", kind="federation", destination=f"kafka://{fed.bootstrap}/{fed.topic}", leaves_city=True,
            crosses=f"aggregates only: crossings per line and direction, peak occupancy per zone and objects per heatmap "
                    f"cell (its size and rounded centre), per {fed.bucket_s} s bucket, with counts below {fed.k} suppressed",
            never=NEVER_FEDERATED, k=fed.k, bucket_s=fed.bucket_s,
        ))
    for name, exporter in cfg.cloud.exporters.items():
        datasets, attributes = exporter.sends()
        found.append(Export(
            name=f"exporter:{name}", kind="exporter", destination=f"{exporter.type} {exporter.url} (host {exporter.host})",
            leaves_city=exporter.leaves_city, crosses="; ".join(attributes), datasets=datasets, k=exporter.k,
            bucket_s=min(exporter.buckets_s),
            never=NEVER_EXPORTED + ([] if "health" in datasets else ["node ids"]),
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

