"""Facts about the device a benchmark runs on: what it is, the name its results go under, what it can run."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

import numpy as np
import onnxruntime as ort
import psutil

from hardware.lab import PROVIDERS
from hardware.result import DeviceFacts

DEVICE_TREE_MODEL = Path("/proc/device-tree/model")
CPUINFO = Path("/proc/cpuinfo")
OS_RELEASE = Path("/etc/os-release")

# Boards with a profile in hardware/profiles/, matched on the device-tree model.
_BOARDS = (("raspberry pi 5", "raspberry-pi-5"), ("jetson orin nano", "jetson-orin-nano"))


def slug(text: str) -> str:
    """``text`` as a lower-case folder name: letters, digits and dashes.

    Example:
        >>> slug("Intel(R) Xeon(R) CPU @ 2.20GHz")
        'intel-r-xeon-r-cpu-2-20ghz'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63] or "device"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace").replace("\x00", "").strip() or None
    except OSError:
        return None


def board_model() -> str | None:
    """The device-tree model ("Raspberry Pi 5 Model B Rev 1.0"), or None on PCs."""
    return _read(DEVICE_TREE_MODEL)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, else what the platform module says."""
    text = _read(CPUINFO) or ""
    for key in ("model name", "Model", "Hardware", "cpu model"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", text, re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or platform.machine() or "unknown"


def os_name() -> str:
    """PRETTY_NAME from /etc/os-release, else the platform string."""
    match = re.search(r'^PRETTY_NAME="?([^"\n]+)"?$', _read(OS_RELEASE) or "", re.MULTILINE)
    return match.group(1) if match else platform.platform()


def default_device_name() -> str:
    """A stable results-folder name: the board for known boards, else architecture and CPU model.

    Host names are not used: in CI and containers they change on every run.
    """
    board = (board_model() or "").lower()
    for needle, name in _BOARDS:
        if needle in board:
            return name
    if board:
        return slug(board)
    return slug(f"{platform.machine()}-{cpu_model()}-{os.cpu_count() or 1}c")


def device_facts(name: str, emulated: str | None = None) -> DeviceFacts:
    """What this device is, for the result file; ``emulated`` says how, where it is an emulator's."""
    return DeviceFacts(
        name=name,
        emulated=emulated,
        board=board_model(),
        cpu_model=cpu_model(),
        architecture=platform.machine(),
        cores_logical=os.cpu_count() or 1,
        cores_physical=psutil.cpu_count(logical=False),
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
        os=os_name(),
        kernel=platform.release(),
        python=platform.python_version(),
        numpy=np.__version__,
        onnxruntime=ort.__version__,
        providers=list(ort.get_available_providers()),
    )


def default_threads(cores: int) -> list[int]:
    """Powers of two below ``cores``, and ``cores``.

    Example:
        >>> default_threads(2), default_threads(6)
        ([1, 2], [1, 2, 4, 6])
    """
    counts = {cores}
    power = 1
    while power < cores:
        counts.add(power)
        power *= 2
    return sorted(counts)


def usable_providers(wanted: list[str] | None, notes: list[str]) -> list[str]:
    """The wanted providers (default: all known) that this onnxruntime build offers, in a fixed order."""
    available = set(ort.get_available_providers())
    wanted = wanted or list(PROVIDERS)
    unknown = [p for p in wanted if p not in PROVIDERS]
    if unknown:
        raise ValueError(f"unknown execution providers {unknown}; known: {', '.join(PROVIDERS)}")
    missing = [p for p in wanted if p not in available]
    if missing:
        notes.append(f"skipped execution providers not installed here: {', '.join(missing)}")
    chosen = [p for p in PROVIDERS if p in wanted and p in available]
    if not chosen:
        raise ValueError(f"none of {wanted} is installed; this onnxruntime offers {sorted(available)}")
    return chosen
