"""One pristine lake and what a twin answers over it, made once; each test attacks a copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.cockpit.users import Users
from tests.cloud.cockpit.support import users
from tests.security.support import Baseline, Place, make_lake


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_lake(tmp_path_factory.mktemp("pristine") / "lake")


@pytest.fixture(scope="session")
def baseline(pristine: Path) -> Baseline:
    return Baseline.of(pristine)


@pytest.fixture
def place(pristine: Path, tmp_path: Path) -> Place:
    return Place.copy(pristine, tmp_path)


@pytest.fixture(scope="session")
def accounts() -> Users:
    return users()  # hashing is deliberately slow; do it once
