"""Secret files are mode 600 from the moment they exist, not narrowed afterwards.

The window between creating a file with the default mode and a later chmod
cannot be hit on demand, so these tests take the narrowing away instead:
with a umask of 0 and every chmod a no-op, a file that was created wide
stays wide and is caught, while one created private passes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from citytwin import secretfile
from citytwin.cli import main
from citytwin.deployment import load
from citytwin.paths import REPO_ROOT
from cloud.cockpit.users import Users, upsert
from cloud.security.credentials import write_all
from cloud.security.mqtt_acl import accounts, verify_password, write_files
from contract.site import CameraSpec, SiteSpec

SITE = SiteSpec(id="sec", name="Secrets", width_m=10, height_m=10)
CAMERAS = [CameraSpec.model_validate({"id": "cam-1", "map": {"x_m": 0, "y_m": 0}})]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def no_narrowing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Umask 0 and chmod that does nothing; yields the paths something tried to chmod."""
    tried: list[str] = []

    def record(path: object, *_args: object, **_kwargs: object) -> None:
        tried.append(str(path))

    monkeypatch.setattr(os, "chmod", record)
    monkeypatch.setattr(os, "fchmod", record)
    monkeypatch.setattr(Path, "chmod", lambda self, *a, **k: record(self))
    old = os.umask(0)
    try:
        yield tried
    finally:
        os.umask(old)


def every_file(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_cockpit_users_file(tmp_path: Path, no_narrowing: list[str]) -> None:
    users = tmp_path / "users.yaml"
    upsert(users, "ada", "admin", "a long password")
    upsert(users, "olga", "operator", "another password")  # a rewrite replaces the file, still private
    assert mode(users) == 0o600
    assert Users.load(users).check("olga", "another password") is not None


def test_mqtt_acl_files(tmp_path: Path, no_narrowing: list[str]) -> None:
    passwords = write_files(tmp_path / "secure", SITE, accounts(SITE, CAMERAS, {}))
    assert {p.name: mode(p) for p in every_file(tmp_path / "secure")} == {"acl": 0o600, "passwd": 0o600, "credentials.env": 0o600}
    # The password file never holds a password, only its hash (checked with the same scheme Mosquitto uses).
    hashes = dict(line.split(":", 1) for line in (tmp_path / "secure" / "passwd").read_text().splitlines())
    assert set(hashes) == set(passwords)
    assert all(pw not in (tmp_path / "secure" / "passwd").read_text() for pw in passwords.values())
    assert all(verify_password(hashes[user], pw) for user, pw in passwords.items())


def test_every_credentials_file_of_a_deployment(tmp_path: Path, no_narrowing: list[str]) -> None:
    write_all(load(REPO_ROOT / "deploy" / "demo-site.yaml", environ={}), tmp_path / "secrets")
    files = every_file(tmp_path / "secrets")
    assert len(files) >= 10
    assert {str(f.relative_to(tmp_path)): mode(f) for f in files} == {str(f.relative_to(tmp_path)): 0o600 for f in files}
    folders = [p for p in (tmp_path / "secrets").rglob("*") if p.is_dir()] + [tmp_path / "secrets"]
    assert {mode(d) for d in folders} == {0o700}


def test_a_wide_file_in_the_way_is_replaced_not_reused(tmp_path: Path) -> None:
    target = tmp_path / "credentials.env"
    target.write_text("OLD=1\n")
    target.chmod(0o666)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched\n")
    link = tmp_path / "link.env"
    link.symlink_to(elsewhere)
    secretfile.write_env(target, {"NEW": "2"})
    secretfile.write_env(link, {"NEW": "2"})
    assert (mode(target), secretfile.read_env(target)) == (0o600, {"NEW": "2"})
    assert not link.is_symlink() and mode(link) == 0o600
    assert elsewhere.read_text() == "untouched\n", "a planted symlink must not redirect the write"


@pytest.mark.parametrize("value", ["a b", "x;rm -rf /", "$(id)", "`id`", "a\nB=2", "'q'", '"q"', "a#b", "${HOME}"])
def test_values_a_shell_or_compose_would_read_differently_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(secretfile.SecretFileError, match="would not read literally"):
        secretfile.write_env(tmp_path / "x.env", {"CITYTWIN_MQTT_PASSWORD": value})
    assert not (tmp_path / "x.env").exists()


@pytest.mark.parametrize("line", ["NOEQUALS", "A B=1", "1A=x", "A=$(id)", "A=x y"])
def test_credentials_files_are_read_strictly(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.env"
    secretfile.write_private(path, f"GOOD=1\n{line}\n")
    with pytest.raises(secretfile.SecretFileError, match="line 2"):
        secretfile.read_env(path)


def test_citytwin_refuses_credentials_others_can_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bridge.env"
    secretfile.write_env(path, {"CITYTWIN_MQTT_PASSWORD": "s3cret"})
    path.chmod(0o640)
    assert main(["--credentials", str(path), "query", "--config", str(REPO_ROOT / "deploy" / "demo-site.yaml"), "--list"]) == 2
    assert "chmod 600" in capsys.readouterr().err
    path.chmod(0o600)
    assert main(["--credentials", str(path), "query", "--config", str(REPO_ROOT / "deploy" / "demo-site.yaml"), "--list"]) == 0
    assert os.environ.pop("CITYTWIN_MQTT_PASSWORD") == "s3cret"
