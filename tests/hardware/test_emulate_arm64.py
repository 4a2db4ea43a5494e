"""The emulated arm64 replay: its make target and script, and the results it wrote (marked as emulated)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from hardware.lab import HARDWARE_DIR, RESULTS_DIR
from hardware.result import BenchResult

SCRIPT = HARDWARE_DIR / "provisioning" / "emulate-arm64.sh"
MAKEFILE = HARDWARE_DIR.parent / "Makefile"
DEVICE = "raspberry-pi-5-qemu"
FILES = sorted((RESULTS_DIR / DEVICE).glob("*.json"))


def test_make_target_runs_the_script_and_keeps_its_log() -> None:
    text = MAKEFILE.read_text()
    target = re.search(r"^edge-arm64:\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert target is not None, "Makefile has no edge-arm64 target"
    assert "hardware/provisioning/emulate-arm64.sh" in target.group(1) and "tee hardware/results/" in target.group(1)
    assert re.search(r"^\.PHONY:.*\bedge-arm64\b", text, re.MULTILINE)
    assert "edge-arm64" not in re.search(r"^test:.*$", text, re.MULTILINE).group(0)  # type: ignore[union-attr]


def test_script_passes_shellcheck_and_runs_install_edge_in_the_root() -> None:
    assert shutil.which("shellcheck"), "shellcheck is not installed: make test installs it (make lint-deps)"
    done = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    text = SCRIPT.read_text()
    assert "debootstrap --arch=arm64" in text and "install-edge.sh" in text and "--emulated" in text


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_emulated_results_validate_and_say_they_are_emulated(path: Path) -> None:
    document = json.loads(path.read_text())
    schema = json.loads((RESULTS_DIR / "schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    result = BenchResult.model_validate(document)
    assert result.device.architecture == "aarch64" and result.device.emulated and "qemu" in result.device.emulated
    assert result.device.name == DEVICE and all(c.frames >= 30 for c in result.configs)
