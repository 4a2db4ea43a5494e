"""An unauthenticated caller cannot grow the audit log at will by failing logins: it costs bounded bytes per window.

Through the real app over HTTP, with the audit log on disk as the cockpit writes it.
"""

from __future__ import annotations

import random
import time
from typing import Any

from fastapi.testclient import TestClient

from cloud.audit.chain import verify
from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from tests.cloud.cockpit.fixtures import MakeCockpit, cockpit_lake, cockpit_users, cockpits  # noqa: F401

HOSTILE = "\x1b[31m\u202e\u200b\U0001f600\\u0041\n\r\t\"'<script>%s{}"  # terminal codes, bidi, emoji, forged escapes
RELAXED = {"login": {"user_failures": 100, "client_failures": 1000}}  # every attempt reaches the password check


def _sprayed_names(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(HOSTILE) for _ in range(64)) for _ in range(n)]


def _failures(cockpit: Cockpit) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    records = cockpit.audit.records()
    alone = [r for r in records if r["action"] == "cockpit.login" and not r["details"]["ok"]]
    return alone, [r for r in records if r["action"] == "cockpit.login_failures"]


def _printable(text: str) -> bool:
    return all(" " <= ch <= "~" for ch in text)


def test_a_flood_of_sprayed_names_costs_bounded_audit_bytes(cockpits: MakeCockpit) -> None:
    cockpit = cockpits()
    audit = cockpit.settings.login_audit
    before = cockpit.audit.path.stat().st_size
    with TestClient(create_app(cockpit, background_refresh=False)) as client:
        codes = [client.post("/api/login", json={"username": name, "password": "x"}).status_code
                 for name in _sprayed_names(300)]
    assert set(codes) == {401, 429}
    alone, summaries = _failures(cockpit)
    assert len(alone) <= audit.individual and len(summaries) == 1  # the open window is written at shutdown
    (summary,) = summaries
    details = summary["details"]
    assert details["failed"] == codes.count(401) and details["throttled"] == codes.count(429)
    counted = sum(s["failed"] + s["throttled"] for s in details["by_source"])
    assert counted + details["other"]["failed"] + details["other"]["throttled"] == len(codes)
    assert len(details["by_source"]) <= audit.summary_sources
    for name in [r["actor"] for r in alone] + [s["username"] for s in details["by_source"]]:
        assert _printable(name) and len(name) <= 80
    grown = cockpit.audit.path.stat().st_size - before
    assert grown <= audit.individual * 500 + audit.summary_sources * 250 + 1000, f"{grown} bytes for one window"
    assert verify(cockpit.audit.path).ok


def test_failures_past_the_individual_records_are_summed_up(cockpits: MakeCockpit) -> None:
    cockpit = cockpits({**RELAXED, "login_audit": {"individual": 5, "summary_sources": 10}})
    names = [f"guess-{i}" for i in range(20)]
    with TestClient(create_app(cockpit, background_refresh=False)) as client:
        for _ in range(2):
            for name in names:
                assert client.post("/api/login", json={"username": name, "password": "x"}).status_code == 401
    alone, (summary,) = _failures(cockpit)
    assert [r["actor"] for r in alone] == names[:5]  # the first failure of the first pairs, one record each
    details = summary["details"]
    assert details["failed"] == 40 and details["throttled"] == 0 and details["recorded_individually"] == 5
    assert {(s["username"], s["client"], s["failed"]) for s in details["by_source"]} == {(n, "testclient", 2) for n in names[:10]}
    assert details["other"] == {"failed": 20, "throttled": 0}


def test_the_summary_is_written_when_its_window_ends(cockpits: MakeCockpit) -> None:
    cockpit = cockpits({**RELAXED, "login_audit": {"window_s": 2}})
    with TestClient(create_app(cockpit, background_refresh=False)) as client:
        for _ in range(3):
            client.post("/api/login", json={"username": "ada", "password": "typo"})
        deadline = time.monotonic() + 6
        while not _failures(cockpit)[1]:  # no further request: the cockpit's timer writes it
            assert time.monotonic() < deadline, "no summary after the window ended"
            time.sleep(0.1)
        (summary,) = _failures(cockpit)[1]
        assert summary["details"]["failed"] == 3 and summary["details"]["recorded_individually"] == 1
