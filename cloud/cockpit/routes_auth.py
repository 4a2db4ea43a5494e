"""Login, logout, who am I, and the unauthenticated health check."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from cloud.cockpit.auth import Session, current_session, current_user
from cloud.cockpit.errors import NotAuthenticated
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


@router.post("/login", summary="Exchange a user name and password for a bearer token", response_model=LoginResponse)
def login(body: LoginRequest, request: Request) -> LoginResponse:
    cockpit = cockpit_of(request)
    client = request.client.host if request.client else None
    user = cockpit.users.check(body.username, body.password)
    if user is None:
        cockpit.audit.append(body.username, "cockpit.login", {"ok": False, "client": client})
        raise NotAuthenticated("wrong user name or password")
    session = cockpit.sessions.open(user)
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
