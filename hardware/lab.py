"""The hardware lab's files: device profiles and the lab inventory.

``hardware/profiles/<id>.yaml`` says, for one kind of device, what to run
(recommended model, input size, threads, execution provider) and which
matrix ``citytwin bench --profile <id>`` measures there.
``hardware/inventory.yaml`` lists the lab's devices, each with a profile,
where it is reached, and the cameras it serves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citytwin import configfile
from citytwin.errors import ConfigError
from citytwin.paths import REPO_ROOT
from contract.ids import Ident
from contract.site import duplicated

HARDWARE_DIR = REPO_ROOT / "hardware"
RESULTS_DIR = HARDWARE_DIR / "results"
PROFILES_DIR = HARDWARE_DIR / "profiles"
PROVIDERS = (
    "CPUExecutionProvider",
    "XnnpackExecutionProvider",
    "OpenVINOExecutionProvider",
    "CUDAExecutionProvider",
    "TensorrtExecutionProvider",
)
Provider = Literal[
    "CPUExecutionProvider",
    "XnnpackExecutionProvider",
    "OpenVINOExecutionProvider",
    "CUDAExecutionProvider",
    "TensorrtExecutionProvider",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recommended(_Strict):
    """What an edge node on this device should run."""

    model: str = Field(title="Model", description="shipped model name, e.g. nanodet-g-416-int8")
    input_size: int = Field(gt=0, multiple_of=32, title="Input size", description="network input side, pixels")
    threads: int = Field(ge=1, title="Threads", description="onnxruntime intra-op threads")
    provider: Provider = Field(title="Execution provider", description="onnxruntime execution provider")
    detect_every: int = Field(1, ge=1, title="Detect every", description="run the detector on every Nth frame")
    expected_fps: float | None = Field(None, gt=0, title="Expected FPS", description="pipeline FPS to expect at these settings, from the device's results")


class BenchMatrix(_Strict):
    """The matrix ``citytwin bench`` measures on this device kind."""

    sizes: list[int] = Field(min_length=1, title="Input sizes", description="network input sides, multiples of 32")
    threads: list[int] = Field(min_length=1, title="Threads", description="intra-op thread counts")
    providers: list[Provider] = Field(min_length=1, title="Providers", description="execution providers, used where installed")
    frames: int = Field(100, ge=1, title="Frames", description="measured frames per configuration")
    warmup: int = Field(10, ge=1, title="Warm-up", description="frames run before measuring")

    @model_validator(mode="after")
    def _sizes_fit_the_strides(self) -> BenchMatrix:
        bad = [s for s in self.sizes if s <= 0 or s % 32]
        if bad:
            raise ValueError(f"input sizes must be positive multiples of 32, got {bad}")
        return self


class DeviceProfile(_Strict):
    """One kind of device: how to recognise it, what to run on it, what to measure."""

    id: Ident = Field(title="Profile id", description="file name without .yaml; results of such devices go under hardware/results/<id>/")
    name: str = Field(title="Name", description="human-readable device name")
    architecture: Literal["x86_64", "aarch64"] = Field(title="Architecture", description="CPU architecture")
    os: str = Field(title="OS", description="operating system the provisioning supports")
    match: list[str] = Field(default_factory=list, title="Match", description="substrings of the device-tree model that identify the device; empty for PCs")
    onnxruntime: str = Field(title="onnxruntime", description="which onnxruntime build to install and why")
    recommended: Recommended = Field(title="Recommended", description="settings for an edge node")
    bench: BenchMatrix = Field(title="Benchmark matrix", description="what citytwin bench --profile measures")
    compose_profile: str | None = Field(None, title="Compose profile", description="docker compose profile that runs edge nodes on this device")
    notes: list[str] = Field(default_factory=list, title="Notes", description="cooling, power supply and other facts that change the figures")


class LabCamera(_Strict):
    """A camera an inventory device serves."""

    id: Ident = Field(title="Camera id", description="camera id in the site config")
    site_config: Path = Field(title="Site config", description="deployment YAML installed on the device as /etc/citytwin/site.yaml")


class LabDevice(_Strict):
    """One device in the lab."""

    name: Ident = Field(title="Name", description="unique name; also its results folder when benchmarked")
    profile: Ident = Field(title="Profile", description="id of a profile in hardware/profiles/")
    host: str = Field(title="Host", description="host name or address the lab reaches it on")
    user: str = Field("pi", title="SSH user", description="account with sudo used for provisioning")
    cameras: list[LabCamera] = Field(default_factory=list, title="Cameras", description="cameras the device runs an edge node for")
    notes: str | None = Field(None, title="Notes", description="location, cooling, power supply")


class LabInventory(_Strict):
    """The lab's devices."""

    devices: list[LabDevice] = Field(min_length=1, title="Devices", description="every device in the lab")

    @model_validator(mode="after")
    def _unique_names(self) -> LabInventory:
        dupes = duplicated(d.name for d in self.devices)
        if dupes:
            raise ValueError(f"duplicate device names: {', '.join(dupes)}")
        return self


def load_profile(name_or_path: str | Path, folder: Path = PROFILES_DIR) -> DeviceProfile:
    """A profile by id (``raspberry-pi-5``) or by path; raises ``ConfigError`` naming the key."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = folder / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))
        raise ConfigError(f"no device profile {name_or_path!r}; known: {known}")
    profile = configfile.load(path, DeviceProfile, environ={})
    if profile.id != path.stem:
        raise ConfigError(f"{path}: id {profile.id!r} must match the file name {path.stem!r}")
    return profile


def load_inventory(path: Path, profiles: Path = PROFILES_DIR) -> LabInventory:
    """The lab inventory; every device must name an existing profile."""
    inventory = configfile.load(path, LabInventory, environ={})
    known = {p.stem for p in profiles.glob("*.yaml")}
    unknown = sorted({d.profile for d in inventory.devices} - known)
    if unknown:
        raise ConfigError(f"{path}: unknown profiles {unknown}; known: {', '.join(sorted(known))}")
    return inventory
