"""Cockpit fixtures: one synthetic lake and the test accounts, made once per session, and cockpits over them.

``conftest.py`` here imports them; tests elsewhere import them the same way:
``from tests.cloud.cockpit.fixtures import cockpit_lake, cockpit_users, cockpits  # noqa: F401``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud.cockpit.service import Cockpit
from cloud.cockpit.settings import CockpitSettings
from cloud.cockpit.users import Users
from tests.cloud.cockpit.support import make_cockpit, make_lake, users

MakeCockpit = Callable[..., Cockpit]


@pytest.fixture(scope="session")
def cockpit_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_lake(tmp_path_factory.mktemp("cockpit-lake"))


@pytest.fixture(scope="session")
def cockpit_users() -> Users:
    return users()  # hashing is deliberately slow; do it once


@pytest.fixture
def cockpits(cockpit_lake: Path, cockpit_users: Users, tmp_path: Path) -> Iterator[MakeCockpit]:
    """Builds cockpits over copies of the shared lake, each with its own audit, alert and decisions logs: ``cockpits(settings={...}, wrap=...)``."""
    made: list[Cockpit] = []

    def build(settings: dict[str, Any] | None = None, wrap: Callable[[Users], Users] | None = None) -> Cockpit:
        folder = tmp_path / f"cockpit-{len(made)}"
        folder.mkdir()
        # A copy of the shared lake (a few hundred kB): alerts fired and decisions taken in one test stay in it.
        lake = shutil.copytree(cockpit_lake, folder / "lake")
        accounts = wrap(cockpit_users) if wrap else cockpit_users
        made.append(make_cockpit(lake, folder, accounts, CockpitSettings.model_validate(settings or {})))
        return made[-1]

    yield build
    for cockpit in made:
        cockpit.twin.close()
