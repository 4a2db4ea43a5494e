"""The datasets a deployment keeps, as its configuration declares them: files, topics, spools and queues.

Each builder reads only the deployment file; ``manifest`` adds what is
actually on disk and on the brokers.
"""

from __future__ import annotations

from pathlib import Path

from citytwin.deployment import Deployment
from cloud.audit.config_change import snapshot_dir
from cloud.audit.settings import TopicRole
from cloud.residency.access import roles_with
from cloud.residency.model import Dataset, Retention
from cloud.twin.lake import alert_log

DAY_S = 86_400.0
# The edge publisher's spool folder when mqtt.spool_dir is unset (edge/publish/mqtt.py), relative to the node's working folder.
EDGE_SPOOL_DEFAULT = Path(".run/spool")
# Every cloud service records the deployment file it starts with, and anchors the log's head; some also record what they do.
AUDIT_WRITERS = ["bridge", "sink", "rules", "cockpit", "citytwin retention", "citytwin federate", "citytwin export"]
# Operators' commands that are audited before they run.
AUDITED_COMMANDS = ["citytwin query", "citytwin dlq replay"]
ANCHORS = "heads of the audit log (seq, hash, when, host, log path) that `citytwin audit verify` checks it against"
EVENTS = "event metadata: line crossings, zone occupancy, dwell, counts and node health; no identities"


def cloud_files(cfg: Deployment, host: str) -> list[Dataset]:
    """The lake, the alert log, the operators' decisions and the audit log on the cloud services' host."""
    lake = cfg.lake_dir.resolve()
    audit = cfg.audit.log_path(lake).resolve()
    decisions = cfg.rules.decisions_log(lake).resolve()
    days = cfg.retention.lake_days
    kept = "kept: retention never deletes it"
    return [
        Dataset(
            name="lake", kind="parquet", host=host, location=str(lake), files=["date=*", "rollups/*"],
            retention=Retention(policy=f"{days} days of date= partitions and of their days' rollups", seconds=days * DAY_S,
                                enforced_by=f"citytwin retention (every {cfg.retention.interval_s:g} s with --every)"),
            readers=roles_with("read"),
            services=["sink (writes)", "twin", "cockpit", "rules", "citytwin query", "citytwin federate", "citytwin export",
                      "citytwin rollup (writes rollups)"],
            contains=f"{EVENTS}; anonymised snapshots when the edge enables them; per-minute, 15-minute, hour and day rollups of them",
        ),
        Dataset(
            name="alerts", kind="jsonl", host=host, location=str(alert_log(lake)),
            retention=Retention(policy=f"{kept}; alerts and operators' decisions are the record", seconds=None, enforced_by="none"),
            readers=roles_with("read"), services=["rules (writes)", "cockpit", "twin alerts view"],
            contains="alert changes with evidence and suggested actions",
        ),
        Dataset(
            name="decisions", kind="jsonl", host=host, location=str(decisions),
            retention=Retention(policy=f"{kept}; alerts and operators' decisions are the record", seconds=None, enforced_by="none"),
            readers=roles_with("read"), services=["cockpit (writes)", "rules", "twin alerts view"],
            contains="operators' acknowledgements, false alarms and resolutions of alerts, with who made them",
        ),
        Dataset(
            name="audit", kind="audit_log", host=host, location=str(audit),
            retention=Retention(policy=f"{kept}; a hash chain, pruning it would break verification", seconds=None, enforced_by="none"),
            readers=roles_with("audit"), services=[*AUDIT_WRITERS, *AUDITED_COMMANDS, "citytwin audit"],
            contains="who did what: logins, SQL statements, alert decisions, deletions, exports and configuration changes",
        ),
        Dataset(
            name="audit:anchors", kind="audit_log", host=host, location=str(cfg.audit.anchor_file(lake).resolve()),
            retention=Retention(policy=f"{kept}; append-only, created 0600", seconds=None, enforced_by="none"),
            readers=[], services=[*AUDIT_WRITERS, "citytwin audit verify"], contains=ANCHORS,
        ),
        Dataset(
            name="audit:config", kind="audit_log", host=host, location=str(snapshot_dir(audit)),
            retention=Retention(policy=f"{kept}; the versions the audit log's config.change records name", seconds=None,
                                enforced_by="none"),
            readers=roles_with("audit"), services=AUDIT_WRITERS,
            contains="copies of the deployment file (settings and host names; secrets stay in the environment)",
        ),
    ]


def _topic(cfg: Deployment, key: str, topic: str, retention: Retention, contains: str, services: list[str],
           readers: list[str]) -> Dataset:
    bootstrap = cfg.kafka.bootstrap
    return Dataset(
        name=f"kafka:{key}", kind="kafka_topic", host=bootstrap, location=f"kafka://{bootstrap}/{topic}",
        storage=cfg.residency.kafka_data, retention=retention, readers=readers, services=services, contains=contains,
    )


def _kept(cfg: Deployment, role: TopicRole, by: str = "the bridge") -> Retention:
    ms = cfg.retention.kafka_retention_ms(role)
    if ms < 0:
        return Retention(policy="kept (retention.ms -1), as long as the audit log", seconds=None,
                         enforced_by=f"Kafka retention.ms, set by {by} when it creates the topic")
    return Retention(policy=f"{ms / 3_600_000:g} hours (retention.ms {ms})", seconds=ms / 1000,
                     enforced_by=f"Kafka retention.ms, set by {by} at start-up")


def topics(cfg: Deployment) -> list[Dataset]:
    """The city cluster's topics: events, dead letters, status, and alerts when the rules produce them."""
    names = cfg.kafka.topics
    found = [
        _topic(cfg, "events", names.events, _kept(cfg, "events"), EVENTS,
               ["bridge (writes)", "sink", "rules", "cockpit live tail"], roles_with("read")),
        _topic(cfg, "dlq", names.dlq, _kept(cfg, "dlq"), "rejected payloads as received, with the reason in the headers",
               ["bridge (writes)", "citytwin dlq"], []),
        _topic(cfg, "status", names.status,
               Retention(policy="compacted: the latest status per camera", seconds=None, enforced_by="Kafka log compaction"),
               "each camera's online/offline status", ["bridge (writes)"], []),
    ]
    if cfg.audit.anchor_kafka:
        found.append(_topic(cfg, "audit-anchors", names.audit_anchors, _kept(cfg, "audit_anchors", "every audit log writer"),
                            ANCHORS, [f"{w} (writes)" for w in AUDIT_WRITERS] + ["citytwin audit verify"], []))
    if cfg.rules.kafka:
        found.append(_topic(cfg, "alerts", cfg.rules.topic, _kept(cfg, "alerts"),
                            "alert changes: rule, subject, severity, evidence, suggested action", ["rules (writes)"], []))
    fed = cfg.federation
    if fed is not None:
        found.append(Dataset(
            name="kafka:federation", kind="kafka_topic", host=fed.bootstrap, location=f"kafka://{fed.bootstrap}/{fed.topic}",
            retention=Retention(policy="set by the regional twin", seconds=None, enforced_by="the region's Kafka"),
            readers=[], services=["citytwin federate (writes)", "regional twin"], leaves_city=True,
            contains=f"aggregated counts per {fed.bucket_s} s bucket, counts below {fed.k} suppressed",
        ))
    return found


def node_ids(cfg: Deployment) -> list[str]:
    """Each camera's edge node id, '{site}-{camera}' unless the camera names one."""
    return [camera.node or f"{cfg.site.id}-{camera.id}" for camera in cfg.cameras]


def edge_spools(cfg: Deployment) -> list[Dataset]:
    """Each edge node's on-disk buffer and sequence block, on the node itself."""
    folder = cfg.mqtt.spool_dir or EDGE_SPOOL_DEFAULT
    bound = "bounded by mqtt.spool_max_messages and spool_max_mb"
    if cfg.mqtt.spool_max_messages and cfg.mqtt.spool_max_mb:
        bound = f"at most {cfg.mqtt.spool_max_messages} messages / {cfg.mqtt.spool_max_mb:g} MB"
    return [
        Dataset(
            name=f"spool:{node}", kind="edge_spool", host=cfg.residency.edge_host.replace("{node}", node), location=str(folder),
            # The SQLite spool with its WAL, and the sequence block (SequenceBlocks writes .tmp, then renames).
            files=[f"{node}.sqlite", f"{node}.sqlite-wal", f"{node}.sqlite-shm", f"{node}.seq", f"{node}.tmp"],
            retention=Retention(policy=f"until the MQTT broker acknowledges each event; {bound}", seconds=None,
                                enforced_by="the edge publisher deletes acknowledged events"),
            readers=[], services=[f"edge node {node}"],
            contains=f"events waiting for the broker ({EVENTS}) and the node's next sequence block",
        )
        for node in node_ids(cfg)
    ]


def mqtt_queue(cfg: Deployment) -> Dataset:
    """Mosquitto's queues: events for a disconnected bridge, retained camera status, alerts."""
    mqtt, site = cfg.mqtt, cfg.site.id
    expiry = cfg.cloud.bridge.session_expiry_s
    return Dataset(
        name="mqtt", kind="mqtt_queue", host=mqtt.host, location=f"mqtt://{mqtt.host}:{mqtt.port}",
        files=[f"{cfg.cloud.bridge.topic_prefix}/{site}/#", f"citytwin/alerts/{site}/#"], storage=cfg.residency.mqtt_data,
        retention=Retention(policy=f"queued for a stopped bridge up to its session expiry ({expiry} s); "
                                   "each camera's status is retained until replaced",
                            seconds=float(expiry), enforced_by="Mosquitto session expiry"),
        readers=[], services=["edge nodes (write)", "bridge", "rules (writes alerts)"],
        contains=f"{EVENTS}, in flight to the bridge; camera status; alerts",
    )
