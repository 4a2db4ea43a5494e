"""Write or check the committed JSON Schema of benchmark result files.

    python -m hardware.schema          rewrite hardware/results/schema.json
    python -m hardware.schema --check  exit 1 if the file is out of date
"""

from __future__ import annotations

import sys

from citytwin import schemafile
from hardware.lab import HARDWARE_DIR
from hardware.result import json_schema

SCHEMA_FILE = HARDWARE_DIR / "results" / "schema.json"


def rendered() -> str:
    """The schema as it is committed: sorted keys, two-space indent."""
    return schemafile.rendered(json_schema())


def main(argv: list[str] | None = None) -> int:
    return schemafile.main(SCHEMA_FILE, json_schema, "hardware.schema", __doc__ or "", argv)


if __name__ == "__main__":
    sys.exit(main())
