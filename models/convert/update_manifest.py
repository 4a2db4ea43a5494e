"""Rewrite the sha256 and size lines of models/manifest.yaml from the files on disk.

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
        file = MODELS / entry["file"]
        digest, size = sha256(file), file.stat().st_size
        # Anchor on the file line so that each entry's own fields are rewritten.
        block = re.compile(rf"(file: {re.escape(entry['file'])}\n\s+sha256: )[0-9a-f]{{64}}(\n\s+size: )\d+")
        text, count = block.subn(rf"\g<1>{digest}\g<2>{size}", text)
        if count != 1:
            raise SystemExit(f"{path}: entry {name} must list file, sha256 and size on consecutive lines")
        if digest != entry["sha256"] or size != entry["size"]:
            print(f"{name}: sha256 now {digest}, {size} bytes")
    path.write_text(text)


if __name__ == "__main__":
    main()
