from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import Users
from tests.cloud.cockpit.support import make_cockpit, make_lake, users


@pytest.fixture(scope="session")
def cockpit_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_lake(tmp_path_factory.mktemp("cockpit-lake"))


@pytest.fixture(scope="session")
def cockpit_users() -> Users:
    return users()  # hashing is deliberately slow; do it once


@pytest.fixture
def cockpit(cockpit_lake: Path, tmp_path: Path, cockpit_users: Users) -> Iterator[Cockpit]:
    c = make_cockpit(cockpit_lake, tmp_path, cockpit_users)
    yield c
    c.twin.close()


@pytest.fixture
def client(cockpit: Cockpit) -> Iterator[TestClient]:
    with TestClient(create_app(cockpit, background_refresh=False)) as c:
        yield c

