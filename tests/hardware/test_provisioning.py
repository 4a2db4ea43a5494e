"""install-edge.sh: the script is sound, and what it renders is a valid unit, log rotation and settings."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from citytwin import configfile
from citytwin.deployment import Deployment
from hardware.lab import HARDWARE_DIR, PROFILES_DIR, load_profile
from edge.detect.nanodet import NanoDet

SCRIPT = HARDWARE_DIR / "provisioning" / "install-edge.sh"
SITE = HARDWARE_DIR.parent / "deploy" / "demo-site.yaml"
PROFILES = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def render(root: Path, profile: str, prefix: Path | None = None) -> subprocess.CompletedProcess[str]:
    argv = [str(SCRIPT), "--profile", profile, "--config", str(SITE), "--camera", "cam-1", "--root", str(root), "--python", sys.executable]
    if prefix is not None:
        argv += ["--prefix", str(prefix)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module", params=PROFILES)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """(profile, staging root, install prefix) after a render-only run."""
    tmp = tmp_path_factory.mktemp(request.param)
    prefix = tmp / "opt" / "citytwin"
    # A stand-in for the venv's console script, so systemd-analyze can check ExecStart.
    (prefix / ".venv" / "bin").mkdir(parents=True)
    exe = prefix / ".venv" / "bin" / "citytwin"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    done = render(tmp / "root", request.param, prefix)
    assert done.returncode == 0, done.stderr
    return request.param, tmp / "root", prefix


def test_shellcheck() -> None:
    assert shutil.which("shellcheck"), "shellcheck is not installed: make test installs it (make lint-deps)"
    done = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_bash_parses_it() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "--profile is required"),
        (["--profile", "toaster"], "no profile 'toaster'"),
        (["--profile", "generic-x86"], "--config must name"),
        (["--profile", "generic-x86", "--config", str(SITE)], "--camera is required"),
        (["--profile", "generic-x86", "--config", str(SITE), "--camera", "c", "--prefix", "rel"], "--prefix must be absolute"),
        (["--bogus"], "unknown option"),
    ],
)
def test_bad_arguments_are_refused(argv: list[str], message: str) -> None:
    done = subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and message in done.stderr


def unit_of(root: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(root / "etc" / "systemd" / "system" / "citytwin-edge@.service")
    return parser


def test_unit_runs_the_node_for_the_instance_camera(rendered: tuple[str, Path, Path]) -> None:
    _, root, prefix = rendered
    service = unit_of(root)["Service"]
    assert service["ExecStart"] == f"{prefix}/.venv/bin/citytwin --log-json edge --config /etc/citytwin/site.yaml --camera %i"
    assert service["User"] == "citytwin" and service["Restart"] == "always"
    assert service["StandardOutput"] == "append:/var/log/citytwin/edge-%i.log"
    assert "-/etc/citytwin/edge.env" in (root / "etc/systemd/system/citytwin-edge@.service").read_text()
    assert unit_of(root)["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(rendered: tuple[str, Path, Path], tmp_path: Path) -> None:
    _, root, _ = rendered
    template = root / "etc" / "systemd" / "system" / "citytwin-edge@.service"
    shutil.copy(template, tmp_path / template.name)
    instance = tmp_path / "citytwin-edge@cam-1.service"
    instance.symlink_to(tmp_path / template.name)
    done = subprocess.run(["systemd-analyze", "verify", str(instance)], capture_output=True, text=True, check=False)
    problems = [line for line in done.stderr.splitlines() if "Unknown" in line or "Invalid" in line or "not executable" in line]
    assert done.returncode == 0 and not problems, done.stderr


def test_log_rotation(rendered: tuple[str, Path, Path], tmp_path: Path) -> None:
    _, root, _ = rendered
    text = (root / "etc" / "logrotate.d" / "citytwin").read_text()
    assert text.splitlines()[3].startswith("/var/log/citytwin/*.log {")
    for directive in ("copytruncate", "compress", "rotate 7", "maxsize 50M", "su citytwin citytwin"):
        assert directive in text
    if shutil.which("logrotate") is not None:
        # The service account exists only on a provisioned device; root stands in for it here.
        config = tmp_path / "citytwin"
        config.write_text(text.replace("su citytwin citytwin", "su root root"))
        # -d: parse and report only; it touches no log.
        done = subprocess.run(["logrotate", "-d", "-s", str(tmp_path / "state"), str(config)], capture_output=True, text=True, check=False)
        assert done.returncode == 0 and "error" not in done.stderr.lower(), done.stderr


def test_settings_file_applies_the_profile_to_the_site(rendered: tuple[str, Path, Path]) -> None:
    name, root, _ = rendered
    env = dict(
        line.split("=", 1) for line in (root / "etc" / "citytwin" / "edge.env").read_text().splitlines() if line and not line.startswith("#")
    )
    deployment = configfile.load(root / "etc" / "citytwin" / "site.yaml", Deployment, environ=env)
    rec = load_profile(name).recommended
    detector = deployment.edge.detector
    assert detector.threads == rec.threads and detector.providers and detector.providers[0] == rec.provider
    assert deployment.edge.detect_every == rec.detect_every
    if rec.input_size != 416:
        # The resized model is staged under the root and named as the node will see it.
        staged = root / str(detector.model).lstrip("/")
        assert staged.is_file()
        loaded = NanoDet(detector.model_copy(update={"model": staged, "providers": None}))  # type: ignore[arg-type]
        assert loaded.size == rec.input_size


def test_render_only_touches_nothing_outside_the_root(tmp_path: Path) -> None:
    before = set(os.listdir("/etc"))
    assert render(tmp_path, "generic-x86").returncode == 0
    assert set(os.listdir("/etc")) == before
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "etc/citytwin/edge.env", "etc/citytwin/site.yaml", "etc/logrotate.d/citytwin", "etc/systemd/system/citytwin-edge@.service",
    ]
