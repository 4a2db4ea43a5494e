"""Bearer-token sessions: a password login returns a random token held server side with an expiry.

Tokens are 256-bit random strings; each operator (and each browser tab) has
its own session, and sessions expire after ``ttl``. They are kept in memory,
so a restart logs everyone out, unless ``cockpit.session_file`` is set: then
their digests are written there (``session_file.py``) and a restarted cockpit
still knows them, which a wall display with no one to log it in again needs.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cloud.cockpit.errors import Forbidden, NotAuthenticated
from cloud.cockpit.session_file import Held, SessionFile, digest
from cloud.cockpit.users import User, Users


@dataclass(frozen=True)
class Session:
    token: str
    user: User
    expires: float  # time.time()


class Sessions:
    """Thread-safe token store with expiry, written through to ``store`` when there is one."""

    def __init__(self, ttl_s: float = 12 * 3600, store: SessionFile | None = None, users: Users | None = None) -> None:
        self.ttl_s = ttl_s
        self._store = store
        self._lock = threading.Lock()
        # By the token's digest, so the store never holds a token and a lookup compares no secret byte by byte.
        self._held: dict[str, Held] = store.load(users or Users([]), time.time()) if store else {}

    def open(self, user: User) -> Session:
        token = secrets.token_urlsafe(32)
        held = Held(user, time.time() + self.ttl_s)
        with self._lock:
            now = time.time()
            for key in [k for k, h in self._held.items() if h.expires < now]:
                del self._held[key]
            self._held[digest(token)] = held
            self._save()
        return Session(token, user, held.expires)

    def get(self, token: str) -> Session | None:
        key = digest(token)
        with self._lock:
            held = self._held.get(key)
            if held is not None and held.expires < time.time():
                del self._held[key]
                self._save()
                return None
            return Session(token, held.user, held.expires) if held else None

    def close(self, token: str) -> None:
        with self._lock:
            if self._held.pop(digest(token), None) is not None:
                self._save()

    def _save(self) -> None:
        if self._store is not None:
            self._store.save(dict(self._held))


# Declared in the OpenAPI spec as a bearer scheme; the check itself is ours, for our error shape.
bearer = HTTPBearer(auto_error=False, description="token from POST /api/login")


def current_session(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Session:
    """The caller's session; 401 without a valid, unexpired token."""
    if credentials is None or not credentials.credentials.strip():
        raise NotAuthenticated("log in first: send 'Authorization: Bearer <token>' (POST /api/login gives one)")
    sessions: Sessions = request.app.state.cockpit.sessions
    session = sessions.get(credentials.credentials.strip())
    if session is None:
        raise NotAuthenticated("the session token is unknown or has expired; log in again")
    return session


def current_user(session: Session = Depends(current_session)) -> User:
    return session.user


def require(permission: str, user: User) -> None:
    """403 unless ``user``'s role grants ``permission``."""
    if not user.can(permission):
        raise Forbidden(f"role {user.role!r} may not do this (needs the {permission!r} permission)")
