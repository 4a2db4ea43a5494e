"""``citytwin audit``: verify the hash chain against its anchors, print its head, or show recent records.

``verify`` checks every link and then the log against the newest anchors it
can find: the anchor file (``--anchors``, else the deployment's
``audit.anchor_path`` with ``-c``, else the default next to the log) and, with
``-c SITE.yaml``, the Kafka topic ``kafka.topics.audit_anchors``. A log that
ends before an anchored seq, or differs from an anchor at one, is reported
with the seq and both hashes. Records hold text typed by anyone who reached
the cockpit (a failed login records the name as typed), so everything is
printed terminal-safe.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException

from citytwin.deployment import Deployment
from citytwin.errors import UsageError
from citytwin.terminal import safe
from cloud.audit import anchor_kafka
from cloud.audit.anchor import Anchor, AnchorFile, Found
from cloud.audit.chain import head, read, verify
from cloud.audit.settings import anchors_beside


def _mine(found: Found, log: Path, site: str | None, source: str, notes: list[str]) -> list[Anchor]:
    """The anchors of this log (and site, when known); the others are counted in ``notes``."""
    mine = [a for a in found.anchors if a.log == str(log) and (site is None or a.site == site)]
    if len(mine) < len(found.anchors):
        notes.append(f"{len(found.anchors) - len(mine)} anchors in {source} are for other logs and were not used")
    if found.unreadable:
        notes.append(f"{found.unreadable} entries in {source} are not anchors and were skipped")
    return mine


def _anchors(args: argparse.Namespace, cfg: Deployment | None, log: Path, notes: list[str]) -> tuple[list[Anchor], list[str]]:
    """The anchors of ``log`` from every place there is to look, and the places looked in."""
    file = args.anchors or (cfg.audit.anchor_file(cfg.lake_dir) if cfg else anchors_beside(log))
    site = cfg.site.id if cfg else None
    looked = [f"anchor file {file}" + ("" if file.is_file() else " (absent)")]
    anchors = _mine(AnchorFile(file).read(), log, site, str(file), notes)
    if cfg is None:
        looked.append("no Kafka topic (give -c SITE.yaml to read it)")
    elif args.no_kafka or not cfg.audit.anchor_kafka:
        looked.append("no Kafka topic (" + ("--no-kafka" if args.no_kafka else "audit.anchor_kafka is off") + ")")
    else:
        where = f"Kafka topic {cfg.kafka.topics.audit_anchors} at {cfg.kafka.bootstrap}"
        looked.append(where)
        try:
            anchors += _mine(anchor_kafka.read(cfg.kafka, "citytwin-audit-verify"), log, site, where, notes)
        except KafkaException as exc:
            notes.append(f"{where} could not be read ({anchor_kafka.describe(exc)}): its anchors were not checked")
    return anchors, looked


def _verify(args: argparse.Namespace, cfg: Deployment | None, log: Path) -> int:
    notes: list[str] = []
    anchors, looked = _anchors(args, cfg, log, notes)
    verdict = verify(log, args.head, anchors)
    print(safe(str(verdict)), file=sys.stdout if verdict.ok else sys.stderr)
    for note in notes:
        print(f"warning: {safe(note)}", file=sys.stderr)
    if not anchors and args.head is None:
        print(f"warning: no anchor of this log was found (looked in: {safe('; '.join(looked))}), so records cut off "
              "the end or a consistently rewritten chain would go unnoticed. Long-running services anchor the log every "
              "audit.anchor_interval_s; give -c SITE.yaml to read the Kafka anchors, or --head HASH", file=sys.stderr)
    return 0 if verdict.ok else 1


def _line(record: dict[str, Any]) -> str:
    seq = "?" if record["seq"] is None else str(record["seq"])
    details = safe(json.dumps(record["details"], ensure_ascii=False))
    return f"{seq:>6} {safe(record['ts'])} {safe(record['actor']):<12} {safe(record['action']):<20} {details}"


def run(args: argparse.Namespace) -> int:
    cfg: Deployment | None = args.deployment
    path = args.log or (cfg.audit.log_path(cfg.lake_dir) if cfg else None)
    if path is None:
        raise UsageError("give the log as --log AUDIT.jsonl, or the deployment as -c SITE.yaml")
    if not path.is_file():
        raise UsageError(f"no audit log at {path}")
    path = path.resolve()
    if args.action == "verify":
        return _verify(args, cfg, path)
    if args.action == "head":
        seq, digest = head(path)
        print(f"{seq} {safe(digest)}")
        return 0
    for record in read(path, args.last):
        print(_line(record))
    return 0
