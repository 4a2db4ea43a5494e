"""Device facts, the stable name results are filed under, and the thread counts and providers worth measuring."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware import device
from hardware.device import default_threads, usable_providers
from hardware.lab import PROFILES_DIR, load_profile


@pytest.mark.parametrize(
    ("text", "expected"),
    [("AMD EPYC", "amd-epyc"), ("Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", "intel-r-core-tm-i7-1165g7-2-80ghz"), ("", "device")],
)
def test_slug(text: str, expected: str) -> None:
    assert device.slug(text) == expected


@pytest.mark.parametrize(
    ("board", "expected"),
    [
        ("Raspberry Pi 5 Model B Rev 1.0", "raspberry-pi-5"),
        ("NVIDIA Jetson Orin Nano Developer Kit", "jetson-orin-nano"),
        ("Radxa ROCK 5B", "radxa-rock-5b"),
    ],
)
def test_boards_are_named_from_the_device_tree(board: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    model.write_bytes(board.encode() + b"\x00")
    monkeypatch.setattr(device, "DEVICE_TREE_MODEL", model)
    assert device.default_device_name() == expected


def test_known_boards_have_profiles() -> None:
    for _, name in device._BOARDS:
        profile = load_profile(name)
        assert profile.match, f"{name}: a board profile says how to recognise the board"


def test_pcs_are_named_by_architecture_cpu_and_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC 9B14\n")
    monkeypatch.setattr(device, "DEVICE_TREE_MODEL", tmp_path / "absent")
    monkeypatch.setattr(device, "CPUINFO", cpuinfo)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    assert device.default_device_name() == "x86-64-amd-epyc-9b14-2c"


def test_facts_of_this_machine() -> None:
    facts = device.device_facts("here")
    assert facts.name == "here" and facts.cores_logical >= 1 and facts.memory_gb > 0
    assert "CPUExecutionProvider" in facts.providers and facts.onnxruntime


def test_profiles_folder_exists() -> None:
    assert sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")) == ["generic-x86", "jetson-orin-nano", "raspberry-pi-5"]


@pytest.mark.parametrize(
    ("cores", "expected"),
    [(1, [1]), (2, [1, 2]), (4, [1, 2, 4]), (6, [1, 2, 4, 6]), (12, [1, 2, 4, 8, 12])],
)
def test_default_threads(cores: int, expected: list[int]) -> None:
    assert default_threads(cores) == expected


def test_missing_providers_are_noted_not_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("onnxruntime.get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    notes: list[str] = []
    chosen = usable_providers(["TensorrtExecutionProvider", "CPUExecutionProvider", "CUDAExecutionProvider"], notes)
    assert chosen == ["CPUExecutionProvider", "CUDAExecutionProvider"]
    assert notes == ["skipped execution providers not installed here: TensorrtExecutionProvider"]


def test_unknown_provider_is_an_error() -> None:
    with pytest.raises(ValueError, match="known: CPUExecutionProvider"):
        usable_providers(["TPUExecutionProvider"], [])
