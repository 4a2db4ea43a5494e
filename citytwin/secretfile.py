"""Files that hold secrets: private (mode 600) from their first byte, replaced atomically, read back strictly.

A secret written with ``open(path, "w")`` and narrowed with ``chmod``
afterwards is readable by everyone for a moment, and an existing file keeps
whatever mode it had. ``write_private`` instead writes a fresh file that is
created mode 600 (``mkstemp`` opens it ``O_EXCL`` with that mode) in the same
folder and renames it over the target, so no reader ever sees a wide mode or
half a file, and a symlink planted at the target is replaced, not followed.

Credentials files are ``NAME=value`` lines, the format ``docker compose
--env-file``, systemd's ``EnvironmentFile=`` and ``source`` in a shell all
read. Names and values are limited to characters that mean the same thing in
all three, so a value can never smuggle a second variable or a command in.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "bridge.env"
    >>> write_env(path, {"CITYTWIN_MQTT_PASSWORD": "s3cret-token"})
    >>> oct(path.stat().st_mode & 0o777), read_env(path)
    ('0o600', {'CITYTWIN_MQTT_PASSWORD': 's3cret-token'})
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from citytwin.errors import CitytwinError

# Variable names as POSIX shells accept them; values a shell, compose and systemd all take literally.
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_VALUE = re.compile(r"^[A-Za-z0-9_.@:/+-]*$")


class SecretFileError(CitytwinError, ValueError):
    """A secret file cannot be written or used; the message names the file and what to do."""


class MissingSecret(CitytwinError, ValueError):
    """A setting names an environment variable for a secret that is not set; the message names both."""


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as folders only their owner can enter; existing ones are left as they are."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):  # mkdir -p would give the parents the default mode
        folder.mkdir(mode=0o700, exist_ok=True)
    return path


def write_private(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` in a file that is mode 600 from creation, durably and atomically."""
    payload = data.encode() if isinstance(data, str) else data
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)


def check_private(path: Path) -> None:
    """Refuse a secret file that others may read or write, or that is not a regular file (as ssh does with keys)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise SecretFileError(f"{path}: no such credentials file") from None
    if not stat.S_ISREG(info.st_mode):
        raise SecretFileError(f"{path}: not a regular file; credentials are read only from a plain file")
    if info.st_mode & 0o077:
        raise SecretFileError(
            f"{path}: mode {oct(info.st_mode & 0o777)} lets other users read or change these credentials; "
            f"run chmod 600 {path} (and check who may have read it)"
        )


def format_env(values: Mapping[str, str], where: Path) -> str:
    """``NAME=value`` lines for ``values``; raises naming the entry that a shell or compose would read differently."""
    lines = []
    for name, value in values.items():
        if not ENV_NAME.match(name):
            raise SecretFileError(f"{where}: {name!r} is not a valid environment variable name")
        if not ENV_VALUE.match(value):
            raise SecretFileError(
                f"{where}: the value of {name} has characters a shell or compose would not read literally "
                "(allowed: letters, digits and _ . @ : / + -)"
            )
        lines.append(f"{name}={value}\n")
    return "".join(lines)


def write_env(path: Path, values: Mapping[str, str]) -> None:
    """Write ``values`` as a private credentials file (see ``format_env``)."""
    write_private(path, format_env(values, path))


def read_env(path: Path) -> dict[str, str]:
    """The ``NAME=value`` lines of ``path`` (blank lines and ``#`` comments skipped); raises naming the bad line."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not ENV_NAME.match(name) or not ENV_VALUE.match(value):
            raise SecretFileError(f"{path}, line {number}: expected NAME=value with a plain value")
        values[name] = value
    return values


def load_env(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """Add a private credentials file to the environment, overriding what is set; returns the names it set."""
    check_private(path)
    values = read_env(path)
    target = os.environ if environ is None else environ
    target.update(values)
    return sorted(values)
