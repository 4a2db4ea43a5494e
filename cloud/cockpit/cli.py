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
from cloud import config
from cloud.audit.chain import AuditLog
from cloud.cockpit.alerts import AlertBoard
from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import Users, UsersError
from cloud.siteconfig import load_site
from cloud.twin import Twin
from cloud.config import KafkaSettings
from cloud.twin.follow import Follower

log = logging.getLogger(__name__)


class _KafkaPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    kafka: dict[str, Any] | None = None


def _follower(config: Path) -> Follower:
    raw = configfile.load(config, _KafkaPart).kafka
    if raw is None:  # no Kafka configured: the screen follows the lake only
        return Follower(None, "citytwin.events")
    kafka = KafkaSettings.model_validate(raw)
    return Follower(kafka.bootstrap or None, kafka.topics.events, tls=kafka.tls, sasl=kafka.sasl)


def run(args: argparse.Namespace) -> int:
    if args.users is None:
        print("citytwin cockpit: --users USERS.yaml is required (there is no default account); create one with\n"
              "  python -m cloud.cockpit.users USERS.yaml NAME admin", file=sys.stderr)
        return 2
    try:
        registry = load_site(args.config)
        deployment = config.load(args.config)
        users = Users.load(args.users)
    except (ConfigError, UsersError) as exc:
        print(f"citytwin cockpit: {exc}", file=sys.stderr)
        return 2
    audit_path = args.audit_log or deployment.audit.log_path(deployment.lake.path)
    follower = _follower(args.config)
    decisions = deployment.rules.decisions_log(deployment.lake.path)
    twin = Twin(registry.lake, registry.site, registry.cameras, tail=follower.buffer, max_rows=5000, decisions=decisions)
    cockpit = Cockpit(
        twin=twin, users=users, audit=AuditLog(audit_path),
        alerts=AlertBoard(registry.lake, decisions), follower=follower, deployment=deployment,
    )
    import uvicorn  # imported late so `citytwin --help` needs no server

    log.info("cockpit: http://%s:%d/ (%d users, audit log %s)", args.host, args.port, len(users), audit_path)
    try:
        uvicorn.run(create_app(cockpit), host=args.host, port=args.port, log_level="info")
    finally:
        follower.stop()
        twin.close()
    return 0
