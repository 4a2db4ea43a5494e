"""A committed JSON Schema file generated from pydantic models, with a ``--check`` mode.

Used by ``python -m contract.schema`` and ``python -m hardware.schema``
so that each published schema is rewritten and checked the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def rendered(schema: dict[str, Any]) -> str:
    """The schema as it is committed: sorted keys, two-space indent."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(path: Path, schema: Callable[[], dict[str, Any]], module: str, description: str, argv: list[str] | None = None) -> int:
    """Rewrite ``path`` from ``schema()``, or with ``--check`` exit 1 when it is out of date."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the committed file is current")
    args = parser.parse_args(argv)
    text = rendered(schema())
    if args.check:
        if not path.exists() or path.read_text() != text:
            print(f"{path} is out of date: run python -m {module}", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path}")
    return 0
