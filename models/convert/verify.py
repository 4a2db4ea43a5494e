"""Check the committed models against the sha256 values in models/manifest.yaml.

    python models/convert/verify.py      exit 1 naming any missing or changed file
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml

MODELS = Path(__file__).resolve().parents[1]


def sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def problems(models: Path = MODELS) -> list[str]:
    manifest = yaml.safe_load((models / "manifest.yaml").read_text())["models"]
    found = []
    for name, entry in manifest.items():
        path = models / entry["file"]
        if not path.is_file():
            found.append(f"model {name}: {path} is missing (git checkout it, or run make models)")
        elif (size := path.stat().st_size) != entry["size"]:
            # Usually a Git LFS pointer or a truncated download rather than a different model.
            found.append(f"model {name}: {path} is {size} bytes, manifest says {entry['size']}")
        elif (actual := sha256(path)) != entry["sha256"]:
            found.append(f"model {name}: {path} has sha256 {actual}, manifest says {entry['sha256']}")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print(f"models: all match {MODELS / 'manifest.yaml'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
