"""A small cockpit over a synthetic lake, shared by the API, fuzzing and browser tests."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from citytwin.deployment import Deployment
from cloud.audit.chain import AuditLog
from cloud.cockpit.alerts import AlertBoard
from cloud.cockpit.service import Cockpit
from cloud.cockpit.settings import CockpitSettings
from cloud.cockpit.users import User, Users, hash_password
from cloud.rules.alerts import Alert, Severity
from cloud.rules.outlets import AlertStore, alert_record
from cloud.twin.settings import SqlSettings
from cloud.twin.synth import CityShape, generate
from cloud.twin.twin import Twin
from contract.site import CameraSpec, SiteSpec

SHAPE = CityShape(site="city", cameras=3, days=1, events=3_000)
SITE = SiteSpec(id="city", name="Test city", width_m=200, height_m=120, origin={"lon": 4.3725, "lat": 51.9995})
PASSWORDS = {"ada": "admin-pass-1", "olga": "operator-pass-1", "vic": "viewer-pass-1", "aud": "auditor-pass-1"}
ROLES = {"ada": "admin", "olga": "operator", "vic": "viewer", "aud": "auditor"}


def cameras() -> list[CameraSpec]:
    spots = [(40, 60), (150, 40), (100, 95)]
    return [
        CameraSpec.model_validate({
            "id": f"cam-{i}",
            "map": {"x_m": x, "y_m": y, "heading_deg": 90 * i},
            "lines": [{"id": "line-0", "points": [[0, 100], [600, 100]]}, {"id": "line-1", "points": [[300, 0], [300, 400]]}],
            "zones": [{"id": "zone-0", "polygon": [[0, 0], [300, 0], [300, 300], [0, 300]], "capacity": 5},
                      {"id": "zone-1", "polygon": [[300, 0], [600, 0], [600, 300], [300, 300]], "capacity": 8}],
        })
        for i, (x, y) in enumerate(spots)
    ]


# Configured, but its node never started: the screen must still account for it.
NEVER_STARTED = CameraSpec.model_validate({"id": "cam-9", "name": "Never started", "map": {"x_m": 10, "y_m": 10}})


def users() -> Users:
    return Users([User(username=u, role=ROLES[u], password_hash=hash_password(p)) for u, p in PASSWORDS.items()])


def make_lake(lake: Path) -> Path:
    generate(lake, SHAPE)
    return lake


def deployment(lake: Path, tmp: Path) -> Deployment:
    """The deployment file behind the test cockpit; Kafka on a closed port, so the manifest says it did not answer."""
    return Deployment.model_validate({
        "site": SITE.model_dump(mode="json"), "lake": {"path": str(lake)}, "kafka": {"bootstrap": "127.0.0.1:1"},
        "cameras": [c.model_dump(mode="json") for c in cameras()], "audit": {"path": str(tmp / "audit.jsonl")},
    })


def make_cockpit(lake: Path, tmp: Path, user_set: Users | None = None, settings: CockpitSettings | None = None,
                 extra: list[CameraSpec] | None = None) -> Cockpit:
    """A cockpit over ``lake``; ``extra`` cameras are configured too, though the lake has nothing from them."""
    twin = Twin(lake, SITE, cameras() + (extra or []), sql=SqlSettings(timeout_s=3.0, max_rows=1000))
    return Cockpit(twin=twin, users=user_set or users(), audit=AuditLog(tmp / "audit.jsonl"),
                   alerts=AlertBoard(lake), results_dir=tmp / "results", refresh_s=0.5, deployment=deployment(lake, tmp),
                   settings=settings or CockpitSettings())


def login(client: TestClient, user: str) -> dict[str, str]:
    """Headers carrying ``user``'s bearer token."""
    r = client.post("/api/login", json={"username": user, "password": PASSWORDS[user]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def fire_alert(cockpit: Cockpit, alert_id: str, action: str, severity: Severity = "warning", rule: str = "capacity",
               **evidence: Any) -> None:
    """Write a fired alert into the cockpit's lake's alert log, as the rule service does."""
    fire_alert_in(cockpit.twin.lake, alert_id, action, severity, rule, **evidence)


def fire_alert_in(lake: Path, alert_id: str, action: str, severity: Severity = "warning", rule: str = "capacity",
                  **evidence: Any) -> None:
    """Write a fired alert into ``lake``'s alert log (for a cockpit in another process)."""
    alert = Alert(alert_id=alert_id, rule=rule, subject="cam-0/zone-0", severity=severity, state="firing",
                  started=datetime.now(timezone.utc), value=4.0, evidence=evidence, action=action)
    AlertStore(lake).send(alert_record("fired", alert))
