"""Sessions that outlive a restart: the token digests, their users and expiries, in one private JSON file.

A wall display has no one to type a password, so a cockpit restarted under it
(an upgrade, a crash, a reboot) must still know the wall's token. The file holds
the SHA-256 of each token, never the token itself, so a copy of it opens no
session. Each record also keeps a digest of the user's password hash: a
session whose user was removed, or whose password was changed since, is
dropped when the file is read, and the role is always the users file's current
one. One cockpit process per file.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from cloud.cockpit.users import Users
    >>> store = SessionFile(Path(tempfile.mkdtemp()) / "sessions.json")
    >>> store.load(Users([]), now=0.0)
    {}
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citytwin.errors import ConfigError
from citytwin.secretfile import write_private
from cloud.cockpit.users import User, Users

log = logging.getLogger(__name__)


def digest(text: str) -> str:
    """The hex SHA-256 of ``text``: how a token (or a password hash) is written down."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Held:
    """A session as the store keeps it: its user and when it expires."""

    user: User
    expires: float  # time.time()


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", title="SHA-256 of the bearer token")
    username: str = Field(min_length=1, max_length=64, title="Login name")
    password_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", title="SHA-256 of the user's password hash at login")
    expires: float = Field(title="Expiry (seconds since the epoch)")


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sessions: list[_Record] = Field(default_factory=list, title="Open sessions")


class SessionFile:
    """Reads and replaces the sessions file; a file that cannot be read is a config error naming it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, users: Users, now: float) -> dict[str, Held]:
        """The unexpired sessions by token digest, for users that still exist with the same password."""
        try:
            raw = self.path.read_text()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read the cockpit's sessions file ({exc.strerror}); "
                              "fix its permissions or remove it (everyone then logs in again)") from None
        try:
            doc = _Document.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as exc:
            raise ConfigError(f"{self.path}: not a sessions file ({str(exc).splitlines()[0]}); "
                              "remove it (everyone then logs in again)") from None
        held: dict[str, Held] = {}
        for record in doc.sessions:
            user = users.get(record.username)
            if record.expires <= now or user is None or digest(user.password_hash) != record.password_sha256:
                continue
            held[record.token_sha256] = Held(user, record.expires)
        log.info("cockpit: %d sessions kept from %s (%d dropped)", len(held), self.path, len(doc.sessions) - len(held))
        return held

    def save(self, held: dict[str, Held]) -> None:
        """Replace the file with ``held``; a failure is logged, and those sessions then end with the process."""
        doc = _Document(sessions=[
            _Record(token_sha256=key, username=h.user.username, password_sha256=digest(h.user.password_hash), expires=h.expires)
            for key, h in held.items()
        ])
        try:
            write_private(self.path, doc.model_dump_json())
        except OSError:
            log.exception("cockpit: cannot write the sessions file %s; open sessions will end when the cockpit stops",
                          self.path)
