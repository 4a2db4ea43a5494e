from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from tests.cloud.cockpit.fixtures import MakeCockpit, cockpit_lake, cockpit_users, cockpits  # noqa: F401


@pytest.fixture
def cockpit(cockpits: MakeCockpit) -> Cockpit:
    return cockpits()


@pytest.fixture
def client(cockpit: Cockpit) -> Iterator[TestClient]:
    with TestClient(create_app(cockpit, background_refresh=False)) as c:
        yield c
