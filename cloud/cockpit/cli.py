"""``citytwin cockpit``: serve the screen and its API over the twin of one deployment.

It refuses to start without a users file (there is no default account):
create one with ``python -m cloud.cockpit.users USERS.yaml NAME admin``.
When the deployment names a Kafka bootstrap that answers, the live tail
follows ``citytwin.events`` so counts move within a second; otherwise the
screen follows the lake as the sink writes it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from citytwin import configfile
from citytwin.configfile import ConfigError
from cloud.audit.chain import AuditLog
from cloud.cockpit.alerts import AlertStore
from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import Users, UsersError
from cloud.siteconfig import load_site
from cloud.twin import Twin
from cloud.twin.tail import KafkaTail, TailBuffer

log = logging.getLogger(__name__)


class _KafkaPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    kafka: dict[str, Any] | None = None


def _start_tail(config: Path, buffer: TailBuffer) -> KafkaTail | None:
    try:
        kafka = configfile.load(config, _KafkaPart).kafka or {}
        bootstrap = str(kafka.get("bootstrap") or "")
        topic = str((kafka.get("topics") or {}).get("events", "citytwin.events"))
        if not bootstrap:
            return None
        return KafkaTail(buffer, bootstrap, topic).start()
    except Exception as exc:  # the screen still works from the lake alone
        log.warning("cockpit: no live Kafka tail (%s); following the lake only", exc)
        return None


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.users is None:
        print("citytwin cockpit: --users USERS.yaml is required (there is no default account); create one with\n"
              "  python -m cloud.cockpit.users USERS.yaml NAME admin", file=sys.stderr)
        return 2
    try:
        registry = load_site(args.config)
        users = Users.load(args.users)
    except (ConfigError, UsersError) as exc:
        print(f"citytwin cockpit: {exc}", file=sys.stderr)
        return 2
    audit_path = args.audit_log or registry.lake.parent / "audit" / "cockpit.jsonl"
    buffer = TailBuffer()
    tail = _start_tail(args.config, buffer)
    twin = Twin(registry.lake, registry.site, registry.cameras, tail=buffer, max_rows=5000)
    cockpit = Cockpit(
        twin=twin, users=users, audit=AuditLog(audit_path),
        alerts=AlertStore(registry.lake.parent / "cockpit" / "alerts.json"),
    )
    import uvicorn  # imported late so `citytwin --help` needs no server

    log.info("cockpit: http://%s:%d/ (%d users, audit log %s)", args.host, args.port, len(users), audit_path)
    try:
        uvicorn.run(create_app(cockpit), host=args.host, port=args.port, log_level="info")
    finally:
        if tail is not None:
            tail.stop()
        twin.close()
    return 0
