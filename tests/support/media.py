"""Fixtures for the recorded video and stills fetched by tests/fixtures/fetch.sh."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from citytwin.paths import REPO_ROOT, fixtures_dir

FETCH = REPO_ROOT / "tests" / "fixtures" / "fetch.sh"
STILLS = ("dog.jpg", "person.jpg", "kite.jpg", "horses.jpg", "messi5.jpg")


@pytest.fixture(scope="session")
def media_dir() -> Path:
    """The checked fixture folder; fetches missing files once per session."""
    folder = fixtures_dir()
    verified = subprocess.run([str(FETCH), "--verify-only"], capture_output=True, text=True)
    if verified.returncode != 0:
        fetched = subprocess.run([str(FETCH)], capture_output=True, text=True)
        if fetched.returncode != 0:
            pytest.fail(f"could not fetch test media:\n{fetched.stdout}{fetched.stderr}")
    return folder


@pytest.fixture(scope="session")
def vtest_path(media_dir: Path) -> Path:
    """vtest.avi: 768x576, 10 fps, 795 frames of a campus path."""
    return media_dir / "vtest.avi"


@pytest.fixture(scope="session")
def stills_dir(media_dir: Path) -> Path:
    """Folder holding dog.jpg, person.jpg, kite.jpg, horses.jpg and messi5.jpg."""
    return media_dir


@pytest.fixture(scope="session")
def still_path(media_dir: Path) -> Callable[[str], Path]:
    """Look up one still by file name, failing clearly on an unknown name."""

    def lookup(name: str) -> Path:
        if name not in STILLS:
            raise ValueError(f"unknown still {name!r}; known: {', '.join(STILLS)}")
        return media_dir / name

    return lookup
