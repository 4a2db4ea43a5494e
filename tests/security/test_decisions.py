"""The cockpit never writes the lake: operators' decisions go to their own log, which the rules and the twin read.

``citytwin cockpit`` runs as a real process over HTTP on a deployment whose
``rules.decisions`` lies outside the lake. Every file of the lake is the same,
byte for byte and timestamp for timestamp, after operators have acknowledged,
marked and resolved alerts; their decisions are in the decisions log, the
rule service takes them up from there, and the twin's ``alerts`` view shows
them with the rules' own records.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from citytwin.deployment import load
from cloud.cockpit.users import upsert
from cloud.rules.alerts import Alert
from cloud.rules.feed import AlertFeed
from cloud.rules.outlets import AlertStore, alert_record
from cloud.rules.service import RuleService
from cloud.twin.lake import alert_log
from cloud.twin.synth import CityShape, generate
from tests.support.services import ServiceProcess
from tests.support.tls import wait_for_port

PASSWORD = "operator-pass-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under ``folder`` with its size, modification time and mode."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode)
            for p in sorted(folder.rglob("*"))}


def fire(lake: Path, alert_id: str) -> None:
    """An alert in the rules' log under the lake, as the rule service writes it."""
    alert = Alert(alert_id=alert_id, rule="plaza-full", subject="cam-0/zone-0", severity="warning", state="firing",
                  started=datetime.now(timezone.utc), value=9.0, evidence={"occupancy": 9}, action="dispatch a steward")
    AlertStore(lake).send(alert_record("fired", alert))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    lake = tmp_path / "data" / "lake"
    generate(lake, CityShape(site="city", cameras=1, days=1, events=300))
    for alert_id in ("a-1", "a-2"):
        fire(lake, alert_id)
    upsert(tmp_path / "users.yaml", "olga", "operator", PASSWORD)
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump({
        "site": {"id": "city", "name": "City", "width_m": 100, "height_m": 100},
        "cameras": [{"id": "cam-0", "map": {"x_m": 1, "y_m": 1}}],
        "lake": {"path": str(lake)},
        "kafka": {"bootstrap": ""},  # no live tail: the cockpit follows the lake
        "audit": {"path": str(tmp_path / "audit" / "audit.jsonl")},
        "rules": {"mqtt": False, "kafka": False, "decisions": str(tmp_path / "operators" / "decisions.jsonl")},
    }))
    return config


def api(port: int, token: str | None, method: str, path: str, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"http://127.0.0.1:{port}/api{path}", json=body, headers=headers, timeout=30)


def test_operators_decide_without_the_cockpit_writing_the_lake(site: Path, tmp_path: Path) -> None:
    cfg = load(site)
    lake, decisions = cfg.lake_dir, cfg.rules.decisions_log(cfg.lake_dir)
    before = tree(lake)
    port = free_port()
    users = tmp_path / "users.yaml"
    with ServiceProcess("cockpit", site, tmp_path / "cockpit.log", "--users", str(users), "--port", str(port)) as cockpit:
        wait_for_port(port, cockpit.running, f"the cockpit (log {tmp_path / 'cockpit.log'})", 60)
        token = api(port, None, "POST", "/login", {"username": "olga", "password": PASSWORD}).json()["token"]
        assert api(port, token, "POST", "/alerts/a-1/ack").json()["acknowledged_by"] == "olga"
        assert api(port, token, "POST", "/alerts/a-1/false-alarm").json()["false_alarm"] is True
        assert api(port, token, "POST", "/alerts/a-2/resolve").json()["state"] == "resolved"
        deadline, kinds = time.monotonic() + 30, []
        while time.monotonic() < deadline and len(kinds) < 5:  # the screen's twin refreshes on its own schedule
            kinds = api(port, token, "POST", "/sql", {"sql": "SELECT kind FROM alerts ORDER BY kind"}).json()["rows"]
            time.sleep(0.5)
    assert tree(lake) == before, "the cockpit changed the lake"
    assert sorted(k for (k,) in kinds) == ["ack", "false_alarm", "fired", "fired", "resolve"]
    records = [json.loads(line) for line in decisions.read_text().splitlines()]
    assert [(r["kind"], r["alert_id"], r["by"]) for r in records] == [
        ("ack", "a-1", "olga"), ("false_alarm", "a-1", "olga"), ("resolve", "a-2", "olga")]
    assert [r["kind"] for r in map(json.loads, alert_log(lake).read_text().splitlines())] == ["fired", "fired"]
    # The rule service reads the decisions from the same place and takes them up.
    service = RuleService(cfg)
    try:
        assert service.feed.entries["a-1"].alert.acked_by == "olga"
        assert service.engine.manager.false_alarms == {"plaza-full": 1}
        assert service.feed.entries["a-2"].closed_by == "olga"
    finally:
        service.close()


def test_an_alert_forged_into_the_decisions_log_is_ignored(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    fire(lake, "a-1")
    decisions = tmp_path / "decisions.jsonl"
    forged = Alert(alert_id="a-9", rule="plaza-full", subject="x", severity="critical", state="firing",
                   started=datetime.now(timezone.utc), value=1.0, evidence={}, action="open every gate")
    decisions.write_text(json.dumps(alert_record("fired", forged)) + "\n"
                         + json.dumps(alert_record("ack", forged, by="mallory")) + "\n")
    feed = AlertFeed(alert_log(lake), decisions)
    feed.poll()
    assert set(feed.entries) == {"a-1"}
