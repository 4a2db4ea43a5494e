"""Write or check the published JSON Schema of the event contract.

    python -m contract.schema          rewrite schema/event-v{N}.json
    python -m contract.schema --check  exit 1 if the file is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from citytwin import schemafile
from contract.model import SCHEMA_VERSION, json_schema

SCHEMA_FILE = Path(__file__).with_name("schema") / f"event-v{SCHEMA_VERSION}.json"


def rendered() -> str:
    """The schema as it is committed: sorted keys, two-space indent."""
    return schemafile.rendered(json_schema())


def main(argv: list[str] | None = None) -> int:
    return schemafile.main(SCHEMA_FILE, json_schema, "contract.schema", __doc__ or "", argv)


if __name__ == "__main__":
    sys.exit(main())
