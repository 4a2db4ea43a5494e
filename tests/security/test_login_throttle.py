"""Password guessing is throttled per user name and per client address, with backoff and without password work.

Through the real app over HTTP; the address cases through a real uvicorn, so
the client address is the socket peer (several loopback addresses stand in
for several machines) and X-Forwarded-For is what a caller really sent.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import User, Users
from tests.cloud.cockpit.fixtures import MakeCockpit, cockpit_lake, cockpit_users, cockpits  # noqa: F401
from tests.cloud.cockpit.support import PASSWORDS
from tests.support.http import serving


class CountingUsers(Users):
    """The real accounts and argon2 checks, counted: the throttle must refuse before any check."""

    def __init__(self, real: Users) -> None:
        self.__dict__.update(real.__dict__)
        self.checks = 0
        self._lock = threading.Lock()

    def check(self, username: str, password: str) -> User | None:
        with self._lock:
            self.checks += 1
        return super().check(username, password)


@pytest.fixture
def cockpit(cockpits: MakeCockpit) -> Cockpit:
    return cockpits(wrap=CountingUsers)


@pytest.fixture
def patient(cockpits: MakeCockpit) -> Cockpit:
    """A cockpit whose first backoff outlasts any test: the attempts past the free ones meet it however slow they run."""
    return cockpits(settings={"login": {"backoff_s": 600.0, "backoff_max_s": 3600.0}}, wrap=CountingUsers)


def _login(client: TestClient | httpx.Client, user: str, password: str, **kw: object) -> httpx.Response:
    return client.post("/api/login", json={"username": user, "password": password}, **kw)  # type: ignore[arg-type]


def test_repeated_wrong_passwords_meet_a_growing_backoff(cockpit: Cockpit) -> None:
    free = cockpit.settings.login.user_failures
    with TestClient(create_app(cockpit, background_refresh=False)) as client:
        codes = [_login(client, "ada", f"guess-{i}").status_code for i in range(25)]
        assert codes[:free] == [401] * free
        assert set(codes[free:]) == {429}
        assert isinstance(cockpit.users, CountingUsers) and cockpit.users.checks == free

        refused = _login(client, "ada", PASSWORDS["ada"])  # even the right password waits: it is not looked at
        assert refused.status_code == 429 and cockpit.users.checks == free
        assert refused.json()["error"]["code"] == "too_many_attempts"
        retry = int(refused.headers["Retry-After"])
        assert 1 <= retry <= cockpit.settings.login.backoff_s + 1

        time.sleep(retry)
        assert _login(client, "ada", "one more guess").status_code == 401  # admitted after the wait, still wrong
        second = _login(client, "ada", PASSWORDS["ada"])
        assert second.status_code == 429 and int(second.headers["Retry-After"]) >= 2 * cockpit.settings.login.backoff_s

        time.sleep(int(second.headers["Retry-After"]))
        assert _login(client, "ada", PASSWORDS["ada"]).status_code == 200
        # A success clears the name: the next typo is a plain 401 again.
        assert [_login(client, "ada", "typo").status_code for _ in range(free)] == [401] * free


def test_spraying_user_names_from_one_address_is_throttled(cockpit: Cockpit) -> None:
    free = cockpit.settings.login.client_failures
    with TestClient(create_app(cockpit, background_refresh=False)) as client:
        codes = [_login(client, f"user-{i}", "guess").status_code for i in range(free + 15)]
        assert codes[:free] == [401] * free and set(codes[free:]) == {429}
        # Another address is not held up by this one, and a real user from it still gets in.
        other = TestClient(create_app(cockpit, background_refresh=False), client=("10.1.2.3", 50000))
        assert _login(other, "olga", PASSWORDS["olga"]).status_code == 200


def test_one_user_name_from_many_addresses_is_throttled(patient: Cockpit) -> None:
    free = patient.settings.login.user_failures
    with serving(create_app(patient, background_refresh=False)) as base:
        codes = []
        for i in range(free + 5):
            transport = httpx.HTTPTransport(local_address=f"127.0.0.{10 + i}")
            with httpx.Client(base_url=base, transport=transport) as client:
                codes.append(_login(client, "ada", f"guess-{i}").status_code)
        assert codes[:free] == [401] * free and set(codes[free:]) == {429}


def test_x_forwarded_for_does_not_make_a_new_client(patient: Cockpit) -> None:
    free = patient.settings.login.client_failures
    with serving(create_app(patient, background_refresh=False)) as base, httpx.Client(base_url=base) as client:
        codes = [_login(client, f"user-{i}", "guess", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                 for i in range(free + 5)]
    assert codes[:free] == [401] * free and set(codes[free:]) == {429}
    clients = {r["details"]["client"] for r in patient.audit.records() if r["action"] == "cockpit.login"}
    assert clients == {"127.0.0.1"}


def test_parallel_guesses_cannot_all_slip_in_before_the_first_fails(patient: Cockpit) -> None:
    free = patient.settings.login.user_failures
    with serving(create_app(patient, background_refresh=False)) as base:
        with httpx.Client(base_url=base, limits=httpx.Limits(max_connections=40)) as client:
            with ThreadPoolExecutor(max_workers=30) as pool:
                codes = list(pool.map(lambda i: _login(client, "ada", f"guess-{i}").status_code, range(30)))
    assert codes.count(401) == free and codes.count(429) == 30 - free
    assert isinstance(patient.users, CountingUsers) and patient.users.checks == free
