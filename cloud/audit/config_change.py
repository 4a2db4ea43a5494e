"""Configuration changes, audited: a cloud service that starts on a changed deployment file records it.

Each start compares the file's SHA-256 with the newest ``config.change``
record for that file. When it differs, the service keeps a copy of the new
version next to the audit log (``config/<sha256>.yaml``) and appends a record
naming the file, both hashes and the top-level sections that changed, so an
auditor can see what changed, when, and diff the two versions.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import yaml

from citytwin.deployment import Deployment
from cloud.audit.chain import AuditLog

log = logging.getLogger(__name__)

ACTION = "config.change"


def _previous(audit: AuditLog, path: str) -> str | None:
    last = None
    for record in audit.records():
        if record.get("action") == ACTION and record["details"].get("path") == path:
            last = record["details"]["sha256"]
    return last


def _sections(text: bytes | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def snapshot_dir(audit_log: Path) -> Path:
    """Where the versions of the deployment file are kept, next to the audit log."""
    return audit_log.parent / "config"


def record_config(audit: AuditLog, config: Path, actor: str) -> bool:
    """Audit ``config`` if it differs from the version last recorded; True when a record was written.

    Services sharing a file often start together; a lock next to the snapshots
    makes the check and the record one step, so a change is recorded once.
    """
    text = config.read_bytes()
    digest = hashlib.sha256(text).hexdigest()
    path = str(config.resolve())
    store = snapshot_dir(audit.path)
    store.mkdir(parents=True, exist_ok=True)
    with (store / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = _previous(audit, path)
        if previous == digest:
            return False
        old_copy = store / f"{previous}.yaml" if previous else None
        old = _sections(old_copy.read_bytes() if old_copy and old_copy.exists() else None)
        new = _sections(text)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)) if previous else sorted(new)
        snapshot = store / f"{digest}.yaml"
        tmp = store / f".{digest}.{os.getpid()}.tmp"
        tmp.write_bytes(text)
        os.replace(tmp, snapshot)
        audit.append(actor, ACTION, {"path": path, "sha256": digest, "previous": previous, "changed": changed,
                                     "snapshot": str(snapshot)})
    log.info("audit: %s changed (%s); recorded", path, ", ".join(changed) or "formatting only")
    return True


def on_start(deployment: Deployment, config: Path, service: str, audit_log: Path | None = None) -> None:
    """Record the deployment file ``config``, loaded as ``deployment``, that a service starts with (in ``audit_log`` if given)."""
    try:
        record_config(AuditLog(audit_log or deployment.audit.log_path(deployment.lake_dir)), config, f"service:{service}")
    except OSError as exc:  # the service still starts; the operator sees why the change went unrecorded
        log.error("audit: could not record the configuration %s (%s)", config, exc)
