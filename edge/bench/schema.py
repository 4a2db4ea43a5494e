"""Write or check the committed JSON Schema of benchmark result files.

    python -m edge.bench.schema          rewrite hardware/results/schema.json
    python -m edge.bench.schema --check  exit 1 if the file is out of date
"""

from __future__ import annotations

import sys

from citytwin import schemafile
from edge.bench.lab import HARDWARE_DIR
from edge.bench.results import json_schema

SCHEMA_FILE = HARDWARE_DIR / "results" / "schema.json"


def rendered() -> str:
    """The schema as it is committed: sorted keys, two-space indent."""
    return schemafile.rendered(json_schema())


def main(argv: list[str] | None = None) -> int:
    return schemafile.main(SCHEMA_FILE, json_schema, "edge.bench.schema", __doc__ or "", argv)


if __name__ == "__main__":
    sys.exit(main())
