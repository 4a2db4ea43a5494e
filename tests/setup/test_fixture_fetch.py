"""tests/fixtures/fetch.sh: checksums are enforced and bad states are named."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from citytwin.paths import REPO_ROOT

FETCH = REPO_ROOT / "tests" / "fixtures" / "fetch.sh"
MANIFEST = REPO_ROOT / "tests" / "fixtures" / "fixtures.sha256"


def _manifest_line(name: str) -> str:
    for line in MANIFEST.read_text().splitlines():
        if not line.startswith("#") and line.split()[1:2] == [name]:
            return line
    raise AssertionError(f"{name} is not in {MANIFEST}")


def _run(cache: Path, manifest: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CITYTWIN_CACHE=str(cache), CITYTWIN_FIXTURE_MANIFEST=str(manifest))
    return subprocess.run([str(FETCH), *args], env=env, capture_output=True, text=True, timeout=300)


def test_verify_names_a_corrupted_file(tmp_path: Path, media_dir: Path) -> None:
    (tmp_path / "fixtures").mkdir()
    copy = tmp_path / "fixtures" / "dog.jpg"
    shutil.copy(media_dir / "dog.jpg", copy)
    with copy.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00" * 16)
    manifest = tmp_path / "m.sha256"
    manifest.write_text(_manifest_line("dog.jpg") + "\n")

    result = _run(tmp_path, manifest, "--verify-only")

    assert result.returncode == 1
    assert "fixture checksum wrong" in result.stderr
    assert str(copy) in result.stderr
    assert _manifest_line("dog.jpg").split()[0] in result.stderr


def test_verify_names_a_missing_file(tmp_path: Path) -> None:
    manifest = tmp_path / "m.sha256"
    manifest.write_text(_manifest_line("kite.jpg") + "\n")
    result = _run(tmp_path, manifest, "--verify-only")
    assert result.returncode == 1
    assert "fixture missing" in result.stderr and "kite.jpg" in result.stderr


@pytest.mark.slow
def test_corrupted_cache_is_fetched_again(tmp_path: Path) -> None:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "dog.jpg").write_bytes(b"not a jpeg")
    manifest = tmp_path / "m.sha256"
    manifest.write_text(_manifest_line("dog.jpg") + "\n")

    result = _run(tmp_path, manifest)

    assert result.returncode == 0, result.stderr
    assert "wrong checksum; fetching it again" in result.stderr
    assert _run(tmp_path, manifest, "--verify-only").returncode == 0


@pytest.mark.slow
def test_download_with_a_wrong_checksum_is_refused(tmp_path: Path) -> None:
    sha, *rest = _manifest_line("dog.jpg").split()
    manifest = tmp_path / "m.sha256"
    manifest.write_text("  ".join(["0" * 64, *rest]) + "\n")

    result = _run(tmp_path, manifest)

    assert result.returncode == 1
    assert "checksum wrong for dog.jpg" in result.stderr
    assert sha in result.stderr  # the actual checksum is reported
    assert not (tmp_path / "fixtures" / "dog.jpg").exists()
