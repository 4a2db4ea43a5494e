"""Bearer-token sessions: a password login returns a random token held server side with an expiry.

Tokens are 256-bit random strings kept only in memory, so restarting the
cockpit logs everyone out; each operator (and each browser tab) has its own
session, and sessions expire after ``ttl``.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cloud.cockpit.errors import Forbidden, NotAuthenticated
from cloud.cockpit.users import User


@dataclass(frozen=True)
class Session:
    token: str
    user: User
    expires: float  # time.time()


class Sessions:
    """Thread-safe token store with expiry."""

    def __init__(self, ttl_s: float = 12 * 3600) -> None:
        self.ttl_s = ttl_s
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, user: User) -> Session:
        session = Session(secrets.token_urlsafe(32), user, time.time() + self.ttl_s)
        with self._lock:
            now = time.time()
            for token in [t for t, s in self._by_token.items() if s.expires < now]:
                del self._by_token[token]
            self._by_token[session.token] = session
        return session

    def get(self, token: str) -> Session | None:
        with self._lock:
            session = self._by_token.get(token)
            if session is not None and session.expires < time.time():
                del self._by_token[token]
                return None
            return session

    def close(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)


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
