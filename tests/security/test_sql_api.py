"""Typed SQL through the cockpit's ``POST /api/sql`` can change nothing and stays within ``cloud.sql``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from cloud.audit.chain import AuditLog
from cloud.cockpit.alerts import AlertBoard
from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import Users
from cloud.twin.twin import Twin
from cloud.twin.settings import SqlSettings
from edge.events.factory import EventFactory
from tests.cloud.cockpit.support import login
from tests.security.support import (
    ATTACKS, LIMITS, MARKER, NO_ALLOWLIST, SITE, Baseline, Place, assert_settings, assert_unharmed, cameras, mebibytes,
)



@contextmanager
def serve(place: Place, accounts: Users, sql: SqlSettings) -> Iterator[tuple[TestClient, Cockpit, dict[str, str]]]:
    """The real app over the place's lake, and a viewer's headers."""
    twin = Twin(place.lake, SITE, cameras(), sql=sql)
    cockpit = Cockpit(twin=twin, users=accounts, audit=AuditLog(place.scratch.parent / "audit.jsonl"),
                      alerts=AlertBoard(place.lake), results_dir=place.scratch.parent / "results")
    try:
        with TestClient(create_app(cockpit, background_refresh=False)) as client:
            yield client, cockpit, login(client, "vic")
    finally:
        twin.close()


def _post(client: TestClient, headers: dict[str, str], sql: str) -> tuple[int, str, dict[str, object]]:
    r = client.post("/api/sql", json={"sql": sql}, headers=headers)
    assert r.status_code != 500, r.text
    return r.status_code, r.text, r.json()


def _assert_alert_still_firing(client: TestClient, headers: dict[str, str]) -> None:
    alert = {a["id"]: a for a in client.get("/api/alerts", headers=headers).json()}["a-crit"]
    assert (alert["state"], alert["resolved_by"], alert["severity"]) == ("firing", None, "critical")


@pytest.mark.parametrize("name", ATTACKS)
def test_every_attack_is_refused_and_changes_nothing(
    name: str, place: Place, baseline: Baseline, accounts: Users
) -> None:
    with serve(place, accounts, LIMITS) as (client, cockpit, viewer):
        status, text, body = _post(client, viewer, ATTACKS[name].format(**place.fields()))
        assert status == 400, text
        assert body["error"]["code"] in ("query_refused", "query_error")  # type: ignore[index]
        assert MARKER not in text and "root:x:" not in text
        assert_unharmed(place, baseline, LIMITS, cockpit.twin)
        _assert_alert_still_firing(client, viewer)
        assert client.get("/api/live", headers=viewer).status_code == 200


@pytest.mark.parametrize("name", ATTACKS)
def test_the_sandbox_alone_stops_every_attack(name: str, place: Place, baseline: Baseline, accounts: Users) -> None:
    """With the statement allowlist off, DuckDB runs each statement: the sandbox's construction must hold."""
    with serve(place, accounts, NO_ALLOWLIST) as (client, cockpit, viewer):
        status, text, _ = _post(client, viewer, ATTACKS[name].format(**place.fields()))
        assert status in (200, 400), text
        assert MARKER not in text and "root:x:" not in text
        assert_unharmed(place, baseline, NO_ALLOWLIST, cockpit.twin)
        _assert_alert_still_firing(client, viewer)


def test_explain_of_a_select_is_allowed_but_not_explain_analyze(place: Place, accounts: Users) -> None:
    with serve(place, accounts, LIMITS) as (client, _, viewer):
        status, text, _ = _post(client, viewer, "EXPLAIN SELECT count(*) FROM events WHERE date = DATE '2026-01-01'")
        assert status == 200 and "ARROW" in text.upper(), text
        status, text, body = _post(client, viewer, "EXPLAIN ANALYZE SELECT 1")
        assert status == 400 and "EXPLAIN ANALYZE" in body["error"]["message"], text  # type: ignore[index]


def test_a_20_mb_value_never_comes_back(place: Place, accounts: Users) -> None:
    with serve(place, accounts, LIMITS) as (client, cockpit, viewer):
        r = client.post("/api/sql", json={"sql": "SELECT 1 AS n, repeat('x', 20000000) AS big"}, headers=viewer)
        assert r.status_code == 400 and len(r.content) < 10_000, r.status_code
        message = r.json()["error"]["message"]
        assert "'big'" in message and "cloud.sql.max_cell_kb" in message and "20,000,000" in message
        assert cockpit.audit.records(1)[0]["details"]["refused"] is True


def test_a_result_over_the_byte_limit_is_cut_and_marked(place: Place, accounts: Users) -> None:
    with serve(place, accounts, LIMITS.model_copy(update={"max_result_mb": 1.0})) as (client, _, viewer):
        r = client.post("/api/sql", json={"sql": "SELECT i, repeat('x', 1000) AS s FROM range(5000) t(i) ORDER BY i"},
                        headers=viewer)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["truncated"] is True and 500 < body["row_count"] < 1100, body["row_count"]
        assert [row[0] for row in body["rows"]] == list(range(body["row_count"]))
        assert len(r.content) < 1.5 * 2**20


def test_a_query_over_the_memory_limit_fails_clearly_and_the_cockpit_serves_on(place: Place, accounts: Users) -> None:
    tight = LIMITS.model_copy(update={"memory_limit_mb": 64, "max_spill_mb": 0})
    with serve(place, accounts, tight) as (client, _, viewer):
        status, text, body = _post(client, viewer, "SELECT count(*) FROM (SELECT DISTINCT i::VARCHAR || repeat('x', 40) "
                                   "FROM range(4000000) t(i))")
        assert status == 400, text
        message = body["error"]["message"]  # type: ignore[index]
        assert "64 MB of memory" in message and "cloud.sql.memory_limit_mb" in message
        assert _post(client, viewer, "SELECT count(*) FROM events")[0] == 200
        assert client.get("/api/live", headers=viewer).status_code == 200


def test_threads_and_memory_are_the_configured_ones(place: Place, accounts: Users) -> None:
    with serve(place, accounts, LIMITS) as (client, cockpit, viewer):
        status, text, body = _post(client, viewer, "SELECT current_setting('threads'), current_setting('memory_limit'), "
                                   "current_setting('max_temp_directory_size')")
        assert status == 200, text
        threads, memory, spill = body["rows"][0]  # type: ignore[index]
        assert threads == 3 and mebibytes(memory) == 256 and mebibytes(spill) == 256
        assert_settings(cockpit.twin, LIMITS)


def test_the_time_limit_comes_from_the_configuration(place: Place, accounts: Users) -> None:
    with serve(place, accounts, LIMITS.model_copy(update={"timeout_s": 1.0})) as (client, _, viewer):
        status, text, body = _post(client, viewer, "SELECT count(*) FROM range(100000000000)")
        assert status == 408 and "1 s time limit" in body["error"]["message"], text  # type: ignore[index]


def test_the_private_folder_is_outside_the_lake_and_goes_with_the_twin(place: Place) -> None:
    twin = Twin(place.lake, SITE, cameras(), sql=LIMITS)
    twin.query("SELECT 1")
    assert twin._sandbox is not None
    folder = twin._sandbox.folder
    assert not folder.resolve().is_relative_to(place.lake.resolve()) and (folder / "catalog.duckdb").exists()
    twin.close()
    assert not folder.exists()
    with pytest.raises(ValueError, match="inside the lake"):
        Twin(place.lake, SITE, cameras(), sql=LIMITS.model_copy(update={"spill_dir": place.lake / "tmp"})).query("SELECT 1")


def test_typed_sql_sees_the_live_tail_and_the_alert_log(place: Place) -> None:
    twin = Twin(place.lake, SITE, cameras(), sql=LIMITS)
    try:
        event = EventFactory("city", "cam-1", "city-cam-1").make(
            "zone_occupancy", datetime.now(timezone.utc), {"zone": "zone-0", "total": 99, "by_class": {"person": 99}})
        twin.tail.add(event)
        twin.refresh()
        assert twin.query("SELECT total FROM occupancy WHERE total = 99").rows == [(99,)]
        assert twin.query("SELECT count(*) FROM alerts WHERE alert_id = 'a-crit'").rows == [(1,)]
        assert twin.query("SELECT count(*) FROM events").rows == twin.read("SELECT count(*) FROM events").rows
    finally:
        twin.close()
