"""An open live stream ends with its session: logging out or expiring stops the events within one refresh.

The cockpit is served by a real uvicorn, so the stream is a real socket that
stays open for as long as the server keeps writing to it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from cloud.cockpit.app import create_app
from cloud.cockpit.auth import Sessions
from cloud.cockpit.service import Cockpit
from tests.cloud.cockpit.fixtures import MakeCockpit, cockpit_lake, cockpit_users, cockpits  # noqa: F401
from tests.cloud.cockpit.support import PASSWORDS
from tests.support.http import serving

SCREEN_REFRESH_S = 1.5  # how often the screen polls; a revoked stream must not outlive one such turn
SLACK_S = 0.75  # scheduling on a shared, busy test machine
LIVE = ("live", "live_changes")  # the snapshot, then the changes to it


@pytest.fixture
def cockpit(cockpits: MakeCockpit) -> Cockpit:
    return cockpits()


def _token(base: str, user: str = "vic") -> str:
    r = httpx.post(f"{base}/api/login", json={"username": user, "password": PASSWORDS[user]})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def _events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event type, data) per server-sent event; comments are skipped."""
    kind, data = "message", ""
    for line in lines:
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            yield kind, data
            kind, data = "message", ""


def _follow_until_closed(
    base: str, token: str, revoke: Callable[[], None], revoke_after_live: int, limit_s: float
) -> tuple[list[tuple[str, str]], float | None]:
    """The events read, and the seconds from ``revoke()`` to the end of the stream (None: still open ``limit_s`` later).

    ``revoke`` is called once ``revoke_after_live`` live events have arrived.
    """
    received: list[tuple[str, str]] = []
    revoked_at: float | None = None
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=httpx.Timeout(5.0, read=limit_s)) as client, \
            client.stream("GET", f"{base}/api/stream", headers=headers) as response:
        assert response.status_code == 200
        for event in _events(response.iter_lines()):
            received.append(event)
            if revoked_at is None and sum(k in LIVE for k, _ in received) >= revoke_after_live:
                revoke()
                revoked_at = time.monotonic()
            if revoked_at is not None and time.monotonic() - revoked_at > limit_s:
                return received, None  # still delivering long after the session ended
    return received, (time.monotonic() - revoked_at) if revoked_at is not None else None


def test_logout_ends_an_open_stream_within_one_refresh(cockpit: Cockpit) -> None:
    with serving(create_app(cockpit)) as base:
        token = _token(base)

        def logout() -> None:
            assert httpx.post(f"{base}/api/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200

        received, ended_after = _follow_until_closed(base, token, logout, revoke_after_live=2, limit_s=6.0)
        assert ended_after is not None, f"the stream kept going after logout: {len(received)} events"
        assert ended_after <= SCREEN_REFRESH_S + SLACK_S
        kind, data = received[-1]
        assert kind == "session_ended" and json.loads(data)["reason"] == "logged_out"
        assert all(k in LIVE for k, _ in received[:-1])
        again = httpx.get(f"{base}/api/stream", headers={"Authorization": f"Bearer {token}"})
        assert again.status_code == 401
        # Only that session ended: another operator's stream goes on.
        others, ended = _follow_until_closed(base, _token(base, "olga"), lambda: None, revoke_after_live=1, limit_s=1.5)
        assert ended is None and len(others) >= 3 and all(k in LIVE for k, _ in others)


def test_expiry_ends_an_open_stream_within_one_refresh(cockpit: Cockpit) -> None:
    ttl_s = 2.5
    cockpit.sessions = Sessions(ttl_s)  # the deployment file allows a minute at least; the test cannot wait that long
    with serving(create_app(cockpit)) as base:
        token = _token(base)
        opened = time.monotonic()
        received, ended_after = _follow_until_closed(base, token, lambda: None, revoke_after_live=1, limit_s=ttl_s + 6.0)
        lived = time.monotonic() - opened
        assert ended_after is not None, f"the stream outlived its session: {len(received)} events"
        assert lived <= ttl_s + SCREEN_REFRESH_S + SLACK_S
        kind, data = received[-1]
        assert kind == "session_ended" and json.loads(data)["reason"] == "expired"
        assert "log in again" in json.loads(data)["message"]
