"""What the login throttle and the failed-login audit bound must leave as it was: typos, successes, proxies."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from tests.cloud.cockpit.fixtures import MakeCockpit
from tests.cloud.cockpit.support import PASSWORDS
from tests.support.http import serving


def _logins(cockpit: Cockpit, ok: bool) -> list[tuple[str, str]]:
    return [(r["actor"], r["details"]["client"]) for r in cockpit.audit.records()
            if r["action"] == "cockpit.login" and r["details"]["ok"] is ok]


def test_a_single_typo_is_one_record_and_no_summary(client: TestClient, cockpit: Cockpit) -> None:
    assert client.post("/api/login", json={"username": "ada", "password": "typo"}).status_code == 401
    assert client.post("/api/login", json={"username": "ada", "password": PASSWORDS["ada"]}).status_code == 200
    assert _logins(cockpit, ok=False) == [("ada", "testclient")]
    assert not [r for r in cockpit.audit.records() if r["action"] == "cockpit.login_failures"]


def test_successful_logins_are_still_recorded_one_by_one(cockpit: Cockpit) -> None:
    with TestClient(create_app(cockpit, background_refresh=False)) as client:
        for i in range(30):  # a guesser at another address, throttled meanwhile
            client.post("/api/login", json={"username": f"guess-{i}", "password": "x"})
        other = TestClient(create_app(cockpit, background_refresh=False), client=("10.0.0.9", 1))
        for user in ("olga", "vic", "aud"):
            assert other.post("/api/login", json={"username": user, "password": PASSWORDS[user]}).status_code == 200
    assert _logins(cockpit, ok=True) == [("olga", "10.0.0.9"), ("vic", "10.0.0.9"), ("aud", "10.0.0.9")]


def test_x_forwarded_for_names_the_client_behind_a_trusted_proxy(cockpits: MakeCockpit) -> None:
    cockpit = cockpits(settings={"trusted_proxies": ["127.0.0.1"]})
    n = cockpit.settings.login.client_failures + 5
    with serving(create_app(cockpit, background_refresh=False), cockpit.settings) as base, httpx.Client(base_url=base) as client:
        codes = [client.post("/api/login", json={"username": f"user-{i}", "password": "guess"},
                             headers={"X-Forwarded-For": f"198.51.100.7, 203.0.113.{i}"}).status_code for i in range(n)]
    assert codes == [401] * n  # each a different client (the proxy's own entry), none past its free failures
    clients = {client for _, client in _logins(cockpit, ok=False)}
    assert clients and clients <= {f"203.0.113.{i}" for i in range(n)}
