"""``citytwin credentials``: every login of a deployment, for the brokers and for each service, in one folder.

    citytwin credentials --config site.yaml --out DIR

writes, each file mode 600 from its first byte::

    DIR/mosquitto/passwd, acl               Mosquitto's password_file and acl_file (per-node ACLs)
    DIR/kafka/scram-users                   NAME=password per Kafka SCRAM user, the broker's own included
    DIR/services/<service>/credentials.env  one service's MQTT and Kafka login, for citytwin --credentials

Each edge node logs in to MQTT as its node id and may publish only under its
own camera; the bridge, the rule service, the sink, the cockpit and the
operators' tools (``ops``) each have a user of their own. Kafka users exist
only when the deployment asks for SASL (``kafka.sasl``). A service file sets
the password variables the deployment names (``mqtt.password_env``,
``kafka.sasl.password_env``) and the user names through
``CITYTWIN_CFG__MQTT__USERNAME`` and ``CITYTWIN_CFG__KAFKA__SASL__USERNAME``,
so one deployment file serves every service.

Running it again keeps every password (they are read back from the files it
wrote) and adds only what is new, such as a camera, so it is safe at every
start. ``--owner PART=UID:GID`` hands a part (``mosquitto``, ``kafka``,
``services``) to the user that reads it, as the compose secrets service does.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from citytwin.deployment import Deployment
from citytwin.errors import UsageError
from citytwin.secretfile import SecretFileError, private_dir, read_env, write_env, write_private
from cloud.security.mqtt_acl import BRIDGE_USER, RULES_USER, accounts, write_broker_files

log = logging.getLogger(__name__)

BROKER_USER = "kafka-broker"  # the broker's own SCRAM user, for its inter-broker listener
SCRAM_USERS = Path("kafka") / "scram-users"
MOSQUITTO = Path("mosquitto")
SERVICES = Path("services")
PARTS = ("mosquitto", "kafka", "services")
MQTT_USER_VAR = "CITYTWIN_CFG__MQTT__USERNAME"
KAFKA_USER_VAR = "CITYTWIN_CFG__KAFKA__SASL__USERNAME"
# Kafka user names and generated passwords: safe inside kafka-storage's SCRAM syntax and a JAAS string.
_SCRAM_LINE = re.compile(r"^([A-Za-z0-9._@-]+)=([A-Za-z0-9_-]+)$")


@dataclass(frozen=True)
class Service:
    """One process of the deployment and the users it logs in as (None: it does not use that broker)."""

    name: str
    mqtt_user: str | None
    kafka_user: str | None


def _nodes(cfg: Deployment) -> dict[str, str]:
    """Camera id -> edge node id, '{site}-{camera}' unless the camera names one."""
    return {c.id: c.node or f"{cfg.site.id}-{c.id}" for c in cfg.cameras}


def services(cfg: Deployment) -> list[Service]:
    """Every service of the deployment, the edge nodes included; Kafka users only when ``kafka.sasl`` is set."""
    kafka = cfg.kafka.sasl is not None

    def user(name: str) -> str | None:
        return f"citytwin-{name}" if kafka else None

    cloud = [
        Service("bridge", BRIDGE_USER, user("bridge")),
        Service("sink", None, user("sink")),
        Service("rules", RULES_USER, user("rules")),
        Service("cockpit", None, user("cockpit")),  # the live tail and the residency probe
        Service("ops", None, user("ops")),  # operators' tools: citytwin dlq, residency, query
    ]
    return [*cloud, *(Service(f"edge-{camera}", node, None) for camera, node in _nodes(cfg).items())]


def read_scram_users(path: Path) -> dict[str, str]:
    """``NAME=password`` lines of a SCRAM users file; raises naming the line that Kafka's tools would misread."""
    users: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _SCRAM_LINE.match(line)
        if match is None:
            raise SecretFileError(f"{path}, line {number}: expected NAME=password (letters, digits, . _ @ - only)")
        users[match[1]] = match[2]
    return users


def _env_file(out: Path, service: str) -> Path:
    return out / SERVICES / service / "credentials.env"


def _known(cfg: Deployment, out: Path, found: list[Service]) -> tuple[dict[str, str], dict[str, str]]:
    """Passwords already handed out: MQTT ones from the service files, Kafka ones from the SCRAM users file."""
    mqtt: dict[str, str] = {}
    for service in found:
        path = _env_file(out, service.name)
        if service.mqtt_user and path.exists():
            password = read_env(path).get(cfg.mqtt.password_env)
            if password:
                mqtt.setdefault(service.mqtt_user, password)
    kafka = read_scram_users(out / SCRAM_USERS) if (out / SCRAM_USERS).exists() else {}
    return mqtt, kafka


def _service_env(cfg: Deployment, service: Service, mqtt: dict[str, str], kafka: dict[str, str]) -> dict[str, str]:
    env: dict[str, str] = {}
    if service.mqtt_user:
        env |= {MQTT_USER_VAR: service.mqtt_user, cfg.mqtt.password_env: mqtt[service.mqtt_user]}
    if service.kafka_user and cfg.kafka.sasl is not None:
        env |= {KAFKA_USER_VAR: service.kafka_user, cfg.kafka.sasl.password_env: kafka[service.kafka_user]}
    return env


def write_all(cfg: Deployment, out: Path) -> list[Service]:
    """Write or complete every credentials file under ``out``; returns the services that have one."""
    found = services(cfg)
    known_mqtt, known_kafka = _known(cfg, out, found)

    def password(known: dict[str, str], user: str) -> str:
        return known.setdefault(user, secrets.token_urlsafe(24))

    private_dir(out)
    nodes = accounts(cfg.site, list(cfg.cameras), _nodes(cfg))
    mqtt = {s.mqtt_user: password(known_mqtt, s.mqtt_user) for s in found if s.mqtt_user}
    write_broker_files(out / MOSQUITTO, cfg.site, nodes, mqtt)
    if cfg.kafka.sasl is not None:
        kafka = {BROKER_USER: password(known_kafka, BROKER_USER)}
        kafka |= {s.kafka_user: password(known_kafka, s.kafka_user) for s in found if s.kafka_user}
        private_dir(out / SCRAM_USERS.parent)
        write_private(out / SCRAM_USERS, "".join(f"{user}={pw}\n" for user, pw in kafka.items()))
    for service in found:
        env = _service_env(cfg, service, mqtt, known_kafka)
        if env:
            private_dir(_env_file(out, service.name).parent)
            write_env(_env_file(out, service.name), env)
    return [s for s in found if s.mqtt_user or s.kafka_user]


def parse_owner(raw: str) -> tuple[str, int, int]:
    """``PART=UID:GID`` (or ``PART=UID``) as (part, uid, gid); raises ``UsageError`` saying what is expected."""
    part, sep, ids = raw.partition("=")
    uid, _, gid = ids.partition(":")
    if not sep or part not in PARTS or not uid.isdigit() or (gid and not gid.isdigit()):
        raise UsageError(f"--owner {raw!r}: expected PART=UID[:GID] with PART one of {', '.join(PARTS)}")
    return part, int(uid), int(gid or uid)


def hand_over(out: Path, part: str, uid: int, gid: int) -> None:
    """Give one part of ``out`` (its folder and everything in it) to the user that reads it."""
    folder = out / part
    if not folder.exists():
        return
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin credentials``."""
    cfg: Deployment = args.deployment
    owners = [parse_owner(raw) for raw in args.owner or []]
    written = write_all(cfg, args.out)
    try:
        for part, uid, gid in owners:
            hand_over(args.out, part, uid, gid)
    except PermissionError as exc:
        raise UsageError(f"{exc.filename}: {exc.strerror}; --owner needs root") from exc
    kafka = ", Kafka SCRAM users" if cfg.kafka.sasl is not None else ""
    print(f"{args.out}: Mosquitto passwd and acl{kafka}, and the logins of {', '.join(s.name for s in written)}")
    return 0
