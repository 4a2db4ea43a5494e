"""Advisory locks (``fcntl``) on the rollups of one hour, day or month, so that several sinks never race.

Lock files live in ``<lake>/rollups/.locks/`` (a hidden folder no engine
reads as a table). The kernel drops a lock when its holder dies, so a crashed
sink never leaves one behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cloud.rollup.tables import ROOT

LOCKS = ".locks"


def lock_path(root: Path, scope: str) -> Path:
    """The lock file of ``scope`` (e.g. ``hour-2026-03-01T07``) for the lake at ``root``."""
    if not scope or "/" in scope or scope.startswith("."):
        raise ValueError(f"lock scope {scope!r} must be a plain name")
    return root / ROOT / LOCKS / f"{scope}.lock"


@contextmanager
def held(root: Path, scope: str) -> Iterator[None]:
    """Hold the exclusive lock of ``scope``, waiting for another holder to finish."""
    path = lock_path(root, scope)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
