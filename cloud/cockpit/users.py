"""Operators, their roles and argon2 password hashes, from a YAML users file.

File shape::

    users:
      - username: alice
        role: admin          # viewer | operator | auditor | admin
        password_hash: "$argon2id$v=19$..."

Create or update an entry (the password is read from the terminal, or from
``CITYTWIN_COCKPIT_PASSWORD`` when set)::

    python -m cloud.cockpit.users users.yaml alice admin
"""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import Literal

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citytwin.errors import CitytwinError
from citytwin.secretfile import write_private

Role = Literal["viewer", "operator", "auditor", "admin"]

# What each role may do beyond reading the screen; admin may do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "operator": frozenset({"read", "ack"}),
    "auditor": frozenset({"read", "audit"}),
    "admin": frozenset({"read", "ack", "audit"}),
}

_HASHER = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY = _HASHER.hash("not a real password")


class User(BaseModel):
    """One operator account."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", title="Login name")
    role: Role = Field(title="Role", description="viewer, operator (can acknowledge), auditor (can read the audit log), admin")
    password_hash: str = Field(min_length=1, title="argon2 hash of the password")

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]


class UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[User] = Field(default_factory=list, title="Operator accounts")


class UsersError(CitytwinError, ValueError):
    """The users file cannot be used; the message names the file and the problem."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


class Users:
    """Looks up accounts and checks passwords."""

    def __init__(self, users: list[User]) -> None:
        self._by_name = {u.username: u for u in users}

    @classmethod
    def load(cls, path: Path) -> Users:
        try:
            doc = UsersFile.model_validate(yaml.safe_load(path.read_text()) or {})
        except OSError as exc:
            raise UsersError(f"{path}: cannot read the users file ({exc.strerror})") from None
        except (yaml.YAMLError, ValidationError) as exc:
            raise UsersError(f"{path}: not a valid users file: {exc}") from None
        if not doc.users:
            raise UsersError(f"{path}: no users; add one with: python -m cloud.cockpit.users {path} NAME admin")
        return cls(doc.users)

    def check(self, username: str, password: str) -> User | None:
        """The user when the password matches, else ``None`` (same cost either way)."""
        user = self._by_name.get(username)
        try:
            _HASHER.verify(user.password_hash if user else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    def get(self, username: str) -> User | None:
        """The account named ``username``, if there is one (no password check)."""
        return self._by_name.get(username)

    def __len__(self) -> int:
        return len(self._by_name)


def upsert(path: Path, username: str, role: Role, password: str) -> None:
    """Add ``username`` to the users file, or replace its role and password; the file is private from its first byte."""
    raw = yaml.safe_load(path.read_text()) if path.exists() else None
    doc = UsersFile.model_validate(raw or {})
    kept = [u for u in doc.users if u.username != username]
    kept.append(User(username=username, role=role, password_hash=hash_password(password)))
    write_private(path, yaml.safe_dump({"users": [u.model_dump() for u in kept]}, sort_keys=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloud.cockpit.users", description="add or update a cockpit user")
    parser.add_argument("file", type=Path)
    parser.add_argument("username")
    parser.add_argument("role", choices=sorted(PERMISSIONS))
    args = parser.parse_args(argv)
    password = os.environ.get("CITYTWIN_COCKPIT_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    if len(password) < 8:
        parser.error("password too short: use at least 8 characters")
    upsert(args.file, args.username, args.role, password)
    print(f"{args.file}: {args.username} ({args.role}) saved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
