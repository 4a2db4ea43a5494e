"""Sessions kept in ``cockpit.session_file`` outlive a restart; the file opens nothing by itself and forgets what it must."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from citytwin.errors import ConfigError
from cloud.cockpit.app import create_app
from cloud.cockpit.auth import Sessions
from cloud.cockpit.session_file import SessionFile
from cloud.cockpit.users import User, Users, hash_password
from tests.cloud.cockpit.fixtures import MakeCockpit, cockpit_lake, cockpit_users, cockpits  # noqa: F401
from tests.cloud.cockpit.support import login

VIC = User(username="vic", role="viewer", password_hash=hash_password("viewer-pass-1"))
ADA = User(username="ada", role="admin", password_hash=hash_password("admin-pass-1"))


def _restarted(path: Path, users: list[User]) -> Sessions:
    return Sessions(3600, SessionFile(path), Users(users))


def test_a_restarted_cockpit_still_knows_its_sessions(cockpits: MakeCockpit, tmp_path: Path) -> None:  # noqa: F811
    settings = {"session_file": str(tmp_path / "sessions.json")}
    with TestClient(create_app(cockpits(settings=settings), background_refresh=False)) as client:
        headers = login(client, "vic")
        kept = login(client, "ada")
    with TestClient(create_app(cockpits(settings=settings), background_refresh=False)) as client:
        assert client.get("/api/me", headers=headers).json()["username"] == "vic"
        assert client.post("/api/logout", headers=kept).status_code == 200
    with TestClient(create_app(cockpits(settings=settings), background_refresh=False)) as client:
        assert client.get("/api/me", headers=headers).status_code == 200
        assert client.get("/api/me", headers=kept).status_code == 401  # a logout is kept too


def test_without_a_session_file_a_restart_logs_everyone_out(cockpits: MakeCockpit) -> None:  # noqa: F811
    with TestClient(create_app(cockpits(), background_refresh=False)) as client:
        headers = login(client, "vic")
    with TestClient(create_app(cockpits(), background_refresh=False)) as client:
        assert client.get("/api/me", headers=headers).status_code == 401


def test_the_file_is_private_and_holds_no_token(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    token = _restarted(path, [VIC]).open(VIC).token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert token not in text and VIC.password_hash not in text
    assert _restarted(path, [VIC]).get(token) is not None
    # Someone who can read the file cannot use what is in it as a token.
    digest = json.loads(text)["sessions"][0]["token_sha256"]
    assert _restarted(path, [VIC]).get(digest) is None


@pytest.mark.parametrize(
    ("users", "kept"),
    [
        ([VIC], True),
        ([], False),  # the account was removed
        ([User(username="vic", role="viewer", password_hash=hash_password("a new password"))], False),  # its password changed
    ],
)
def test_a_session_is_kept_only_for_its_unchanged_account(tmp_path: Path, users: list[User], kept: bool) -> None:
    path = tmp_path / "sessions.json"
    token = _restarted(path, [VIC, ADA]).open(VIC).token
    assert (_restarted(path, users).get(token) is not None) is kept


def test_the_role_is_the_users_file_s_current_one(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    token = _restarted(path, [ADA]).open(ADA).token
    demoted = User(username="ada", role="viewer", password_hash=ADA.password_hash)
    session = _restarted(path, [demoted]).get(token)
    assert session is not None and session.user.role == "viewer"


def test_an_expired_session_is_not_brought_back(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    token = _restarted(path, [VIC]).open(VIC).token
    doc = json.loads(path.read_text())
    doc["sessions"][0]["expires"] = time.time() - 1
    path.write_text(json.dumps(doc))
    assert _restarted(path, [VIC]).get(token) is None


@pytest.mark.parametrize("text", ["not json", "[]", '{"sessions": [{"token_sha256": "x"}]}', '{"sessions": [], "extra": 1}'])
def test_a_damaged_file_is_an_error_that_names_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "sessions.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        _restarted(path, [VIC])
    assert str(path) in str(caught.value) and "remove it" in str(caught.value)
