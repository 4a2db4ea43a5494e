"""Login, logout, who am I, and the unauthenticated health check.

A login is first asked of the throttle: past a few failures for the user name
or the client address it is refused with 429 and ``Retry-After`` before the
password is looked at, so a guesser gets neither argon2 time nor an audit
write per try. Failed and refused logins reach the audit log through
``FailedLogins`` at a bounded rate; successful ones are recorded one by one.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from cloud.cockpit.auth import Session, current_session, current_user
from cloud.cockpit.errors import NotAuthenticated, TooManyAttempts
from cloud.cockpit.service import Cockpit
from cloud.cockpit.users import PERMISSIONS, User

router = APIRouter(prefix="/api", tags=["access"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, title="Login name")
    password: str = Field(min_length=1, max_length=1024, title="Password")


class LoginResponse(BaseModel):
    token: str = Field(title="Bearer token for every other /api route")
    expires_at: datetime
    username: str
    role: str
    permissions: list[str]


def cockpit_of(request: Request) -> Cockpit:
    cockpit: Cockpit = request.app.state.cockpit
    return cockpit


@router.get("/health", summary="Liveness check (no login needed)")
def health(request: Request) -> dict[str, Any]:
    return {"status": "ok", "time": datetime.now(timezone.utc).isoformat()}


def client_address(request: Request) -> str:
    """The socket peer (or, from a configured trusted proxy, the client it names), cut to a bounded length."""
    return request.client.host[:64] if request.client else "unknown"


@router.post("/login", summary="Exchange a user name and password for a bearer token", response_model=LoginResponse,
             responses={429: {"description": "too many failed logins for this user name or address; see Retry-After"}})
def login(body: LoginRequest, request: Request) -> LoginResponse:
    cockpit = cockpit_of(request)
    client = client_address(request)
    wait_s = cockpit.throttle.admit(body.username, client)
    if wait_s > 0:
        cockpit.failed_logins.throttled(body.username, client)
        cockpit.series.login_failed("throttled")
        retry = math.ceil(wait_s)
        raise TooManyAttempts(f"too many failed logins for this user or from this address; try again in {retry} s", retry)
    user = cockpit.users.check(body.username, body.password)
    if user is None:
        cockpit.failed_logins.failed(body.username, client)
        cockpit.series.login_failed("wrong_password")
        raise NotAuthenticated("wrong user name or password")
    cockpit.throttle.succeeded(body.username, client)
    session = cockpit.sessions.open(user)
    cockpit.series.logins.inc()
    cockpit.audit.append(user.username, "cockpit.login", {"ok": True, "role": user.role, "client": client})
    return LoginResponse(
        token=session.token,
        expires_at=datetime.fromtimestamp(session.expires, timezone.utc),
        username=user.username,
        role=user.role,
        permissions=sorted(PERMISSIONS[user.role]),
    )


@router.post("/logout", summary="End this session")
def logout(request: Request, session: Session = Depends(current_session)) -> dict[str, Any]:
    cockpit_of(request).sessions.close(session.token)
    return {"ok": True}


@router.get("/me", summary="The logged-in user and what the role allows")
def me(user: User = Depends(current_user)) -> dict[str, Any]:
    return {"username": user.username, "role": user.role, "permissions": sorted(PERMISSIONS[user.role]),
            "server_time": time.time()}
