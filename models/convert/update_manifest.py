"""Rewrite the sha256 lines of models/manifest.yaml from the files on disk.

Edits the text in place so comments and layout survive.
"""

from __future__ import annotations

import re

import yaml

from verify import MODELS, sha256


def main() -> None:
    path = MODELS / "manifest.yaml"
    text = path.read_text()
    for name, entry in yaml.safe_load(text)["models"].items():
        new = sha256(MODELS / entry["file"])
        if new != entry["sha256"]:
            text = re.sub(rf"(sha256: ){entry['sha256']}", rf"\g<1>{new}", text)
            print(f"{name}: sha256 now {new}")
    path.write_text(text)


if __name__ == "__main__":
    main()
