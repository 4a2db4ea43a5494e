"""schemathesis against the published OpenAPI spec, logged in as admin: no request may cause a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import Users
from tests.cloud.cockpit.support import login, make_cockpit

schemathesis = pytest.importorskip("schemathesis")


@pytest.fixture(scope="module")
def fuzzed(cockpit_lake: Path, cockpit_users: Users, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Cockpit]]:
    cockpit = make_cockpit(cockpit_lake, tmp_path_factory.mktemp("fuzz"), cockpit_users)
    app = create_app(cockpit, background_refresh=False)
    yield app, cockpit
    cockpit.twin.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Any, Cockpit]) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", fuzzed[0])


@pytest.fixture(scope="module")
def admin_headers(fuzzed: tuple[Any, Cockpit]) -> dict[str, str]:
    with TestClient(fuzzed[0]) as client:
        return login(client, "ada")


def test_no_server_errors(api_schema: Any, admin_headers: dict[str, str]) -> None:
    """Every operation, a bounded number of generated requests each (about 30 s in all)."""
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/logout":
            continue  # would end the session the other cases use

        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(headers=admin_headers)
            case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])

        call()
        checked += 1
    assert checked >= 10


def test_spec_covers_the_routes(api_schema: Any) -> None:
    paths = set(api_schema.raw_schema["paths"])
    assert {"/api/login", "/api/map", "/api/live", "/api/history", "/api/state", "/api/sql", "/api/alerts",
            "/api/alerts/{alert_id}/ack", "/api/audit", "/api/nodes", "/api/benchmarks", "/api/health"} <= paths
    assert "bearer" in str(api_schema.raw_schema["components"]["securitySchemes"]).lower()
