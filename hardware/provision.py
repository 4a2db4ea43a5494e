"""The settings an installed edge node takes from its device profile.

``hardware/provisioning/install-edge.sh`` writes the output to
``/etc/citytwin/edge.env``, which the systemd unit loads: each line overrides
one key of the site config (``CITYTWIN_CFG__EDGE__DETECTOR__THREADS=4`` sets
``edge.detector.threads``), so one site file serves every kind of device.
A recommended input size other than the model's own is written as a resized
copy of the model into ``--models-dir``.

    python -m hardware.provision raspberry-pi-5 --models-dir /var/lib/citytwin/models
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from citytwin.errors import ConfigError
from edge.bench.models import load_model, save_resized
from edge.detect.runtime import ModelError, providers_for
from hardware.lab import DeviceProfile, load_profile

PREFIX = "CITYTWIN_CFG__EDGE__"


def node_environment(profile: DeviceProfile, models_dir: Path, root: Path = Path("/")) -> dict[str, str]:
    """Config overrides that apply ``profile.recommended``.

    A resized model is written to ``models_dir`` under ``root`` (a staging
    tree when building an image); the settings name it as the node will see it.
    """
    rec = profile.recommended
    model = load_model(rec.model)
    if rec.input_size == model.native_size:
        model_file = model.path.name  # resolved against the models folder, like any shipped model
    else:
        staged = root / models_dir.relative_to(models_dir.anchor)
        staged.mkdir(parents=True, exist_ok=True)
        model_file = str(models_dir / save_resized(model, rec.input_size, staged).name)
    return {
        f"{PREFIX}DETECTOR__TYPE": model.plugin,
        f"{PREFIX}DETECTOR__MODEL": model_file,
        f"{PREFIX}DETECTOR__THREADS": str(rec.threads),
        f"{PREFIX}DETECTOR__PROVIDERS": "[" + ", ".join(providers_for(rec.provider)) + "]",
        f"{PREFIX}DETECT_EVERY": str(rec.detect_every),
    }


def render(profile: DeviceProfile, env: dict[str, str]) -> str:
    """The environment file, with a header saying where it came from."""
    lines = [
        f"# Edge node settings from hardware/profiles/{profile.id}.yaml ({profile.name}).",
        "# Written by install-edge.sh; each line overrides one key of /etc/citytwin/site.yaml.",
        *[f"{key}={value}" for key, value in env.items()],
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", help="profile id in hardware/profiles/, or a path to a profile file")
    parser.add_argument("--models-dir", type=Path, default=Path("/var/lib/citytwin/models"), help="where resized models go (absolute)")
    parser.add_argument("--root", type=Path, default=Path("/"), help="staging tree the models folder lies under (default: /)")
    args = parser.parse_args(argv)
    if not args.models_dir.is_absolute():
        parser.error("--models-dir must be an absolute path")
    try:
        profile = load_profile(args.profile)
        print(render(profile, node_environment(profile, args.models_dir, args.root)), end="")
    except (ConfigError, ModelError) as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
