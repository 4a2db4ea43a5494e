"""Device profiles, the lab inventory and the compose override validate and agree with each other."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from citytwin.errors import ConfigError
from hardware.lab import HARDWARE_DIR, PROFILES_DIR, load_inventory, load_profile
from edge.bench.models import load_model

PROFILES = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))
INVENTORY = HARDWARE_DIR / "inventory.yaml"


def test_the_three_device_kinds_have_profiles() -> None:
    assert PROFILES == ["generic-x86", "jetson-orin-nano", "raspberry-pi-5"]


@pytest.mark.parametrize("name", PROFILES)
def test_profile_recommends_something_it_can_run(name: str) -> None:
    profile = load_profile(name)
    rec = profile.recommended
    model = load_model(rec.model)
    assert model.supports(rec.input_size), f"{name}: {rec.model} cannot run at {rec.input_size}"
    assert rec.provider in profile.bench.providers, f"{name}: the recommended provider must be in the benchmark matrix"
    assert rec.input_size in profile.bench.sizes and rec.threads <= max(profile.bench.threads)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\nname: y\n", "architecture: Field required"),
        ("{base}\nturbo: true\n", "turbo: unknown setting"),
        ("{base_bad_size}", "multiple of 32"),
    ],
)
def test_bad_profiles_name_the_key(text: str, message: str, tmp_path: Path) -> None:
    base = (PROFILES_DIR / "generic-x86.yaml").read_text().replace("id: generic-x86", "id: bad")
    text = text.replace("{base_bad_size}", base.replace("input_size: 416", "input_size: 400")).replace("{base}", base)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_profile(path)


def test_profile_id_must_match_its_file(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text((PROFILES_DIR / "generic-x86.yaml").read_text())
    with pytest.raises(ConfigError, match="must match the file name"):
        load_profile(path)


def test_inventory_validates_and_names_real_site_cameras() -> None:
    from citytwin.deployment import load

    inventory = load_inventory(INVENTORY)
    assert {d.profile for d in inventory.devices} == set(PROFILES)
    for device in inventory.devices:
        for camera in device.cameras:
            site = load(HARDWARE_DIR.parent / camera.site_config)
            assert camera.id in [c.id for c in site.cameras], f"{device.name}: no camera {camera.id} in {camera.site_config}"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("profile: raspberry-pi-5", "profile: toaster"), "unknown profiles"),
        (lambda t: t.replace("name: lab-orin-01", "name: lab-pi5-01"), "duplicate device names: lab-pi5-01"),
        (lambda t: t.replace("host: lab-pi5-01.local", "hostname: lab-pi5-01.local"), "unknown setting"),
    ],
)
def test_bad_inventories_are_refused(edit: object, message: str, tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(edit(INVENTORY.read_text()))  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message):
        load_inventory(path)


def test_compose_override_has_a_service_per_profile() -> None:
    compose = yaml.safe_load((HARDWARE_DIR / "compose" / "edge-devices.yml").read_text())
    wanted = {load_profile(p).compose_profile for p in PROFILES}
    offered = {profile for service in compose["services"].values() for profile in service["profiles"]}
    assert wanted == offered
    for name, service in compose["services"].items():
        command = service["command"]
        assert command[:2] == ["citytwin", "--log-json"] and "edge" in command, name
        assert any(v.endswith(":/etc/citytwin/site.yaml:ro") for v in service["volumes"]), name
