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
from typing import TYPE_CHECKING

from citytwin.deployment import Deployment
from citytwin.errors import ConfigError, UsageError
from citytwin.lifecycle import stop_on_signals
from cloud.audit.chain import AuditLog, AuditWriteError
from cloud.cockpit.alerts import AlertBoard
from cloud.cockpit.app import create_app
from cloud.cockpit.metrics import CockpitSeries
from cloud.cockpit.service import Cockpit
from cloud.cockpit.settings import CockpitSettings
from cloud.cockpit.users import Users
from cloud.twin.follow import Follower
from cloud.twin.twin import Twin

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

log = logging.getLogger(__name__)

STOP_GRACE_S = 5  # seconds a stopping cockpit waits for open requests (live streams) before it cancels them


def _follower(deployment: Deployment) -> Follower:
    if "kafka" not in deployment.model_fields_set:  # no Kafka configured: the screen follows the lake only
        return Follower(None, "citytwin.events")
    kafka = deployment.kafka
    return Follower(kafka.bootstrap or None, kafka.topics.events, tls=kafka.tls, sasl=kafka.sasl)


def server(app: FastAPI, host: str, port: int, settings: CockpitSettings, log_level: str = "info") -> uvicorn.Server:
    """The uvicorn server for the cockpit: X-Forwarded-For is believed only from ``settings.trusted_proxies``.

    uvicorn's own default believes it from 127.0.0.1, where the cockpit listens:
    any local process could then pose as any client address to the login throttle.
    A live stream never ends by itself, so on SIGTERM requests still open after
    ``STOP_GRACE_S`` are cancelled: without that, one open screen would keep the
    cockpit from stopping at all.
    """
    import uvicorn  # imported late so `citytwin --help` needs no server

    trusted = [str(network) for network in settings.trusted_proxies]
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                         proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None,
                                         timeout_graceful_shutdown=STOP_GRACE_S))


def run(args: argparse.Namespace) -> int:
    if args.users is None:
        raise UsageError("--users USERS.yaml is required (there is no default account); create one with\n"
                         "  python -m cloud.cockpit.users USERS.yaml NAME admin")
    deployment: Deployment = args.deployment
    users = Users.load(args.users)
    audit_path = args.audit_log or deployment.audit.log_path(deployment.lake_dir)
    try:
        audit = AuditLog(audit_path)
    except AuditWriteError as exc:  # every login and query would be refused: say so now, once
        raise ConfigError(str(exc)) from exc
    follower = _follower(deployment)
    decisions = deployment.rules.decisions_log(deployment.lake_dir)
    twin = Twin(deployment.lake_dir, deployment.site, deployment.cameras, tail=follower.buffer, sql=deployment.cloud.sql,
                decisions=decisions, settings=deployment.cloud.twin)
    cockpit = Cockpit(
        twin=twin, users=users, audit=audit, alerts=AlertBoard(deployment.lake_dir, decisions), follower=follower,
        deployment=deployment, settings=deployment.cockpit, series=CockpitSeries(deployment.metrics),
    )
    cockpit.series.exposition.follow_anchor(getattr(args, "anchorer", None))
    log.info("cockpit: http://%s:%d/ (%d users, audit log %s)", args.host, args.port, len(users), audit_path)
    # uvicorn handles SIGTERM while it serves, then raises it again once it has stopped; with this handler in place
    # that second one lets the clean-up below, and the last anchor of the audit log, run instead of killing the process.
    stop_on_signals(lambda: None, "the cockpit has stopped serving; closing")
    cockpit.series.exposition.start()
    try:
        server(create_app(cockpit), args.host, args.port, deployment.cockpit).run()
    finally:
        cockpit.series.exposition.stop()
        follower.stop()
        twin.close()
    return 0
